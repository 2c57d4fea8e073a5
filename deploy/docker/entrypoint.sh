#!/bin/sh
# Container entry point: wait for the database, migrate only when asked, then become the
# process named by the first argument (web, worker, beat, migrate, doctor, or any command).
#   RUN_MIGRATIONS=true   migrate before starting (single-replica setups; otherwise use `migrate`)
#   DB_WAIT_SECONDS=60    how long to wait for the database
set -eu

wait_for_database() {
  python - <<'PY'
import os, sys, time

import django
from django.db import connection
from django.db.utils import OperationalError

django.setup()
deadline = time.monotonic() + int(os.environ.get("DB_WAIT_SECONDS", "60"))
while True:
    try:
        connection.ensure_connection()
        break
    except OperationalError as exc:
        if time.monotonic() > deadline:
            sys.exit(f"entrypoint: the database did not answer in time: {exc}")
        print("entrypoint: waiting for the database...", file=sys.stderr)
        time.sleep(2)
connection.close()
PY
}

# Each start gets an empty directory for the per-process metric files of gunicorn workers.
if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
  rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
fi

command=${1:-web}
case "$command" in
  web|worker|beat|migrate|doctor)
    shift || true
    wait_for_database
    if [ "${RUN_MIGRATIONS:-false}" = "true" ] && [ "$command" != "migrate" ]; then
      python manage.py migrate --noinput
    fi
    ;;
esac

case "$command" in
  web)
    exec gunicorn "${GUNICORN_APP:-config.wsgi}" -c config/gunicorn.conf.py "$@" ;;
  worker)
    # One worker process per container by default; scale with replicas (or --concurrency).
    exec celery --app=config worker --loglevel="${LOG_LEVEL:-INFO}" \
      --concurrency="${CELERY_CONCURRENCY:-2}" "$@" ;;
  beat)
    # The schedule state is kept in /tmp: beat's schedule lives in settings, nothing to persist.
    exec celery --app=config beat --loglevel="${LOG_LEVEL:-INFO}" \
      --schedule=/tmp/celerybeat-schedule "$@" ;;
  migrate)
    exec python manage.py migrate --noinput "$@" ;;
  doctor)
    exec python manage.py doctor "$@" ;;
  *)
    exec "$@" ;;
esac

#!/usr/bin/env bash
# Boot the production web process (gunicorn, production settings) on real PostgreSQL and
# Redis, and check it from the outside: health, readiness, the API, the doctor checklist.
# Needs DATABASE_URL and REDIS_URL; uses its own port on 127.0.0.1 and stops what it starts.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${SMOKE_PORT:-8765}
BASE="http://127.0.0.1:$PORT"
export DJANGO_SETTINGS_MODULE=config.settings.production
export DJANGO_READ_DOT_ENV_FILE=false
export SECRET_KEY="smoke-$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
export ALLOWED_HOSTS=127.0.0.1
export CELERY_TASK_ALWAYS_EAGER=false
export GUNICORN_BIND="127.0.0.1:$PORT" GUNICORN_WORKERS=2

.venv/bin/python manage.py migrate --noinput -v 0
.venv/bin/python manage.py collectstatic --noinput -v 0
.venv/bin/python manage.py doctor

.venv/bin/gunicorn config.wsgi -c config/gunicorn.conf.py > /tmp/emporium-smoke-gunicorn.log 2>&1 &
GUNICORN_PID=$!
trap 'kill -TERM $GUNICORN_PID 2>/dev/null; wait $GUNICORN_PID 2>/dev/null || true' EXIT

for _ in $(seq 1 50); do
  curl -sf "$BASE/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done

check() {  # check PATH EXPECTED_STATUS
  local status
  # As behind the TLS-terminating proxy: HTTPS said by X-Forwarded-Proto.
  status=$(curl -s -o /tmp/emporium-smoke-body -w '%{http_code}' -H 'X-Forwarded-Proto: https' \
    -H 'X-Request-ID: smoke-test-0001' "$BASE$1")
  if [ "$status" != "$2" ]; then
    echo "smoke: GET $1 answered $status, expected $2:" >&2
    cat /tmp/emporium-smoke-body >&2
    cat /tmp/emporium-smoke-gunicorn.log >&2
    exit 1
  fi
  echo "smoke: GET $1 -> $status"
}

check /healthz 200
check /readyz 200
check /api/v1/products/ 200
check /api/v1/categories/ 200
check /api/schema/ 200
check /api/v1/no-such-endpoint/ 404
check /static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css 200
grep -q '"request_id": "smoke-test-0001"' /tmp/emporium-smoke-gunicorn.log \
  || { echo "smoke: no JSON access log line with the request id" >&2; exit 1; }
echo "smoke: ok"

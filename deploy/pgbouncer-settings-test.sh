#!/usr/bin/env bash
# Run test modules (default: the catalog and orders apps) with the database settings that
# DB_BEHIND_PGBOUNCER=true gives production: no server-side cursors, no persistent
# connections, no Django pool. Needs DATABASE_URL (PostgreSQL); extra arguments go to pytest.
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/emporium_x deploy/pgbouncer-settings-test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?needs DATABASE_URL (a postgres:// URL)}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/pgbouncer_test_settings.py" <<'PY'
"""The test settings with the connection settings production uses behind PgBouncer."""

from config.settings.test import *  # noqa: F403
from config.settings.test import DATABASES

DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"].setdefault("OPTIONS", {}).pop("pool", None)
assert DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
PY
if [ $# -eq 0 ]; then set -- apps/catalog apps/orders; fi
PYTHONPATH="$tmp${PYTHONPATH:+:$PYTHONPATH}" .venv/bin/pytest --ds=pgbouncer_test_settings \
  -q -p no:cacheprovider "$@"

#!/usr/bin/env bash
# The production topology on loopback, without containers: nginx (TLS, HTTP/2) in front of
# gunicorn (production settings) on the real PostgreSQL and Redis, a Celery worker and beat.
# Checks health, static files with their cache headers, security headers, /metrics access, a
# whole API checkout-and-pay journey through nginx (the worker delivers the sandbox's webhook
# back through nginx), then that gunicorn and the worker stop gracefully on SIGTERM, and that
# the ASGI entry point boots under gunicorn's uvicorn worker. Prints timings and memory.
# Needs DATABASE_URL and REDIS_URL (CELERY_BROKER_URL optional); stops everything it starts.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?stack-smoke needs DATABASE_URL (PostgreSQL)}"
: "${REDIS_URL:?stack-smoke needs REDIS_URL}"

SMOKE_STARTED=$(date +%s.%N)
tmp=$(mktemp -d /tmp/emporium-stack.XXXXXX)
chmod 755 "$tmp"  # nginx's worker processes (user nobody) read and write below it
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "${KEEP_SMOKE_DIR:-0}" != 1 ]; then rm -rf "$tmp"; fi
}
trap cleanup EXIT

fail() {
  echo "stack-smoke: FAILED: $*" >&2
  for log in "$tmp"/*.log "$tmp"/nginx/error.log; do
    [ -f "$log" ] && { echo "----- $log (last 40 lines)" >&2; tail -n 40 "$log" >&2; }
  done
  exit 1
}

free_port() {
  .venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
APP_PORT=$(free_port) HTTP_PORT=$(free_port) TLS_PORT=$(free_port) ASGI_PORT=$(free_port)
BASE="https://127.0.0.1:$TLS_PORT"
CA="$tmp/nginx/fullchain.pem"

export DJANGO_SETTINGS_MODULE=config.settings.production
export DJANGO_READ_DOT_ENV_FILE=false
export SECRET_KEY="stack-$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
export ALLOWED_HOSTS=127.0.0.1,localhost
export CELERY_TASK_ALWAYS_EAGER=false
export SANDBOX_ENABLED=true
export SANDBOX_WEBHOOK_SECRET="whsec-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
export SANDBOX_WEBHOOK_URL="$BASE/api/v1/payments/webhooks/sandbox/"
export SANDBOX_PAY_URL="$BASE/api/v1/payments/sandbox/{intent}/pay/"
export EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend
export EMAIL_FILE_PATH="$tmp/mail"
export PROMETHEUS_MULTIPROC_DIR="$tmp/prometheus"
export METRICS_TOKEN="metrics-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
# The worker reaches nginx over TLS: trust its self-signed certificate (urllib reads this).
export SSL_CERT_FILE="$CA"
export GUNICORN_BIND="127.0.0.1:$APP_PORT" GUNICORN_WORKERS=${SMOKE_WEB_WORKERS:-2}
export GUNICORN_GRACEFUL_TIMEOUT=${GUNICORN_GRACEFUL_TIMEOUT:-20}
export GUNICORN_FORWARDED_ALLOW_IPS=127.0.0.1 NUM_PROXIES=1
mkdir -p "$EMAIL_FILE_PATH" "$PROMETHEUS_MULTIPROC_DIR"

.venv/bin/python manage.py migrate --noinput -v 0
.venv/bin/python manage.py collectstatic --noinput -v 0
# The production checklist, as the container runs it at start-up: non-zero on any failure.
.venv/bin/python manage.py doctor
SKU="SMOKE-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
.venv/bin/python manage.py shell -v 0 -c "
from decimal import Decimal
from apps.cart.models import ShippingMethod
from apps.catalog import services
category = services.create_category(name='Smoke test $SKU')
services.create_product(name='Smoke lamp $SKU', category=category,
    variants=[services.VariantInput(sku='$SKU', price=Decimal('25.00'), stock=50)])
ShippingMethod.objects.get_or_create(name='Smoke shipping', defaults={'price': Decimal('4.95')})
"

deploy/nginx/render.sh "$tmp/nginx" "$HTTP_PORT" "127.0.0.1:$APP_PORT" "$PWD/staticfiles" "$TLS_PORT"

web_started=$(date +%s.%N)
.venv/bin/gunicorn config.wsgi -c config/gunicorn.conf.py > "$tmp/gunicorn.log" 2>&1 &
GUNICORN_PID=$!; PIDS+=("$GUNICORN_PID")
.venv/bin/celery --app=config worker --loglevel=INFO --concurrency=2 -n "smoke-$SKU@%h" \
  > "$tmp/worker.log" 2>&1 &
WORKER_PID=$!; PIDS+=("$WORKER_PID")
.venv/bin/celery --app=config beat --loglevel=INFO --schedule="$tmp/beat-schedule" \
  > "$tmp/beat.log" 2>&1 &
BEAT_PID=$!; PIDS+=("$BEAT_PID")
nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/error.log" &
NGINX_PID=$!; PIDS+=("$NGINX_PID")

wait_until() {  # wait_until SECONDS DESCRIPTION COMMAND...: poll every 0.2 s
  local limit=$1 what=$2; shift 2
  local deadline=$(( $(date +%s) + limit ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "$what not within $limit s"
    sleep 0.2
  done
}
wait_until 60 "gunicorn answering /healthz" curl -sf "http://127.0.0.1:$APP_PORT/healthz"
web_ready=$(date +%s.%N)
wait_until 30 "nginx answering over TLS" curl -sf --cacert "$CA" "$BASE/healthz"
wait_until 60 "the Celery worker ready" grep -q "ready\." "$tmp/worker.log"

# get PATH [curl options...]: body to $tmp/body, headers to $tmp/headers, prints the status.
get() {
  local path=$1; shift
  curl -s --cacert "$CA" -o "$tmp/body" -D "$tmp/headers" -w '%{http_code}' "$@" "$BASE$path"
}
expect_status() {  # expect_status PATH STATUS [curl options...]
  local path=$1 want=$2; shift 2
  local got; got=$(get "$path" "$@")
  [ "$got" = "$want" ] || fail "GET $path answered $got, expected $want: $(head -c 300 "$tmp/body")"
  echo "stack-smoke: GET $path -> $got"
}
header() {  # header NAME: the value of a response header of the last get
  grep -i "^$1:" "$tmp/headers" | head -n 1 | cut -d' ' -f2- | tr -d '\r'
}

expect_status /healthz 200
expect_status /readyz 200
grep -q '"database": {"status": "ok"' "$tmp/body" || fail "/readyz: $(cat "$tmp/body")"
[ "$(curl -s -o /dev/null -w '%{http_version}' --cacert "$CA" "$BASE/healthz")" = 2 ] \
  || fail "nginx did not speak HTTP/2 over TLS"

# Security headers on an API answer, as the TLS proxy serves it.
expect_status /api/v1/products/ 200 -H 'X-Request-ID: stack-smoke-0001'
[ "$(header Strict-Transport-Security)" = "max-age=31536000; includeSubDomains; preload" ] \
  || fail "HSTS header: '$(header Strict-Transport-Security)'"
header Content-Security-Policy | grep -q "script-src 'self'" || fail "no CSP header"
[ "$(header X-Content-Type-Options)" = nosniff ] || fail "no X-Content-Type-Options"
[ "$(header Referrer-Policy)" = same-origin ] || fail "no Referrer-Policy"
[ "$(header X-Request-ID)" = stack-smoke-0001 ] || fail "X-Request-ID not passed through"
grep -q '"request_id": "stack-smoke-0001"' "$tmp/gunicorn.log" || fail "no access log line"
expect_status /api/v1/categories/ 200
expect_status /api/schema/ 200
expect_status /api/v1/no-such-endpoint/ 404
grep -q '"code":"not_found"\|"code": "not_found"' "$tmp/body" || fail "unknown API path: no problem body"
[ -n "$(header X-Request-ID)" ] || fail "nginx did not generate an X-Request-ID"
# Plain HTTP to nginx (no TLS in front of it) is redirected to HTTPS by Django.
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/api/v1/products/")" = 301 ] \
  || fail "plain HTTP was not redirected"

# Static files: hashed names from nginx with a year of caching, compressed when asked.
hashed=$(.venv/bin/python -c "
import json
paths = json.load(open('staticfiles/staticfiles.json'))['paths']
print(paths['drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css'])")
expect_status "/static/$hashed" 200 -H 'Accept-Encoding: gzip'
header Cache-Control | grep -q "max-age=31536000, immutable" \
  || fail "hashed static file cache header: '$(header Cache-Control)'"
[ "$(header Content-Encoding)" = gzip ] || fail "static file not served compressed"
header Server | grep -q nginx || fail "static file not served by nginx"
expect_status /static/no-such-file.css 404

# /metrics: never through the public proxy; to loopback, or anywhere with the token.
expect_status /metrics 404
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$APP_PORT/metrics")" = 200 ] \
  || fail "/metrics refused to loopback"

# The journey: sign up, cart, shipping, checkout, pay; the worker delivers the webhook.
journey_started=$(date +%s.%N)
.venv/bin/python deploy/smoke_journey.py "$BASE" "$SKU" --ca "$CA" --timeout 60 \
  | tee "$tmp/journey.out" || fail "the checkout-and-pay journey"
journey_done=$(date +%s.%N)
order_id=$(sed -n 's/^JOURNEY_ORDER_ID=//p' "$tmp/journey.out")
wait_until 30 "the payment confirmation e-mail" grep -rqs "Payment received for order" "$EMAIL_FILE_PATH"
grep -q "payments.deliver_sandbox_webhook.*succeeded" "$tmp/worker.log" \
  || fail "the worker did not deliver the webhook"

curl -sf -H "Authorization: Bearer $METRICS_TOKEN" "http://127.0.0.1:$APP_PORT/metrics" > "$tmp/metrics"
for metric in 'emporium_orders_placed_total' 'emporium_payments_total{status="succeeded"}' \
  'emporium_webhook_events_total{outcome="applied",provider="sandbox"}'; do
  value=$(grep -F "$metric " "$tmp/metrics" | awk '{print $2}')
  awk -v v="${value:-0}" 'BEGIN { exit !(v >= 1) }' || fail "metric $metric is ${value:-missing}"
done
echo "stack-smoke: /metrics counted the order, the payment and the webhook (all workers summed)"
grep -q 'django_http_requests_total_by_method_total' "$tmp/metrics" || fail "no django metrics"

# Memory of each web worker after the warm-up (the journey and the checks above).
rss=$(ps -o pid=,rss= --ppid "$GUNICORN_PID" | awk '{printf "%s%d:%.0fMiB", sep, $1, $2/1024; sep=" "}')
ready_ms=$(grep -o 'ready in [0-9]* ms' "$tmp/gunicorn.log" | awk '{print $3}' | paste -sd, -)

# Graceful shutdown: SIGTERM, then both must exit 0 within their timeouts, saying so.
stop() {  # stop PID NAME SECONDS
  local pid=$1 name=$2 limit=$3 started status=0
  started=$(date +%s.%N)
  kill -TERM "$pid"
  local deadline=$(( $(date +%s) + limit ))
  while kill -0 "$pid" 2>/dev/null; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "$name still running $limit s after SIGTERM"
    sleep 0.1
  done
  wait "$pid" || status=$?
  [ "$status" = 0 ] || fail "$name exited with status $status after SIGTERM"
  printf 'stack-smoke: %s stopped on SIGTERM in %.1f s (exit 0)\n' "$name" \
    "$(echo "$(date +%s.%N) - $started" | bc)"
}
stop "$GUNICORN_PID" gunicorn $((GUNICORN_GRACEFUL_TIMEOUT + 5))
grep -q "Handling signal: term" "$tmp/gunicorn.log" || fail "gunicorn did not log the TERM"
grep -q "Shutting down: Master" "$tmp/gunicorn.log" || fail "gunicorn did not shut down cleanly"
stop "$WORKER_PID" "celery worker" 70
grep -qi "warm shutdown" "$tmp/worker.log" || fail "the worker did not do a warm shutdown"
stop "$BEAT_PID" "celery beat" 15

# ASGI: the same app under gunicorn's uvicorn worker, with the psycopg pool.
asgi_started=$(date +%s.%N)
GUNICORN_BIND="127.0.0.1:$ASGI_PORT" GUNICORN_WORKERS=1 DB_POOL=true \
  GUNICORN_WORKER_CLASS=uvicorn_worker.UvicornWorker \
  .venv/bin/gunicorn config.asgi -c config/gunicorn.conf.py > "$tmp/asgi.log" 2>&1 &
ASGI_PID=$!; PIDS+=("$ASGI_PID")
wait_until 60 "the ASGI server answering /healthz" curl -sf "http://127.0.0.1:$ASGI_PORT/healthz"
asgi_ready=$(date +%s.%N)
status=$(curl -s -o "$tmp/body" -w '%{http_code}' -H 'X-Forwarded-Proto: https' \
  "http://127.0.0.1:$ASGI_PORT/api/v1/orders/$order_id/")
[ "$status" = 401 ] || fail "ASGI: order detail without a token answered $status"
status=$(curl -s -o "$tmp/body" -w '%{http_code}' -H 'X-Forwarded-Proto: https' \
  "http://127.0.0.1:$ASGI_PORT/api/v1/products/?search=$SKU")
[ "$status" = 200 ] && grep -q "Smoke lamp $SKU" "$tmp/body" || fail "ASGI: products answered $status"
echo "stack-smoke: ASGI (uvicorn worker) served /healthz and the API"
stop "$ASGI_PID" "gunicorn (ASGI)" 30

elapsed() { echo "$2 - $1" | bc; }
printf 'stack-smoke: ok in %.1f s\n' "$(elapsed "$SMOKE_STARTED" "$(date +%s.%N)")"
printf 'stack-smoke: web (WSGI, %s workers) answered /healthz %.2f s after start; ' \
  "$GUNICORN_WORKERS" "$(elapsed "$web_started" "$web_ready")"
echo "worker start-up (fork to app loaded): ${ready_ms:-?} ms"
printf 'stack-smoke: ASGI web answered /healthz %.2f s after start\n' \
  "$(elapsed "$asgi_started" "$asgi_ready")"
printf 'stack-smoke: checkout-and-pay journey through nginx: %.1f s\n' \
  "$(elapsed "$journey_started" "$journey_done")"
echo "stack-smoke: RSS per web worker after warm-up: $rss"

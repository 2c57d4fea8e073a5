"""Production: every secret from the environment, secure transport, JSON logs, Redis, Celery."""

from django.core.exceptions import ImproperlyConfigured

from apps.core.logging import build_logging_config

from .base import *  # noqa: F403
from .base import DATABASES, LOG_LEVEL, MEDIA_STORAGE, REST_FRAMEWORK, env

REQUIRED_VARIABLES = ["SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS", "REDIS_URL"]
# The payment provider's secrets, for the provider in use (the sandbox is off by default here).
if env.str("PAYMENT_GATEWAY", default="sandbox") == "stripe":
    REQUIRED_VARIABLES += ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"]
if env.bool("SANDBOX_ENABLED", default=False):
    REQUIRED_VARIABLES += ["SANDBOX_WEBHOOK_SECRET"]
_missing = [name for name in REQUIRED_VARIABLES if not env.str(name, default="")]
if _missing:
    raise ImproperlyConfigured(
        "Production settings need these environment variables, which are missing or empty: "
        + ", ".join(_missing)
        + ". See .env.example for what each one means."
    )

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY")
# Old keys still accepted for sessions and signed values while SECRET_KEY is being rotated.
SECRET_KEY_FALLBACKS: list[str] = env.list("SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
# Outbound webhooks go over https to public hosts only, whatever the environment says.
WEBHOOK_ALLOW_INSECURE_URLS = False

# --- Database connections (docs/decisions/0003-database-connections.md) ---------------------
# Default: one persistent connection per web/worker process, checked before each request
# (a PostgreSQL restart costs one reconnect, not an error). DB_POOL=true: Django's psycopg
# pool instead, for ASGI workers. DB_BEHIND_PGBOUNCER=true: PgBouncer in transaction mode
# does the pooling, so nothing may outlive a transaction on the server side.
DB_BEHIND_PGBOUNCER = env.bool("DB_BEHIND_PGBOUNCER", default=False)
DB_POOL = env.bool("DB_POOL", default=False) and not DB_BEHIND_PGBOUNCER
_db = DATABASES["default"]
_db_options = _db.setdefault("OPTIONS", {})
_db["CONN_HEALTH_CHECKS"] = True
if DB_BEHIND_PGBOUNCER:
    # Server-side cursors live across statements of one connection; PgBouncer may hand each
    # transaction to another server connection. PgBouncer refuses the `options` startup
    # parameter too: set the statement timeout on the role (ALTER ROLE ... SET).
    _db["DISABLE_SERVER_SIDE_CURSORS"] = True
    _db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
else:
    # No statement may hold a connection (and its locks) longer than this; shorter than the
    # gunicorn timeout, so a slow query fails cleanly instead of the worker being killed.
    _db_options["options"] = (
        f"-c statement_timeout={env.int('DB_STATEMENT_TIMEOUT_MS', default=15000)}"
    )
    if DB_POOL:
        _db["CONN_MAX_AGE"] = 0  # Django refuses persistent connections with a pool
        _db_options["pool"] = {
            "min_size": env.int("DB_POOL_MIN_SIZE", default=2),
            "max_size": env.int("DB_POOL_MAX_SIZE", default=10),
            "timeout": env.int("DB_POOL_TIMEOUT", default=10),
        }
    else:
        _db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)

REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}

# --- Transport security (behind a TLS-terminating proxy) ------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Probes and the Prometheus scrape reach the pod directly over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# Lax: the cookie still comes along when a shopper follows a link to the shop.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

STORAGES = {
    "default": MEDIA_STORAGE,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SANDBOX_ENABLED = env.bool("SANDBOX_ENABLED", default=False)
# Admin 2FA: staff pass a TOTP token at login (enrol with `manage.py add_totp_device`).
ADMIN_REQUIRE_OTP = env.bool("ADMIN_REQUIRE_OTP", default=True)

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
# Only for EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend (staging, smoke tests).
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default="")

LOG_FORMAT = env.str("LOG_FORMAT", default="json")
LOGGING = build_logging_config(level=LOG_LEVEL, fmt=LOG_FORMAT)

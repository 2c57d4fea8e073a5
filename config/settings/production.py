"""Production: every secret from the environment, secure transport, JSON logs, Redis, Celery."""

from django.core.exceptions import ImproperlyConfigured

from apps.core.logging import build_logging_config

from .base import *  # noqa: F403
from .base import DATABASES, LOG_LEVEL, REST_FRAMEWORK, env

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
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# No statement may hold a connection (and its locks) longer than this; shorter than the
# gunicorn timeout, so a slow query fails cleanly instead of the worker being killed.
DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
    f"-c statement_timeout={env.int('DB_STATEMENT_TIMEOUT_MS', default=15000)}"
)

REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}

# --- Transport security (behind a TLS-terminating proxy) ------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SANDBOX_ENABLED = env.bool("SANDBOX_ENABLED", default=False)

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)

LOG_FORMAT = env.str("LOG_FORMAT", default="json")
LOGGING = build_logging_config(level=LOG_LEVEL, fmt=LOG_FORMAT)

"""Load benchmark settings: production's code paths on PostgreSQL and Redis, minus the limits.

Used by `bench/load.py` (`make bench`) for the gunicorn it starts on 127.0.0.1: DEBUG off,
persistent database connections, the confirmation e-mail enqueued to the broker (not sent in
the request), JSON-only answers and the throttles — as in production — but with rates no run
reaches (the load generator is every client), no SSL redirect or secure cookies (plain HTTP
on loopback), warnings-only logs (a log line per request would be measured too) and the
benchmark-only routes of `config.urls_bench`.
"""

import warnings
from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

from apps.core.logging import build_logging_config

from .base import *  # noqa: F403
from .base import CACHES, DATABASES, MIDDLEWARE, REST_FRAMEWORK, SIMPLE_JWT, env

if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("The benchmark settings need DATABASE_URL (a postgres:// URL).")
if CACHES["default"]["BACKEND"] != "django_redis.cache.RedisCache":
    raise ImproperlyConfigured("The benchmark settings need REDIS_URL.")

DEBUG = False
# Loopback only and never a real shop, so a fixed key is fine; the harness signs its JWTs with it.
SECRET_KEY = env.str("SECRET_KEY", default="bench-only-secret-key-not-for-any-real-site-0123456789")
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

ROOT_URLCONF = "config.urls_bench"
MIDDLEWARE = [*MIDDLEWARE, "config.urls_bench.ColdCatalogMiddleware"]

# As production (config/settings/production.py): a persistent connection per process, or,
# with DB_POOL=true (the uvicorn configuration: under ASGI persistent connections belong to
# request threads and pile up), Django's psycopg pool; and a statement timeout.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
_db_options = DATABASES["default"].setdefault("OPTIONS", {})
_db_options["options"] = f"-c statement_timeout={env.int('DB_STATEMENT_TIMEOUT_MS', default=15000)}"
if env.bool("DB_POOL", default=False):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    _db_options["pool"] = {
        "min_size": env.int("DB_POOL_MIN_SIZE", default=2),
        "max_size": env.int("DB_POOL_MAX_SIZE", default=10),
        "timeout": env.int("DB_POOL_TIMEOUT", default=10),
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)

REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Production's throttles, every one counting (a Redis round trip per request), with rates
    # no run reaches: one load generator is every client.
    "DEFAULT_THROTTLE_RATES": dict.fromkeys(
        REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "1000000/second"
    ),
}
# Tokens outlive a benchmark run (production: 5 minutes).
SIMPLE_JWT = {**SIMPLE_JWT, "ACCESS_TOKEN_LIFETIME": timedelta(hours=2)}

# Static files are not part of the benchmark (no collectstatic in a fresh clone).
warnings.filterwarnings("ignore", message="No directory at", module="django.core.handlers.base")

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False

CELERY_TASK_ALWAYS_EAGER = False
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

LOG_LEVEL = env.str("LOG_LEVEL", default="WARNING")
LOGGING = build_logging_config(level=LOG_LEVEL, fmt="console")

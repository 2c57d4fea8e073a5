"""Test settings: real PostgreSQL and Redis when their URLs are set, embedded fallbacks otherwise.

With REQUIRE_SERVICES=1 (as in CI) a run that would fall back to SQLite or a local-memory
cache refuses to start, so a green CI always means "tested on the real services".
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import CACHES, DATABASES, REST_FRAMEWORK, env

SECRET_KEY = "test-only-secret-key-with-enough-length-for-hmac"  # noqa: S105
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]

REQUIRE_SERVICES = env.bool("REQUIRE_SERVICES", default=False)
if REQUIRE_SERVICES:
    missing = []
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        missing.append("DATABASE_URL (a postgres:// URL)")
    if CACHES["default"]["BACKEND"] != "django_redis.cache.RedisCache":
        missing.append("REDIS_URL")
    if missing:
        raise ImproperlyConfigured(
            "REQUIRE_SERVICES=1 but the tests would not run on the real services; set "
            + ", ".join(missing)
        )

# Fast hashing: the hasher choice itself is tested against base settings.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The real-worker test points a worker at a file backend to read what it sent.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default="")
CELERY_TASK_ALWAYS_EAGER = True
# The live server of the browser tests serves uploaded files (MEDIA_ROOT is a temp dir).
MEDIA_SERVE = True
CELERY_TASK_EAGER_PROPAGATES = True
WHITENOISE_AUTOREFRESH = True
# Tests hand sandbox webhooks over in-process; the end-to-end tests point it at a live server.
SANDBOX_WEBHOOK_URL = env.str("SANDBOX_WEBHOOK_URL", default="")
# Webhook endpoints on this machine (a receiver on 127.0.0.1, plain http) are allowed.
WEBHOOK_ALLOW_INSECURE_URLS = env.bool("WEBHOOK_ALLOW_INSECURE_URLS", default=True)

REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}

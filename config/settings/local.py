"""Local development: zero setup — SQLite, in-memory cache, eager tasks, console e-mail."""

from .base import *  # noqa: F403
from .base import DATABASES, env

DEBUG = env.bool("DEBUG", default=True)
# Only for the local server: a fixed, clearly non-secret key so `make run` needs no setup.
SECRET_KEY = env.str("SECRET_KEY", default="local-development-key-not-for-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
# Webhook endpoints on this machine (a receiver on 127.0.0.1, plain http) are allowed.
WEBHOOK_ALLOW_INSECURE_URLS = env.bool("WEBHOOK_ALLOW_INSECURE_URLS", default=True)
# Uploaded files (the demo's product images) from runserver itself: no nginx, no bucket.
MEDIA_SERVE = env.bool("MEDIA_SERVE", default=True)
# Serve files from the app and project static folders as they change, without collectstatic,
# with DEBUG off too (`make run` serves the demo that way, with the shop's own error pages).
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

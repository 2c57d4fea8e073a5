"""ASGI entry point: gunicorn with uvicorn workers, or any ASGI server.

    GUNICORN_WORKER_CLASS=uvicorn_worker.UvicornWorker \
        gunicorn config.asgi -c config/gunicorn.conf.py

Django runs the (synchronous) views in a thread per request; use the psycopg pool
(DB_POOL=true) rather than persistent connections under ASGI.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

application = get_asgi_application()

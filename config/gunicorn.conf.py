"""Gunicorn settings for the web process, from the environment with defaults from the machine.

    gunicorn config.wsgi -c config/gunicorn.conf.py

Workers default to 2 * CPUs + 1 (sync) — or CPUs with 4 threads each when
GUNICORN_WORKER_CLASS=gthread; `uvicorn_worker.UvicornWorker` serves config.asgi:

    GUNICORN_WORKER_CLASS=uvicorn_worker.UvicornWorker \
        gunicorn config.asgi -c config/gunicorn.conf.py

With PROMETHEUS_MULTIPROC_DIR set, each worker writes its metrics to files there; the
directory is emptied when gunicorn starts and a dead worker's live gauges are dropped.
"""

import multiprocessing
import os
import shutil
import time
from typing import Any


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


_cpus = multiprocessing.cpu_count()

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")  # inside a container
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
workers = _int("GUNICORN_WORKERS", _cpus if worker_class == "gthread" else 2 * _cpus + 1)
threads = _int("GUNICORN_THREADS", 4 if worker_class == "gthread" else 1)
# A request taking longer than this is killed (the database statement timeout is shorter).
timeout = _int("GUNICORN_TIMEOUT", 30)
# SIGTERM lets in-flight requests finish for this long before workers are stopped.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then (memory growth), staggered so they do not restart together.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)
preload_app = os.environ.get("GUNICORN_PRELOAD", "false").lower() == "true"
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")

# One JSON object per request on stdout, with the request id the app echoed.
accesslog = "-"
errorlog = "-"
access_log_format = (
    '{"time": "%(t)s", "logger": "gunicorn.access", "method": "%(m)s", "path": "%(U)s", '
    '"query": "%(q)s", "status": %(s)s, "bytes": %(B)s, "duration_ms": %(M)s, '
    '"remote": "%(h)s", "request_id": "%({x-request-id}o)s", "user_agent": "%(a)s"}'
)


def on_starting(server: Any) -> None:
    """Start from an empty metrics directory: files of a previous run would be counted again."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory, exist_ok=True)


def post_fork(server: Any, worker: Any) -> None:
    """Note when the worker process started, to log how long it took to become ready."""
    worker.emporium_forked_at = time.monotonic()


def post_worker_init(worker: Any) -> None:
    """Log the worker's start-up time (fork to application loaded)."""
    started = getattr(worker, "emporium_forked_at", None)
    if started is not None:
        worker.log.info(
            "Worker %s ready in %.0f ms", worker.pid, (time.monotonic() - started) * 1000
        )


def child_exit(server: Any, worker: Any) -> None:
    """Mark a dead worker's metric files, so its live gauges stop being reported."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

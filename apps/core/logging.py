"""Logging configuration and helpers: request id and user id on every record."""

import logging
from typing import Any

from apps.core.context import request_id_var, user_id_var


class RequestContextFilter(logging.Filter):
    """Add `request_id` and `user_id` from the current request or task to each log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get() or "-"
        if not hasattr(record, "user_id"):
            record.user_id = user_id_var.get()
        return True


def build_logging_config(*, level: str, fmt: str) -> dict[str, Any]:
    """Return the LOGGING dict: one stdout handler, `console` (readable) or `json` lines."""
    if fmt not in ("console", "json"):
        raise ValueError(f"LOG_FORMAT must be 'console' or 'json', not {fmt!r}.")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "apps.core.logging.RequestContextFilter"}},
        "formatters": {
            "console": {
                "format": "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s",
            },
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            },
        },
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": fmt,
                "filters": ["context"],
            },
        },
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": {
            "django": {"level": level, "propagate": True},
            # The access log middleware logs every request once; Django's request logger would
            # repeat each 4xx (5xx tracebacks still go through it), and runserver's every request.
            "django.request": {"level": "ERROR", "propagate": True},
            "django.server": {"level": "WARNING", "propagate": True},
            "celery": {"level": level, "propagate": True},
        },
    }

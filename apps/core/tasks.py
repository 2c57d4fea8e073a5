"""Task defaults shared by every app, and housekeeping jobs that belong to no single app."""

import smtplib
from typing import Any

from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone

# Failures worth retrying: the mail server or the network, not bugs in our code.
TRANSIENT_ERRORS = (smtplib.SMTPException, ConnectionError, TimeoutError)
# For tasks that must not be lost: retried with exponential backoff and jitter on transient
# errors only, acknowledged after they ran (a worker dying mid-task gets it redelivered).
RETRY_OPTIONS: dict[str, Any] = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 8,
    "acks_late": True,
}


@shared_task(name="core.clear_expired_sessions", acks_late=True)
def clear_expired_sessions() -> int:
    """Delete expired database sessions (what `manage.py clearsessions` does); return how many."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted

"""Housekeeping jobs that belong to no single app."""

from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone


@shared_task(name="core.clear_expired_sessions", acks_late=True)
def clear_expired_sessions() -> int:
    """Delete expired database sessions (what `manage.py clearsessions` does); return how many."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted

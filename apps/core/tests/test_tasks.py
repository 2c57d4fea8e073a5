"""Housekeeping tasks."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from apps.core.tasks import clear_expired_sessions
from config.celery import app

pytestmark = pytest.mark.django_db


def test_expired_sessions_are_cleared_and_live_ones_kept():
    for _ in range(2):
        store = SessionStore()
        store.create()
    live = SessionStore()
    live.create()
    Session.objects.exclude(session_key=live.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )

    assert clear_expired_sessions.delay().get() == 2
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]


def test_every_scheduled_job_is_a_registered_task():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "core.clear_expired_sessions" in scheduled
    app.loader.import_default_modules()  # what a worker does at start: autodiscovery
    assert scheduled <= set(app.tasks)

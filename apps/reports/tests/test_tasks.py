"""The daily sales report task: yesterday (UTC) by default, retried on mail server errors."""

import smtplib
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from celery.schedules import crontab
from django.conf import settings
from django.core import mail

from apps.reports import tasks
from apps.reports.models import DailySalesReport
from apps.reports.tests.helpers import at, order
from apps.users.tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


def test_reports_yesterday_in_utc_by_default(django_capture_on_commit_callbacks):
    StaffUserFactory.create()
    order(at(date(2031, 3, 2), 23, 59), "8.00")

    with (
        time_machine.travel(datetime(2031, 3, 3, 0, 30, tzinfo=UTC), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert tasks.daily_sales_report.delay().get() == "2031-03-02"

    report = DailySalesReport.objects.get()
    assert (report.day, report.orders, report.revenue) == (date(2031, 3, 2), 1, Decimal("8.00"))
    assert len(mail.outbox) == 1


def test_reports_a_given_day_once(django_capture_on_commit_callbacks):
    StaffUserFactory.create()
    order(at(date(2031, 1, 5)), "3.00")

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.daily_sales_report("2031-01-05") == "2031-01-05"
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.daily_sales_report("2031-01-05") == "2031-01-05"

    assert DailySalesReport.objects.get().revenue == Decimal("3.00")
    assert len(mail.outbox) == 1


def test_retries_mail_server_errors_and_acks_late():
    task = tasks.daily_sales_report
    assert set(task.autoretry_for) >= {smtplib.SMTPException, ConnectionError, TimeoutError}
    assert task.retry_backoff
    assert task.acks_late
    assert task.name == "reports.daily_sales_report"


def test_runs_every_night_at_half_past_midnight_utc():
    entry = settings.CELERY_BEAT_SCHEDULE["daily-sales-report"]
    assert entry["task"] == "reports.daily_sales_report"
    assert entry["schedule"] == crontab(hour=0, minute=30)
    assert settings.CELERY_TIMEZONE == "UTC"

"""The daily report: built once per day, e-mailed to staff once, with its CSV attachment."""

import csv
import io
import smtplib
from datetime import date, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.core import mail

from apps.catalog.tests.factories import ProductFactory
from apps.orders.models import OrderStatus
from apps.reports import services
from apps.reports.models import DailySalesReport
from apps.reports.tests.helpers import at, order
from apps.users.tests.factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db

D = date(2031, 3, 3)
SMTP_DOWN = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


@pytest.fixture
def staff():
    return [
        StaffUserFactory.create(email="boss@example.com"),
        StaffUserFactory.create(email="clerk@example.com"),
    ]


@pytest.fixture
def sales():
    mug, tee = ProductFactory.create(name="Mug"), ProductFactory.create(name="Tee, large")
    order(at(D, 9), "30.00", lines=[(mug, 3, "10.00")])
    order(at(D, 18), "45.50", status=OrderStatus.FULFILLED, lines=[(tee, 1, "45.50")])
    order(at(D, 19), "12.00", status=OrderStatus.REFUNDED, lines=[(mug, 1, "12.00")])
    order(at(D + timedelta(days=1)), "999.00", lines=[(mug, 9, "111.00")])
    return mug, tee


def test_build_daily_report_stores_the_days_figures(
    staff, sales, django_capture_on_commit_callbacks
):
    mug, tee = sales

    with django_capture_on_commit_callbacks(execute=True):
        report = services.build_daily_report(day=D)

    report.refresh_from_db()
    assert (report.day, report.orders, report.revenue) == (D, 2, Decimal("75.50"))
    assert report.average_order_value == Decimal("37.75")
    assert report.refunds == Decimal("12.00")
    assert report.top_products == [
        {"product_id": str(tee.pk), "product_name": "Tee, large", "units": 1, "revenue": "45.50"},
        {"product_id": str(mug.pk), "product_name": "Mug", "units": 3, "revenue": "30.00"},
    ]
    assert report.emailed_at is not None


def test_building_twice_keeps_one_row_and_sends_one_email(
    staff, sales, django_capture_on_commit_callbacks
):
    UserFactory.create()  # a customer: not e-mailed
    StaffUserFactory.create(email="gone@example.com", is_active=False)

    with django_capture_on_commit_callbacks(execute=True):
        first = services.build_daily_report(day=D)
    with django_capture_on_commit_callbacks(execute=True):
        second = services.build_daily_report(day=D)

    assert first.pk == second.pk
    assert DailySalesReport.objects.count() == 1
    [message] = mail.outbox
    assert sorted(message.to) == ["boss@example.com", "clerk@example.com"]
    assert D.isoformat() in message.subject
    assert "Revenue: 75.50" in message.body
    assert "Average order value: 37.75" in message.body
    [(filename, content, mimetype)] = message.attachments
    assert (filename, mimetype) == (f"top-products-{D.isoformat()}.csv", "text/csv")
    mug, tee = sales
    assert list(csv.reader(io.StringIO(content))) == [
        ["product_id", "product_name", "units", "revenue"],
        [str(tee.pk), "Tee, large", "1", "45.50"],
        [str(mug.pk), "Mug", "3", "30.00"],
    ]


def test_a_rebuild_updates_the_figures_in_place(staff, sales, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.build_daily_report(day=D)
    order(at(D, 23), "4.50")

    with django_capture_on_commit_callbacks(execute=True):
        report = services.build_daily_report(day=D)

    report.refresh_from_db()
    assert (report.orders, report.revenue) == (3, Decimal("80.00"))
    assert len(mail.outbox) == 1


def test_a_day_without_sales_is_reported_with_zeros(staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = services.build_daily_report(day=D)

    assert (report.orders, report.revenue, report.refunds) == (0, Decimal(0), Decimal(0))
    assert report.top_products == []
    [message] = mail.outbox
    assert "(no sales)" in message.body
    [(_, content, _)] = message.attachments
    assert content == "product_id,product_name,units,revenue\r\n"


def test_a_failed_email_releases_the_claim_for_the_retry(
    staff, sales, django_capture_on_commit_callbacks
):
    with (
        mock.patch("django.core.mail.EmailMessage.send", side_effect=SMTP_DOWN) as send,
        pytest.raises(smtplib.SMTPException),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.build_daily_report(day=D)

    send.assert_called_once()
    report = DailySalesReport.objects.get(day=D)
    assert report.emailed_at is None

    with django_capture_on_commit_callbacks(execute=True):
        services.build_daily_report(day=D)

    assert len(mail.outbox) == 1
    report.refresh_from_db()
    assert report.emailed_at is not None


def test_email_daily_report_claims_once(staff):
    report = DailySalesReport.objects.create(day=D)

    assert services.email_daily_report(report_id=report.pk) is True
    assert services.email_daily_report(report_id=report.pk) is False
    assert len(mail.outbox) == 1


def test_without_staff_nothing_is_sent_or_claimed():
    report = DailySalesReport.objects.create(day=D)

    assert services.email_daily_report(report_id=report.pk) is False

    report.refresh_from_db()
    assert report.emailed_at is None
    assert mail.outbox == []


def test_the_email_waits_for_the_commit(staff, sales, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.build_daily_report(day=D)

    assert mail.outbox == []
    assert len(callbacks) == 1

"""Background jobs of orders: e-mails sent exactly once and never lost, expiry, old keys."""

import smtplib
import uuid
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from apps.catalog.models import ProductVariant
from apps.orders import tasks
from apps.orders.models import IdempotencyKey, Order, OrderEmail, OrderStatus
from apps.orders.services.lifecycle import mark_order_paid, refund_order
from apps.orders.services.shipments import fulfil_order
from apps.orders.tests.factories import OrderFactory, buy, make_variant
from config.celery import app

pytestmark = pytest.mark.django_db

T0 = datetime(2031, 3, 1, 9, 0, tzinfo=UTC)
SMTP_DOWN = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
Kind = OrderEmail.Kind


@pytest.fixture
def lamp() -> ProductVariant:
    return make_variant(price="25.00", stock=10, discount="10", name="Large")


def sent(order: Order, kind: str) -> bool:
    return OrderEmail.objects.filter(order=order, kind=kind, sent_at__isnull=False).exists()


# --- send_order_email -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "subject"),
    [
        (Kind.RECEIVED, "We have your order {}"),
        (Kind.CONFIRMED, "Payment received for order {}"),
        (Kind.SHIPPED, "Your order {} is on its way"),
        (Kind.REFUNDED, "Your order {} has been refunded"),
    ],
)
def test_each_email_is_sent_once_as_text_and_html(lamp, kind, subject):
    order = buy({lamp: 2}, email="ada@example.com")

    assert tasks.send_order_email(str(order.pk), kind) is True
    assert tasks.send_order_email(str(order.pk), kind) is False

    [message] = mail.outbox
    assert message.to == ["ada@example.com"]
    assert message.subject == subject.format(order.number)
    assert f"2 x {lamp.product.name} (Large)  45.00 EUR" in message.body
    assert "Total:     45.00 EUR (including 7.50 tax)" in message.body
    assert "\nUnited Kingdom" in message.body  # the country by name, not its code
    [(html, mimetype)] = message.alternatives  # type: ignore[attr-defined]
    assert mimetype == "text/html"
    assert "45.00 EUR" in html
    assert "United Kingdom</p>" in html
    assert sent(order, kind)


def test_a_failed_send_releases_the_claim_for_the_retry(lamp):
    order = buy({lamp: 1})
    with (
        mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=SMTP_DOWN),
        pytest.raises(smtplib.SMTPException),
    ):
        tasks.send_order_email.run(str(order.pk), Kind.CONFIRMED)

    record = OrderEmail.objects.get(order=order, kind=Kind.CONFIRMED)
    assert (record.claimed_at, record.sent_at) == (None, None)
    assert tasks.send_order_email(str(order.pk), Kind.CONFIRMED) is True
    assert len(mail.outbox) == 1


def test_an_unknown_order_gets_no_email():
    assert tasks.send_order_email(str(uuid.uuid4()), Kind.CONFIRMED) is False
    assert mail.outbox == []


def test_a_failed_enqueue_at_checkout_does_not_fail_the_order(
    lamp, django_capture_on_commit_callbacks
):
    # The broker is down when the order commits: the order stands, its e-mail owed to the sweep.
    with (
        mock.patch.object(tasks.send_order_email, "delay", side_effect=ConnectionError),
        django_capture_on_commit_callbacks(execute=True),
    ):
        order = buy({lamp: 1})

    assert Order.objects.filter(pk=order.pk).exists()
    assert not sent(order, Kind.RECEIVED)


def test_status_changes_send_their_emails_once(lamp, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order = buy({lamp: 1}, email="ada@example.com")
        mark_order_paid(order=order, actor=None)
        fulfil_order(order=order, actor=None, tracking_note="Tracking: 1Z999.")
        refund_order(order=order, actor=None)

    subjects = [message.subject.split(" ")[0:2] for message in mail.outbox]
    assert subjects == [
        ["We", "have"],
        ["Payment", "received"],
        ["Your", "order"],
        ["Your", "order"],
    ]
    assert "Tracking: 1Z999." in mail.outbox[2].body
    assert "has been refunded" in mail.outbox[3].body
    assert all(sent(order, kind) for kind in Kind.values)


# --- send_missing_order_emails --------------------------------------------------------------


def test_the_sweep_sends_what_each_order_is_owed(lamp, time_machine):
    time_machine.move_to(T0, tick=False)
    buy({lamp: 1}, email="placed@example.com")
    paid = buy({lamp: 1}, email="paid@example.com")
    Order.objects.filter(pk=paid.pk).update(status=OrderStatus.PAID)
    already = buy({lamp: 1}, email="already@example.com")
    assert tasks.send_order_email(str(already.pk), Kind.RECEIVED) is True
    mail.outbox.clear()
    too_old = buy({lamp: 1}, email="old@example.com")
    Order.objects.filter(pk=too_old.pk).update(updated_at=T0 - timedelta(days=3))

    time_machine.move_to(T0 + timedelta(hours=1), tick=False)
    too_recent = buy({lamp: 1}, email="recent@example.com")  # its own task may be on the way

    assert tasks.send_missing_order_emails() == 3

    got = sorted((message.to[0], message.subject.split(" ")[0]) for message in mail.outbox)
    assert got == [
        ("paid@example.com", "Payment"),
        ("paid@example.com", "We"),
        ("placed@example.com", "We"),
    ]
    assert not OrderEmail.objects.filter(order__in=[too_old, too_recent]).exists()
    assert tasks.send_missing_order_emails() == 0


def test_a_claim_left_by_a_dead_worker_goes_stale_and_the_sweep_sends(lamp, time_machine):
    time_machine.move_to(T0, tick=False)
    order = buy({lamp: 1}, email="ada@example.com")
    Order.objects.filter(pk=order.pk).update(updated_at=T0 - timedelta(hours=1))
    # A worker claimed the e-mail and died before sending it.
    OrderEmail.objects.create(order=order, kind=Kind.RECEIVED, claimed_at=T0)

    # While the claim is fresh, neither a redelivery nor the sweep sends a second e-mail.
    assert tasks.send_order_email(str(order.pk), Kind.RECEIVED) is False
    assert tasks.send_missing_order_emails() == 0
    assert mail.outbox == []

    time_machine.shift(tasks.CLAIM_STALE_AFTER + timedelta(seconds=1))
    assert tasks.send_missing_order_emails() == 1
    assert len(mail.outbox) == 1
    assert sent(order, Kind.RECEIVED)


# --- delete_expired_idempotency_keys --------------------------------------------------------


def test_expired_idempotency_keys_are_deleted():
    now = timezone.now()
    for key, expires_at in [
        ("old", now - timedelta(hours=1)),
        ("older", now - timedelta(days=3)),
        ("live", now + timedelta(minutes=1)),
    ]:
        IdempotencyKey.objects.create(
            scope="user:1", key=key, fingerprint="0" * 64, expires_at=expires_at
        )

    assert tasks.delete_expired_idempotency_keys() == 2
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["live"]


# --- expire_unpaid_orders -------------------------------------------------------------------


def test_the_expiry_task_cancels_and_restocks_unpaid_orders(time_machine, lamp):
    time_machine.move_to(T0, tick=False)
    unpaid = buy({lamp: 3})
    paid = OrderFactory.create(status=OrderStatus.PAID)
    window = timedelta(minutes=settings.ORDER_PAYMENT_WINDOW_MINUTES)

    time_machine.move_to(T0 + window + timedelta(seconds=1), tick=False)
    assert tasks.expire_unpaid_orders.delay().get() == 1

    unpaid.refresh_from_db()
    paid.refresh_from_db()
    assert (unpaid.status, paid.status) == (OrderStatus.CANCELLED, OrderStatus.PAID)
    lamp.refresh_from_db()
    assert lamp.stock == 10


# --- The schedule ---------------------------------------------------------------------------


def test_every_scheduled_order_job_is_a_registered_task():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    order_jobs = {name for name in scheduled if str(name).startswith("orders.")}

    assert order_jobs == {
        "orders.expire_unpaid_orders",
        "orders.send_missing_order_emails",
        "orders.delete_expired_idempotency_keys",
    }
    assert order_jobs <= set(app.tasks)


def test_the_same_task_redelivered_after_its_worker_died_sends_a_fresh_claim(lamp):
    order = buy({lamp: 1}, email="ada@example.com")
    # The worker running task "t-1" claimed the e-mail, then was killed before sending.
    OrderEmail.objects.create(
        order=order, kind=Kind.CONFIRMED, claimed_at=timezone.now(), claimed_by="t-1"
    )

    # Another task for the same e-mail keeps off the fresh claim...
    assert (
        tasks.send_order_email.apply(args=(str(order.pk), Kind.CONFIRMED), task_id="t-2").get()
        is False
    )
    # ...but the redelivered message (same task id) sends it, once.
    assert (
        tasks.send_order_email.apply(args=(str(order.pk), Kind.CONFIRMED), task_id="t-1").get()
        is True
    )
    assert (
        tasks.send_order_email.apply(args=(str(order.pk), Kind.CONFIRMED), task_id="t-1").get()
        is False
    )
    assert len(mail.outbox) == 1
    assert sent(order, Kind.CONFIRMED)

"""Background jobs of orders: confirmations sent once and never lost, expiry, old keys."""

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
from apps.orders.models import IdempotencyKey, Order, OrderStatus
from apps.orders.tests.factories import (
    OrderFactory,
    OrderLineFactory,
    buy,
    make_variant,
    set_created_at,
)
from config.celery import app

pytestmark = pytest.mark.django_db

T0 = datetime(2031, 3, 1, 9, 0, tzinfo=UTC)
SMTP_DOWN = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


@pytest.fixture
def lamp() -> ProductVariant:
    return make_variant(price="25.00", stock=10, discount="10", name="Large")


def confirmed(order: Order) -> bool:
    order.refresh_from_db()
    return order.confirmation_sent_at is not None


# --- send_order_confirmation ----------------------------------------------------------------


def test_the_confirmation_is_sent_once(lamp):
    order = buy({lamp: 2}, email="ada@example.com")

    assert tasks.send_order_confirmation(str(order.pk)) is True
    assert tasks.send_order_confirmation(str(order.pk)) is False

    [message] = mail.outbox
    assert message.to == ["ada@example.com"]
    assert message.subject == f"Your Emporium order {order.number}"
    assert f"Thank you for your order {order.number}." in message.body
    assert f"2 x {lamp.product.name} (Large)  45.00 EUR" in message.body
    assert "Discounts: -5.00 EUR" in message.body
    assert "Total:     45.00 EUR (including 7.50 tax)" in message.body
    assert "N1 9GU London" in message.body
    assert confirmed(order)


def test_the_confirmation_releases_its_claim_when_sending_fails(lamp):
    order = buy({lamp: 1})

    with (
        mock.patch("apps.orders.tasks.send_mail", side_effect=SMTP_DOWN) as send_mail,
        pytest.raises(smtplib.SMTPException),
    ):
        tasks.send_order_confirmation.run(str(order.pk))

    send_mail.assert_called_once()
    assert not confirmed(order)
    # The retry finds the claim free and sends.
    assert tasks.send_order_confirmation(str(order.pk)) is True
    assert len(mail.outbox) == 1
    assert confirmed(order)


def test_the_confirmation_of_an_unknown_order_is_skipped():
    assert tasks.send_order_confirmation(str(uuid.uuid4())) is False
    assert mail.outbox == []


def test_a_failed_enqueue_at_checkout_does_not_fail_the_order(
    lamp, django_capture_on_commit_callbacks
):
    # The broker is down when the order commits: the order stands, unconfirmed, for the sweep.
    with (
        mock.patch.object(tasks.send_order_confirmation, "delay", side_effect=ConnectionError),
        django_capture_on_commit_callbacks(execute=True),
    ):
        order = buy({lamp: 1})

    assert Order.objects.filter(pk=order.pk).exists()
    assert not confirmed(order)


# --- send_missing_confirmations -------------------------------------------------------------


def test_the_sweep_sends_confirmations_that_were_never_sent(time_machine):
    time_machine.move_to(T0, tick=False)

    def order_placed(ago: timedelta, *, sent: bool = False) -> Order:
        order = OrderLineFactory.create(order__email=f"{ago.total_seconds():.0f}@example.com").order
        if sent:
            Order.objects.filter(pk=order.pk).update(confirmation_sent_at=T0 - ago)
        return set_created_at(order, T0 - ago)

    missed = order_placed(timedelta(hours=1))
    also_missed = order_placed(timedelta(days=1, hours=23))
    sent = order_placed(timedelta(hours=1), sent=True)
    too_recent = order_placed(timedelta(minutes=5))  # its own task may still be on the way
    too_old = order_placed(timedelta(days=3))

    assert tasks.send_missing_confirmations() == 2

    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [missed.email, also_missed.email]
    )
    assert [confirmed(order) for order in (missed, also_missed, sent, too_recent, too_old)] == [
        True,
        True,
        True,
        False,
        False,
    ]
    assert tasks.send_missing_confirmations() == 0


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
        "orders.send_missing_confirmations",
        "orders.delete_expired_idempotency_keys",
    }
    assert order_jobs <= set(app.tasks)


def test_a_claim_left_by_a_dead_worker_goes_stale_and_the_sweep_sends(lamp, time_machine):
    time_machine.move_to(T0, tick=False)
    order = buy({lamp: 1}, email="ada@example.com")
    set_created_at(order, T0 - timedelta(hours=1))
    # A worker claimed the e-mail and died before sending it.
    Order.objects.filter(pk=order.pk).update(confirmation_claimed_at=T0)

    # While the claim is fresh, neither a redelivery nor the sweep sends a second e-mail.
    assert tasks.send_order_confirmation(str(order.pk)) is False
    assert tasks.send_missing_confirmations() == 0
    assert mail.outbox == []

    time_machine.shift(tasks.CLAIM_STALE_AFTER + timedelta(seconds=1))
    assert tasks.send_missing_confirmations() == 1
    assert len(mail.outbox) == 1
    assert confirmed(order)

"""Reconciliation: payments pending too long are settled from what the provider says."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from apps.orders.models import OrderEvent, OrderStatus
from apps.payments import services, tasks
from apps.payments.models import Payment, PaymentStatus, SandboxIntent, WebhookEvent
from apps.payments.tests.helpers import place
from apps.users.models import User

pytestmark = pytest.mark.django_db

AGE = timedelta(minutes=settings.PAYMENT_RECONCILE_AFTER_MINUTES)


def provider_says(payment: Payment, status: str) -> None:
    """Change the sandbox's side directly, as if its webhook never arrived."""
    SandboxIntent.objects.filter(pk=payment.provider_id).update(status=status)


def started_ago(user: User, age: timedelta) -> Payment:
    with time_machine.travel(timezone.now() - age, tick=False):
        return services.start_payment(order=place(user))


def test_a_stale_payment_the_provider_captured_is_settled(user: User) -> None:
    payment = started_ago(user, AGE + timedelta(minutes=1))
    provider_says(payment, SandboxIntent.Status.SUCCEEDED)

    assert services.reconcile_pending_payments() == 1

    payment.refresh_from_db()
    payment.order.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.amount_mismatch is False
    assert payment.order.status == OrderStatus.PAID
    record = WebhookEvent.objects.get()
    assert record.event_id == f"reconcile:{payment.provider_id}:succeeded"
    assert record.outcome == WebhookEvent.Outcome.APPLIED


def test_running_it_twice_changes_nothing_the_second_time(user: User) -> None:
    payment = started_ago(user, AGE + timedelta(minutes=1))
    provider_says(payment, SandboxIntent.Status.SUCCEEDED)
    assert services.reconcile_pending_payments() == 1
    events = OrderEvent.objects.count()
    records = list(WebhookEvent.objects.values_list("pk", "outcome", "attempts"))

    assert services.reconcile_pending_payments() == 0

    assert OrderEvent.objects.count() == events
    assert list(WebhookEvent.objects.values_list("pk", "outcome", "attempts")) == records
    assert OrderEvent.objects.filter(order=payment.order, to_status=OrderStatus.PAID).count() == 1


def test_a_stale_payment_the_provider_failed_is_failed(user: User) -> None:
    payment = started_ago(user, AGE + timedelta(minutes=1))
    provider_says(payment, SandboxIntent.Status.FAILED)
    assert services.reconcile_pending_payments() == 1
    payment.refresh_from_db()
    payment.order.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert payment.order.status == OrderStatus.PENDING


def test_a_stale_payment_still_pending_at_the_provider_is_left_pending(user: User) -> None:
    payment = started_ago(user, AGE + timedelta(minutes=1))
    assert services.reconcile_pending_payments() == 0
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert not WebhookEvent.objects.exists()


def test_a_recent_payment_is_left_alone(user: User) -> None:
    payment = started_ago(user, AGE - timedelta(minutes=1))
    provider_says(payment, SandboxIntent.Status.SUCCEEDED)

    assert services.reconcile_pending_payments() == 0

    payment.refresh_from_db()
    payment.order.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert payment.order.status == OrderStatus.PENDING
    assert not WebhookEvent.objects.exists()

    # Once it is old enough, the next run settles it.
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        assert services.reconcile_pending_payments() == 1
    payment.order.refresh_from_db()
    assert payment.order.status == OrderStatus.PAID


def test_the_periodic_task_reconciles(user: User) -> None:
    payment = started_ago(user, AGE + timedelta(minutes=1))
    provider_says(payment, SandboxIntent.Status.SUCCEEDED)
    assert tasks.reconcile_pending_payments.delay().get() == 1
    payment.order.refresh_from_db()
    assert payment.order.status == OrderStatus.PAID


def test_a_late_webhook_after_reconciliation_changes_nothing(user: User) -> None:
    from apps.payments.tests.helpers import payment_event, post_webhook

    payment = started_ago(user, AGE + timedelta(minutes=1))
    provider_says(payment, SandboxIntent.Status.SUCCEEDED)
    services.reconcile_pending_payments()
    response = post_webhook(payment_event("payment.succeeded", payment))
    assert response.json()["outcome"] == "ignored"
    assert OrderEvent.objects.filter(order=payment.order, to_status=OrderStatus.PAID).count() == 1

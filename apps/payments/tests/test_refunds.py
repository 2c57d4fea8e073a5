"""Staff refunds: partial then the rest, refused refunds change nothing."""

from collections.abc import Callable
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.core.tests.helpers import assert_problem
from apps.orders.models import Order, OrderStatus
from apps.orders.tests.factories import client_for, staff_client
from apps.payments import services
from apps.payments.errors import InvalidRefund
from apps.payments.gateways import sandbox
from apps.payments.models import Payment, PaymentStatus, Refund, SandboxIntent, WebhookEvent
from apps.payments.tests.helpers import SUCCEEDING_CARD, intent_of, place, refund_url
from apps.users.models import User

pytestmark = pytest.mark.django_db

Capture = Callable[..., AbstractContextManager[Any]]


@pytest.fixture
def paid(user: User, django_capture_on_commit_callbacks: Capture) -> Payment:
    """A payment captured the real way: started, paid on the sandbox, webhook applied."""
    payment = services.start_payment(order=place(user, price="40.00"))
    with django_capture_on_commit_callbacks(execute=True):
        sandbox.sandbox_pay(
            intent_id=payment.provider_id,
            client_secret=payment.client_secret,
            card_number=SUCCEEDING_CARD,
        )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.order.status == OrderStatus.PAID
    return payment


def state(payment: Payment) -> tuple[Any, ...]:
    payment.refresh_from_db()
    order = Order.objects.get(pk=payment.order_id)
    return (
        payment.status,
        payment.refunded_amount,
        order.status,
        Refund.objects.count(),
        intent_of(payment).refunded,
        WebhookEvent.objects.count(),
    )


def test_a_partial_refund_then_the_rest_refunds_the_order(
    paid: Payment, django_capture_on_commit_callbacks: Capture
) -> None:
    client, staff = staff_client()
    total = paid.amount

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(
            refund_url(paid.order), {"amount": "5.00", "reason": "Damaged box"}, format="json"
        )

    assert first.status_code == 200, first.content
    assert first.json()["status"] == OrderStatus.PAID
    paid.refresh_from_db()
    assert paid.status == PaymentStatus.PARTIALLY_REFUNDED
    assert paid.refunded_amount == Decimal("5.00")
    assert intent_of(paid).refunded == Decimal("5.00")
    refund = Refund.objects.get()
    assert (refund.amount, refund.reason, refund.created_by) == (
        Decimal("5.00"),
        "Damaged box",
        staff,
    )
    assert refund.provider_refund_id.startswith("re_sbx_")

    with django_capture_on_commit_callbacks(execute=True):
        rest = client.post(refund_url(paid.order), {}, format="json")

    assert rest.status_code == 200, rest.content
    assert rest.json()["status"] == OrderStatus.REFUNDED
    paid.refresh_from_db()
    assert paid.status == PaymentStatus.REFUNDED
    assert paid.refunded_amount == total
    assert intent_of(paid).refunded == total
    assert list(Refund.objects.order_by("created_at").values_list("amount", flat=True)) == [
        Decimal("5.00"),
        total - Decimal("5.00"),
    ]
    assert Order.objects.get(pk=paid.order_id).status == OrderStatus.REFUNDED
    # The sandbox's own refund webhooks arrived afterwards and changed nothing.
    refund_events = WebhookEvent.objects.filter(type="refund.succeeded")
    assert refund_events.count() == 2
    assert set(refund_events.values_list("outcome", flat=True)) == {WebhookEvent.Outcome.IGNORED}


def test_a_full_refund_in_one_step(
    paid: Payment, django_capture_on_commit_callbacks: Capture
) -> None:
    client, _ = staff_client()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(refund_url(paid.order), {"amount": str(paid.amount)}, format="json")
    assert response.status_code == 200
    assert state(paid)[:3] == (PaymentStatus.REFUNDED, paid.amount, OrderStatus.REFUNDED)


@pytest.mark.parametrize("amount", ["40.01", "1000.00"])
def test_refunding_more_than_was_paid_is_refused(paid: Payment, amount: str) -> None:
    client, _ = staff_client()
    before = state(paid)
    response = client.post(refund_url(paid.order), {"amount": amount}, format="json")
    assert_problem(response, 400, "invalid_refund", field="amount")
    assert state(paid) == before


def test_refunding_more_than_is_left_is_refused(
    paid: Payment, django_capture_on_commit_callbacks: Capture
) -> None:
    client, _ = staff_client()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(refund_url(paid.order), {"amount": "30.00"}, format="json")
    before = state(paid)
    response = client.post(refund_url(paid.order), {"amount": "10.01"}, format="json")
    assert_problem(response, 400, "invalid_refund")
    assert state(paid) == before


def test_a_fully_refunded_order_cannot_be_refunded_again(
    paid: Payment, django_capture_on_commit_callbacks: Capture
) -> None:
    client, _ = staff_client()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(refund_url(paid.order), {}, format="json")
    before = state(paid)
    assert_problem(client.post(refund_url(paid.order), {}, format="json"), 400, "invalid_refund")
    assert state(paid) == before


@pytest.mark.parametrize("amount", ["0", "0.00", "-5.00"])
def test_a_refund_of_nothing_is_refused_by_the_api(paid: Payment, amount: str) -> None:
    """The serializer's min_value answers first (validation_error, not invalid_refund)."""
    client, _ = staff_client()
    before = state(paid)
    response = client.post(refund_url(paid.order), {"amount": amount}, format="json")
    assert_problem(response, 400, "validation_error", field="amount")
    assert state(paid) == before


@pytest.mark.parametrize("amount", [Decimal(0), Decimal("-1.00")])
def test_the_service_refuses_a_refund_of_nothing(paid: Payment, amount: Decimal) -> None:
    before = state(paid)
    with pytest.raises(InvalidRefund):
        services.refund_payment(order=paid.order, amount=amount, reason="", actor=None)
    assert state(paid) == before


def test_an_unpaid_order_cannot_be_refunded(user: User) -> None:
    payment = services.start_payment(order=place(user))
    client, _ = staff_client()
    response = client.post(refund_url(payment.order), {"amount": "1.00"}, format="json")
    assert_problem(response, 400, "invalid_refund")
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == (PaymentStatus.PENDING, 0)
    assert not Refund.objects.exists()
    assert intent_of(payment).refunded == 0


def test_an_order_without_any_payment_cannot_be_refunded(user: User) -> None:
    order = place(user)
    client, _ = staff_client()
    assert_problem(client.post(refund_url(order), {}, format="json"), 400, "invalid_refund")
    assert not Refund.objects.exists()


def test_customers_may_not_refund(paid: Payment, user: User) -> None:
    before = state(paid)
    response = client_for(user).post(refund_url(paid.order), {}, format="json")
    assert_problem(response, 403, "permission_denied")
    assert state(paid) == before


def test_anonymous_callers_may_not_refund(paid: Payment) -> None:
    before = state(paid)
    response = APIClient().post(refund_url(paid.order), {}, format="json")
    assert response.status_code == 401
    assert state(paid) == before


def test_a_missing_order_is_not_found() -> None:
    client, _ = staff_client()
    response = client.post(
        "/api/v1/staff/orders/00000000-0000-0000-0000-000000000000/refund/", {}, format="json"
    )
    assert_problem(response, 404, "not_found")


def test_the_sandbox_refuses_refunds_of_an_uncaptured_intent(user: User) -> None:
    payment = services.start_payment(order=place(user))
    gateway = sandbox.SandboxGateway()
    with pytest.raises(sandbox.GatewayError):
        gateway.refund(
            provider_id=payment.provider_id, amount=Decimal(1), reason="", idempotency_key="k"
        )
    assert SandboxIntent.objects.get().refunded == 0

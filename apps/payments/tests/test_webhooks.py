"""Provider webhooks: verified before anything is parsed, stored once, applied once."""

import time
from decimal import Decimal

import pytest
from django.test import Client

from apps.core.tests.helpers import assert_problem
from apps.orders.models import Order, OrderEvent, OrderStatus
from apps.orders.services.lifecycle import cancel_order
from apps.payments import services
from apps.payments.gateways.sandbox import SIGNATURE_HEADER
from apps.payments.models import Payment, PaymentStatus, WebhookEvent
from apps.payments.tests.helpers import (
    encode,
    event,
    payment_event,
    place,
    post_webhook,
    signature,
    webhook_url,
)
from apps.users.models import User

pytestmark = pytest.mark.django_db

Outcome = WebhookEvent.Outcome


@pytest.fixture
def payment(user: User) -> Payment:
    return services.start_payment(order=place(user))


def paid_events(order: Order) -> int:
    return OrderEvent.objects.filter(order=order, to_status=OrderStatus.PAID).count()


def refresh(payment: Payment) -> tuple[Payment, Order]:
    payment.refresh_from_db()
    payment.order.refresh_from_db()
    return payment, payment.order


# --- Refused before anything is stored ---------------------------------------------------------


def _bad_headers(raw: bytes) -> dict[str, str | None]:
    now = int(time.time())
    return {
        "missing": None,
        "empty": "",
        "garbage": "not a signature",
        "wrong secret": signature(raw, secret="not-the-secret"),
        "other body": signature(raw + b" "),
        "stale": signature(raw, timestamp=now - 3600),
        "future": signature(raw, timestamp=now + 3600),
    }


@pytest.mark.parametrize(
    "case", ["missing", "empty", "garbage", "wrong secret", "other body", "stale", "future"]
)
def test_an_unverified_webhook_is_refused_and_not_stored(payment: Payment, case: str) -> None:
    raw = encode(payment_event("payment.succeeded", payment))
    response = post_webhook(raw, header=_bad_headers(raw)[case])
    assert_problem(response, 400, "invalid_signature")
    assert WebhookEvent.objects.count() == 0
    payment, order = refresh(payment)
    assert payment.status == PaymentStatus.PENDING
    assert order.status == OrderStatus.PENDING


def test_a_tampered_body_is_refused(payment: Payment) -> None:
    raw = encode(payment_event("payment.succeeded", payment))
    header = signature(raw)
    tampered = raw.replace(b'"payment.succeeded"', b'"payment.failed"')
    assert_problem(post_webhook(tampered, header=header), 400, "invalid_signature")
    assert WebhookEvent.objects.count() == 0
    assert refresh(payment)[0].status == PaymentStatus.PENDING


def test_a_non_ascii_signature_header_is_a_400_not_a_crash(payment: Payment) -> None:
    """BUG (signing.py:30): the TypeError of hmac.compare_digest escapes as a 500."""
    raw = encode(payment_event("payment.succeeded", payment))
    header = f"t={int(time.time())},v1=\u00e9"
    assert_problem(post_webhook(raw, header=header), 400, "invalid_signature")
    assert WebhookEvent.objects.count() == 0


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"",
        b"\xff\xfe",
        b"[]",
        b'"text"',
        b'{"id": "evt_1"}',
        b'{"id": "evt_1", "type": "payment.succeeded", "data": {"id": "pi_1"}}',
        b'{"id": "evt_1", "type": 5, "data": {"id": "pi_1", "amount": "1", "currency": "EUR"}}',
        b'{"id": "e", "type": "payment.succeeded", "data": {"id": "p", "amount": "x", '
        b'"currency": "EUR"}}',
    ],
)
def test_a_signed_body_that_is_not_an_event_is_refused_and_not_stored(raw: bytes) -> None:
    response = post_webhook(raw, header=signature(raw))
    assert_problem(response, 400, "invalid_signature")
    assert WebhookEvent.objects.count() == 0


def test_an_unknown_provider_is_not_found(payment: Payment) -> None:
    response = post_webhook(payment_event("payment.succeeded", payment), provider="acme")
    assert_problem(response, 404, "not_found")
    assert WebhookEvent.objects.count() == 0


def test_only_post_is_allowed() -> None:
    assert Client().get(webhook_url()).status_code == 405


# --- Stored and applied -----------------------------------------------------------------------


def test_a_success_event_pays_the_order(payment: Payment) -> None:
    body = payment_event("payment.succeeded", payment)
    response = post_webhook(body)
    assert response.status_code == 200, response.content
    assert response.json() == {"received": True, "outcome": "applied"}
    payment, order = refresh(payment)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert order.status == OrderStatus.PAID
    record = WebhookEvent.objects.get()
    assert (record.provider, record.event_id, record.type) == (
        "sandbox",
        body["id"],
        "payment.succeeded",
    )
    assert record.payload == body
    assert record.outcome == Outcome.APPLIED


def test_the_signature_header_name_is_case_insensitive(payment: Payment) -> None:
    raw = encode(payment_event("payment.succeeded", payment))
    response = Client().post(
        webhook_url(),
        data=raw,
        content_type="application/json",
        headers={SIGNATURE_HEADER.lower(): signature(raw)},
    )
    assert response.status_code == 200


def test_an_unknown_event_type_is_stored_as_ignored(payment: Payment) -> None:
    body = payment_event("payment.requires_action", payment)
    response = post_webhook(body)
    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored"
    record = WebhookEvent.objects.get()
    assert (record.type, record.outcome) == ("payment.requires_action", Outcome.IGNORED)
    payment, order = refresh(payment)
    assert payment.status == PaymentStatus.PENDING
    assert order.status == OrderStatus.PENDING


def test_an_unknown_event_type_of_another_shape_is_acknowledged() -> None:
    """A provider's event Emporium does not act on need not look like a payment.

    BUG (sandbox.py:142-166, `parse_stored`): every event must carry data.amount and
    data.currency, so an authentic event of another type (here a dispute) is refused as
    "invalid_signature" (400, nothing stored) and the provider retries it forever.
    """
    body = {"id": "evt_dispute_1", "type": "dispute.created", "data": {"id": "dp_1"}}
    response = post_webhook(body)
    assert response.status_code == 200, response.content
    assert WebhookEvent.objects.get().outcome == Outcome.IGNORED


def test_a_replayed_event_changes_nothing(payment: Payment) -> None:
    raw = encode(payment_event("payment.succeeded", payment))
    header = signature(raw)
    responses = [post_webhook(raw, header=header) for _ in range(20)]
    assert [r.status_code for r in responses] == [200] * 20
    assert {r.json()["outcome"] for r in responses} == {"applied"}
    payment, order = refresh(payment)
    assert order.status == OrderStatus.PAID
    assert paid_events(order) == 1
    assert (
        OrderEvent.objects.filter(order=order).exclude(to_status=OrderStatus.PENDING).count() == 1
    )
    record = WebhookEvent.objects.get()
    assert record.attempts == 1


def test_a_second_success_event_with_another_id_is_ignored(payment: Payment) -> None:
    post_webhook(payment_event("payment.succeeded", payment))
    response = post_webhook(payment_event("payment.succeeded", payment))
    assert response.json()["outcome"] == "ignored"
    assert WebhookEvent.objects.count() == 2
    assert paid_events(payment.order) == 1


@pytest.mark.parametrize("delta", ["0.01", "-0.01", "100.00"])
def test_an_amount_mismatch_is_flagged_and_the_order_stays_pending(
    payment: Payment, delta: str
) -> None:
    wrong = payment.order.total + Decimal(delta)
    response = post_webhook(payment_event("payment.succeeded", payment, amount=wrong))
    assert response.status_code == 200
    payment, order = refresh(payment)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.amount_mismatch is True
    assert order.status == OrderStatus.PENDING
    assert paid_events(order) == 0
    record = WebhookEvent.objects.get()
    assert record.outcome == Outcome.APPLIED
    assert "mismatch" in record.detail.lower()


def test_a_currency_mismatch_is_flagged_too(payment: Payment) -> None:
    other = "USD" if payment.currency != "USD" else "EUR"
    post_webhook(payment_event("payment.succeeded", payment, currency=other))
    payment, order = refresh(payment)
    assert payment.amount_mismatch is True
    assert order.status == OrderStatus.PENDING


def test_a_failure_event_fails_the_payment_with_its_reason(payment: Payment) -> None:
    post_webhook(payment_event("payment.failed", payment, reason="Insufficient funds."))
    payment, order = refresh(payment)
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_reason == "Insufficient funds."
    assert order.status == OrderStatus.PENDING


def test_a_failure_after_success_is_ignored(payment: Payment) -> None:
    post_webhook(payment_event("payment.succeeded", payment))
    response = post_webhook(payment_event("payment.failed", payment))
    assert response.json()["outcome"] == "ignored"
    payment, order = refresh(payment)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert order.status == OrderStatus.PAID


def test_a_success_after_a_declined_attempt_pays_the_order(payment: Payment) -> None:
    # Providers let a customer retry the same payment after a decline (Stripe does).
    post_webhook(payment_event("payment.failed", payment))
    response = post_webhook(payment_event("payment.succeeded", payment))
    assert response.status_code == 200
    assert response.json()["outcome"] == "applied"
    payment, order = refresh(payment)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert order.status == OrderStatus.PAID


def test_a_second_capture_for_a_paid_order_is_flagged_not_applied(payment: Payment) -> None:
    post_webhook(payment_event("payment.succeeded", payment))
    second = Payment.objects.create(
        order=payment.order,
        provider=payment.provider,
        provider_id="pi_sbx_second",
        amount=payment.amount,
        currency=payment.currency,
    )
    response = post_webhook(payment_event("payment.succeeded", second))
    assert response.status_code == 200
    assert response.json()["outcome"] == "failed"
    second.refresh_from_db()
    assert second.status == PaymentStatus.PENDING
    assert WebhookEvent.objects.filter(outcome="failed", detail__contains="refund").count() == 1


def test_a_success_for_a_cancelled_order_is_captured_but_the_order_stays_cancelled(
    payment: Payment, user: User
) -> None:
    cancel_order(order=payment.order, actor=user)
    response = post_webhook(payment_event("payment.succeeded", payment))
    assert response.json()["outcome"] == "applied"
    payment, order = refresh(payment)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert order.status == OrderStatus.CANCELLED
    assert "refund" in WebhookEvent.objects.get().detail


def test_a_refund_event_for_a_failed_payment_is_recorded_not_crashed(payment: Payment) -> None:
    """BUG (services.py:175-186, `_refunded`): only `pending` is checked, so a refund event for
    a failed payment reaches `_move(failed -> ...)`, whose InvalidTransition escapes the
    webhook view as a 500; the event stays "received" and every redelivery crashes again.
    """
    post_webhook(payment_event("payment.failed", payment))
    response = post_webhook(payment_event("refund.succeeded", payment, refunded=payment.amount))
    assert response.status_code == 200
    assert response.json()["outcome"] in ("ignored", "failed")
    assert refresh(payment)[0].status == PaymentStatus.FAILED


# --- Deferred: events that arrive before what they follow --------------------------------------


def test_a_success_for_an_unknown_payment_is_deferred_then_applied(user: User) -> None:
    order = place(user)
    body = event("payment.succeeded", intent_id="pi_sbx_later", amount=order.total)
    response = post_webhook(body)
    assert response.status_code == 200
    assert response.json()["outcome"] == "deferred"
    assert WebhookEvent.objects.get().outcome == Outcome.DEFERRED
    assert services.retry_deferred_events() == 0  # still no payment

    payment = Payment.objects.create(
        order=order,
        provider="sandbox",
        provider_id="pi_sbx_later",
        amount=order.total,
        currency=order.currency,
    )
    assert services.retry_deferred_events() == 1

    payment, order = refresh(payment)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert order.status == OrderStatus.PAID
    record = WebhookEvent.objects.get()
    assert record.outcome == Outcome.APPLIED
    assert record.attempts == 3
    assert services.retry_deferred_events() == 0
    assert paid_events(order) == 1


def test_a_redelivered_deferred_event_applies_once_the_payment_exists(user: User) -> None:
    order = place(user)
    body = event("payment.succeeded", intent_id="pi_sbx_later", amount=order.total)
    raw = encode(body)
    header = signature(raw)
    assert post_webhook(raw, header=header).json()["outcome"] == "deferred"
    Payment.objects.create(
        order=order,
        provider="sandbox",
        provider_id="pi_sbx_later",
        amount=order.total,
        currency=order.currency,
    )
    assert post_webhook(raw, header=header).json()["outcome"] == "applied"
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert WebhookEvent.objects.count() == 1


def test_a_refund_before_the_success_is_deferred_and_applied_after_it(payment: Payment) -> None:
    partial = Decimal("5.00")
    refund = post_webhook(payment_event("refund.succeeded", payment, refunded=partial))
    assert refund.json()["outcome"] == "deferred"
    assert refresh(payment)[0].status == PaymentStatus.PENDING

    assert post_webhook(payment_event("payment.succeeded", payment)).json()["outcome"] == "applied"
    payment, order = refresh(payment)
    assert (payment.status, order.status) == (PaymentStatus.SUCCEEDED, OrderStatus.PAID)

    assert services.retry_deferred_events() == 1
    payment, order = refresh(payment)
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED
    assert payment.refunded_amount == partial
    assert order.status == OrderStatus.PAID
    assert set(WebhookEvent.objects.values_list("outcome", flat=True)) == {Outcome.APPLIED}


def test_a_full_refund_before_the_success_refunds_the_order_in_the_end(payment: Payment) -> None:
    post_webhook(payment_event("refund.succeeded", payment, refunded=payment.amount))
    post_webhook(payment_event("payment.succeeded", payment))
    assert services.retry_deferred_events() == 1
    payment, order = refresh(payment)
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.refunded_amount == payment.amount
    assert order.status == OrderStatus.REFUNDED
    assert list(
        OrderEvent.objects.filter(order=order)
        .exclude(from_status="")
        .order_by("pk")
        .values_list("from_status", "to_status")
    ) == [(OrderStatus.PENDING, OrderStatus.PAID), (OrderStatus.PAID, OrderStatus.REFUNDED)]


def test_a_refund_event_repeating_a_known_total_is_ignored(payment: Payment) -> None:
    post_webhook(payment_event("payment.succeeded", payment))
    post_webhook(payment_event("refund.succeeded", payment, refunded="5.00"))
    response = post_webhook(payment_event("refund.succeeded", payment, refunded="5.00"))
    assert response.json()["outcome"] == "ignored"
    assert refresh(payment)[0].refunded_amount == Decimal("5.00")

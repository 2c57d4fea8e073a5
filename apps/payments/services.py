"""Money movements: starting payments, applying provider events exactly once, refunds.

Webhook events are stored once per (provider, event id) and applied under a lock on the
event row, so a replayed or concurrent duplicate changes nothing. An event that arrives
before what it follows (a refund before the payment's success) is deferred and retried.
"""

import logging
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core import metrics
from apps.core.errors import InvalidTransition
from apps.orders.models import Order, OrderStatus
from apps.orders.services.lifecycle import mark_order_paid, refund_order
from apps.payments.errors import AlreadyPaid, InvalidRefund, OrderNotPayable
from apps.payments.gateways.base import ProviderEvent, get_gateway
from apps.payments.models import (
    CAPTURED,
    PAYMENT_TRANSITIONS,
    Payment,
    PaymentStatus,
    Refund,
    WebhookEvent,
)
from apps.users.models import User
from apps.webhooks import events as webhook_events

logger = logging.getLogger(__name__)
Outcome = WebhookEvent.Outcome


# --- Starting a payment ---------------------------------------------------------------------


def start_payment(*, order: Order) -> Payment:
    """Start (or resume) paying a pending order with the configured gateway.

    Raises:
        OrderNotPayable: the order is not pending.
        AlreadyPaid: a payment of the order already succeeded.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        payments = Payment.objects.filter(order=order)
        if payments.filter(status__in=CAPTURED).exists():
            raise AlreadyPaid(f"Order {order.number} is already paid.")
        if order.status != OrderStatus.PENDING:
            raise OrderNotPayable(f"Order {order.number} is {order.status}; it cannot be paid.")
        gateway = get_gateway()
        resumable = payments.filter(
            provider=gateway.name, status=PaymentStatus.PENDING, amount=order.total
        ).first()
        if resumable is not None:
            return resumable
        attempt = payments.count() + 1
        intent = gateway.create_payment(
            amount=order.total,
            currency=order.currency,
            reference=order.number,
            idempotency_key=f"{order.pk}:{attempt}",
        )
        return Payment.objects.create(
            order=order,
            provider=gateway.name,
            provider_id=intent.provider_id,
            amount=order.total,
            currency=order.currency,
            client_secret=intent.client_secret,
            redirect_url=intent.redirect_url,
        )


# --- Webhooks -------------------------------------------------------------------------------


def receive_webhook(*, provider: str, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
    """Verify, store and apply a provider's webhook; a duplicate changes nothing.

    Raises:
        KeyError: no such provider is configured.
        InvalidSignature: the signature is missing, wrong or too old (nothing is stored).
    """
    event = get_gateway(provider).parse_webhook(body=body, headers=headers)
    try:
        with transaction.atomic():
            record, _ = WebhookEvent.objects.get_or_create(
                provider=provider,
                event_id=event.event_id,
                defaults={"type": event.type, "payload": event.payload},
            )
    except IntegrityError:  # a concurrent delivery stored it first
        record = WebhookEvent.objects.get(provider=provider, event_id=event.event_id)
    return apply_event(record_id=record.pk, event=event)


def apply_event(*, record_id: int, event: ProviderEvent) -> WebhookEvent:
    """Apply a stored event unless it has been applied already (the row lock serializes)."""
    with transaction.atomic():
        record = WebhookEvent.objects.select_for_update().get(pk=record_id)
        if record.outcome in (Outcome.APPLIED, Outcome.IGNORED):
            return record
        record.attempts += 1
        try:
            with transaction.atomic():
                outcome, detail = _apply(record.provider, event)
        except InvalidTransition as exc:  # the provider's story contradicts ours: keep it
            outcome, detail = Outcome.FAILED, exc.detail
        record.outcome, record.detail = outcome, detail[:255]
        record.processed_at = timezone.now()
        record.save(update_fields=["outcome", "detail", "attempts", "processed_at"])
    metrics.WEBHOOK_EVENTS.labels(provider=record.provider, outcome=outcome).inc()
    if outcome == Outcome.FAILED:
        logger.error("Webhook %s:%s failed: %s", record.provider, record.event_id, detail)
    return record


def _apply(provider: str, event: ProviderEvent) -> tuple[str, str]:
    if event.type not in ("payment.succeeded", "payment.failed", "refund.succeeded"):
        return Outcome.IGNORED, f"Event type {event.type} needs nothing."
    payment = (
        Payment.objects.select_for_update()
        .select_related("order")
        .filter(provider=provider, provider_id=event.provider_payment_id)
        .first()
    )
    if payment is None:
        return Outcome.DEFERRED, "No payment with this id yet."
    if event.type == "payment.succeeded":
        return _succeed(payment, amount=event.amount, currency=event.currency)
    if event.type == "payment.failed":
        return _fail(payment, reason=event.reason)
    return _refunded(payment, total_refunded=event.amount or Decimal(0))


def _move(payment: Payment, to: str) -> None:
    if to not in PAYMENT_TRANSITIONS[payment.status]:
        raise InvalidTransition(f"Payment {payment.pk} is {payment.status}; not {to}.")
    payment.status = to


def _succeed(payment: Payment, *, amount: Decimal | None, currency: str | None) -> tuple[str, str]:
    if payment.status in CAPTURED:
        return Outcome.IGNORED, "Already succeeded."
    other_capture = Payment.objects.filter(order=payment.order_id, status__in=CAPTURED).exclude(
        pk=payment.pk
    )
    if other_capture.exists():
        logger.error("Second capture %s for order %s", payment.provider_id, payment.order_id)
        return Outcome.FAILED, "The order was already paid by another payment: refund this one."
    _move(payment, PaymentStatus.SUCCEEDED)
    transaction.on_commit(metrics.PAYMENTS.labels(status=PaymentStatus.SUCCEEDED).inc)
    order = payment.order
    mismatch = amount != order.total or (currency or "").upper() != order.currency
    payment.amount_mismatch = mismatch
    payment.save(update_fields=["status", "amount_mismatch", "updated_at"])
    if mismatch:
        logger.error(
            "Payment %s captured %s %s for order %s of %s %s: not marked paid",
            payment.provider_id, amount, currency, order.number, order.total, order.currency,
        )  # fmt: skip
        return Outcome.APPLIED, "Amount mismatch: flagged, order not marked paid."
    try:
        mark_order_paid(
            order=order, actor=None, note=f"Paid: {payment.provider} {payment.provider_id}."
        )
    except InvalidTransition:
        logger.error("Payment %s succeeded for %s order %s", payment.pk, order.status, order.number)
        return Outcome.APPLIED, f"Captured, but the order is {order.status}: needs a refund."
    return Outcome.APPLIED, "Order paid."


def _fail(payment: Payment, *, reason: str) -> tuple[str, str]:
    if payment.status != PaymentStatus.PENDING:
        return Outcome.IGNORED, f"Payment is already {payment.status}."
    _move(payment, PaymentStatus.FAILED)
    transaction.on_commit(metrics.PAYMENTS.labels(status=PaymentStatus.FAILED).inc)
    payment.failure_reason = reason[:255]
    payment.save(update_fields=["status", "failure_reason", "updated_at"])
    return Outcome.APPLIED, "Payment failed."


def _refunded(payment: Payment, *, total_refunded: Decimal) -> tuple[str, str]:
    if payment.status == PaymentStatus.PENDING:
        return Outcome.DEFERRED, "Refund seen before the payment's success."
    if payment.status not in CAPTURED:
        return Outcome.FAILED, "Refund for a payment that was never captured."
    if total_refunded <= payment.refunded_amount:
        return Outcome.IGNORED, "Refund already recorded."
    _record_refund_total(payment, total_refunded)
    return Outcome.APPLIED, f"Refunded {total_refunded} in all."


def _record_refund_total(payment: Payment, total_refunded: Decimal) -> None:
    full = total_refunded >= payment.amount
    _move(payment, PaymentStatus.REFUNDED if full else PaymentStatus.PARTIALLY_REFUNDED)
    payment.refunded_amount = min(total_refunded, payment.amount)
    payment.save(update_fields=["status", "refunded_amount", "updated_at"])
    if full and payment.order.status in (OrderStatus.PAID, OrderStatus.FULFILLED):
        refund_order(order=payment.order, actor=None, note="Fully refunded.")


def retry_deferred_events() -> int:
    """Apply deferred events again (their payment may exist now); return how many applied."""
    applied = 0
    for record in WebhookEvent.objects.filter(outcome=Outcome.DEFERRED).order_by("received_at")[
        :200
    ]:
        event = get_gateway(record.provider).parse_stored(record.payload)
        if apply_event(record_id=record.pk, event=event).outcome == Outcome.APPLIED:
            applied += 1
    return applied


# --- Refunds --------------------------------------------------------------------------------


def refund_payment(
    *, order: Order, amount: Decimal | None, reason: str, actor: User | None
) -> Refund:
    """Refund part (or, without `amount`, the rest) of an order's captured payment.

    The order becomes `refunded` once everything is refunded.

    Raises:
        InvalidRefund: nothing captured, a non-positive amount, or more than is left.
        GatewayError: the provider refused.
    """
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update()
            .select_related("order")
            .filter(order=order, status__in=CAPTURED)
            .first()
        )
        if payment is None:
            raise InvalidRefund(f"Order {order.number} has no captured payment to refund.")
        left = payment.amount - payment.refunded_amount
        if left <= 0:
            raise InvalidRefund(f"Order {order.number} is already refunded in full.")
        amount = left if amount is None else amount
        if amount <= 0 or amount > left:
            raise InvalidRefund(
                f"A refund is more than 0 and at most {left} {payment.currency}.",
                errors={"amount": [f"At most {left}."]},
            )
        result = get_gateway(payment.provider).refund(
            provider_id=payment.provider_id,
            amount=amount,
            reason=reason,
            # The amount is part of the key: a retry of a refused refund with another amount
            # is a new request to the provider, not a conflicting replay.
            idempotency_key=f"{payment.pk}:{payment.refunds.count() + 1}:{amount}",
        )
        refund = Refund.objects.create(
            payment=payment,
            amount=amount,
            reason=reason,
            provider_refund_id=result.provider_refund_id,
            created_by=actor,
        )
        webhook_events.publish_refund_created(refund=refund)
        _record_refund_total(payment, payment.refunded_amount + amount)
    return refund


# --- Reconciliation -------------------------------------------------------------------------


def reconcile_pending_payments(*, older_than: timedelta | None = None) -> int:
    """Ask the provider about payments pending too long and settle them; return how many."""
    age = older_than or timedelta(minutes=settings.PAYMENT_RECONCILE_AFTER_MINUTES)
    cutoff = timezone.now() - age
    settled = 0
    for payment in Payment.objects.filter(status=PaymentStatus.PENDING, created_at__lt=cutoff)[
        :200
    ]:
        state = get_gateway(payment.provider).retrieve_payment(provider_id=payment.provider_id)
        if state.status == "pending":
            continue
        event = ProviderEvent(
            event_id=f"reconcile:{payment.provider_id}:{state.status}",
            type=f"payment.{state.status}",
            provider_payment_id=payment.provider_id,
            amount=state.amount,
            currency=state.currency,
        )
        with transaction.atomic():
            record, _ = WebhookEvent.objects.get_or_create(
                provider=payment.provider,
                event_id=event.event_id,
                defaults={"type": event.type, "payload": {"reconciled": True}},
            )
        if apply_event(record_id=record.pk, event=event).outcome == Outcome.APPLIED:
            settled += 1
    return settled

"""Money movements: starting payments, applying provider events exactly once, refunds.

Webhook events are stored once per (provider, event id) and applied under a lock on the
event row, so a replayed or concurrent duplicate changes nothing. An event that arrives
before what it follows (a refund before the payment's success) is deferred and retried.
"""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from apps.cart.pricing import paid_for_units, shipping_charged
from apps.core import metrics
from apps.core.errors import InvalidTransition
from apps.invoices.services import issue_credit_note
from apps.orders import line_counts
from apps.orders.models import SOLD_STATUSES, Order, OrderStatus, ReturnRequest, ReturnStatus
from apps.orders.services.lifecycle import mark_order_paid, refund_order
from apps.orders.services.returns import mark_return
from apps.payments.errors import AlreadyPaid, InvalidRefund, OrderNotPayable
from apps.payments.gateways.base import ProviderEvent, get_gateway
from apps.payments.models import (
    CAPTURED,
    PAYMENT_TRANSITIONS,
    Payment,
    PaymentStatus,
    Refund,
    RefundLine,
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
    # A refund made at the provider (its dashboard, say): recorded like one of ours, so
    # reports, credit notes and the order page know of the money.
    refund = Refund.objects.create(
        payment=payment,
        order=payment.order,
        amount=min(total_refunded, payment.amount) - payment.refunded_amount,
        reason=f"Refunded at {payment.provider}.",
    )
    issue_credit_note(refund=refund)
    webhook_events.publish_refund_created(refund=refund)
    _record_refund_total(payment, total_refunded)
    return Outcome.APPLIED, f"Refunded {total_refunded} in all."


def _record_refund_total(payment: Payment, total_refunded: Decimal) -> None:
    full = total_refunded >= payment.amount
    _move(payment, PaymentStatus.REFUNDED if full else PaymentStatus.PARTIALLY_REFUNDED)
    payment.refunded_amount = min(total_refunded, payment.amount)
    payment.save(update_fields=["status", "refunded_amount", "updated_at"])
    if full and payment.order.status in SOLD_STATUSES:
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


CENT = Decimal("0.01")


@dataclass(frozen=True)
class RefundItem:
    """Refund `quantity` units of the order line `line_id`, at what was paid for them."""

    line_id: int
    quantity: int


def refund_payment(
    *,
    order: Order,
    amount: Decimal | None = None,
    items: Sequence[RefundItem] = (),
    shipping: Decimal = Decimal(0),
    reason: str,
    actor: User | None,
) -> Refund:
    """Refund part (or, with nothing named, the rest) of an order's captured payment.

    Name what the money is for — `items` (each at what the customer paid for it: its share of
    the voucher taken off, tax on top added back) and `shipping` (up to the fee charged) —
    or a free `amount`; not both. The order becomes `refunded` once everything is refunded.

    Raises:
        InvalidRefund: nothing captured; a non-positive amount or more than is left; items of
            another order or refunded already; more shipping than was charged; both an amount
            and items or shipping.
        GatewayError: the provider refused.
    """
    if amount is not None and (items or shipping):
        raise InvalidRefund(
            "Refund either a free amount or items and shipping, not both.",
            errors={"amount": ["Leave out the amount when naming items or shipping."]},
        )
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
        order = payment.order
        refund_lines = _refund_lines(order, items)
        shipping = _refundable_shipping(payment, shipping)
        if items or shipping:
            amount = sum((line.amount for line in refund_lines), shipping)
            # Each line's share is rounded: together they may pass what is left by a cent a
            # line, never more (then the items were paid for by an earlier free refund).
            if amount - left <= CENT * len(refund_lines):
                amount = min(amount, left)
        amount = left if amount is None else amount
        if amount <= 0 or amount > left:
            raise InvalidRefund(
                f"A refund is more than 0 and at most {left} {payment.currency}.",
                errors={"amount": [f"At most {left}."]},
            )
        _count_refunded_units(order, refund_lines)
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
            order=order,
            amount=amount,
            shipping_amount=shipping,
            reason=reason,
            provider_refund_id=result.provider_refund_id,
            created_by=actor,
        )
        for line in refund_lines:
            line.refund = refund
        RefundLine.objects.bulk_create(refund_lines)
        issue_credit_note(refund=refund)
        webhook_events.publish_refund_created(refund=refund)
        _record_refund_total(payment, payment.refunded_amount + amount)
    return refund


def refund_return(
    *,
    request: ReturnRequest,
    shipping: Decimal = Decimal(0),
    reason: str = "",
    actor: User | None,
) -> Refund:
    """Refund the items of a received return (and, if given, part of the shipping fee).

    Raises:
        InvalidTransition: the return has not been received, or was refunded already.
        InvalidRefund: as `refund_payment` (an item refunded already, say).
        GatewayError: the provider refused.
    """
    with transaction.atomic():
        locked = (
            ReturnRequest.objects.select_for_update().select_related("order").get(pk=request.pk)
        )
        if locked.status != ReturnStatus.RECEIVED:
            state = locked.get_status_display().lower()
            raise InvalidTransition(
                f"Return {locked.label} is {state}: only a received return is refunded."
            )
        items = [
            RefundItem(line_id=line_id, quantity=quantity)
            for line_id, quantity in locked.lines.values_list("order_line_id", "quantity")
        ]
        refund = refund_payment(
            order=locked.order,
            items=items,
            shipping=shipping,
            reason=reason or f"Return {locked.label}",
            actor=actor,
        )
        refund.return_request = locked
        refund.save(update_fields=["return_request", "updated_at"])
        mark_return(
            locked,
            to=ReturnStatus.REFUNDED,
            actor=actor,
            note=f"{refund.amount} {locked.order.currency} refunded",
        )
    return refund


def _refund_lines(order: Order, items: Sequence[RefundItem]) -> list[RefundLine]:
    """Return the refund's lines (unsaved), each at what was paid for its units.

    Raises:
        InvalidRefund: a line of another order, a quantity below 1, or more than is left to
            refund of a line.
    """
    if not items:
        return []
    lines = {line.pk: line for line in order.lines.all()}
    wanted = line_counts.add_up(
        lines,
        ((item.line_id, item.quantity) for item in items),
        error=InvalidRefund,
        field="items",
        verb="refund",
    )
    if over := line_counts.over_limit(lines, wanted, left="quantity_to_refund", verb="refund"):
        raise InvalidRefund(
            "A refund cannot cover more items than were bought.", errors={"items": over}
        )
    goods_total = order.subtotal - order.discount_total
    return [
        RefundLine(
            order_line=lines[pk],
            quantity=quantity,
            amount=paid_for_units(
                unit_price=lines[pk].unit_price,
                quantity=quantity,
                goods_total=goods_total,
                voucher_discount=order.voucher_discount,
                tax_rate=order.tax_rate,
                prices_include_tax=order.prices_include_tax,
                currency=order.currency,
            ),
        )
        for pk, quantity in wanted.items()
    ]


def _refundable_shipping(payment: Payment, shipping: Decimal) -> Decimal:
    """Return `shipping` if that much of the fee is left to refund (the payment is locked).

    Raises:
        InvalidRefund: a negative amount, or more than the fee charged less what was refunded.
    """
    if not shipping:
        return Decimal(0)
    order = payment.order
    charged = shipping_charged(
        shipping_total=order.shipping_total,
        tax_rate=order.tax_rate,
        prices_include_tax=order.prices_include_tax,
        currency=order.currency,
    )
    refunded = payment.refunds.aggregate(total=Sum("shipping_amount"))["total"] or Decimal(0)
    if shipping < 0 or shipping > charged - refunded:
        raise InvalidRefund(
            f"At most {charged - refunded} {order.currency} of the shipping fee is left to refund.",
            errors={"shipping": [f"At most {charged - refunded}."]},
        )
    return shipping


def _count_refunded_units(order: Order, lines: Sequence[RefundLine]) -> None:
    """Raise each line's refunded count in one UPDATE, only where enough is left.

    The payment lock serializes refunds of an order; the condition and the constraint hold
    the counts even so.

    Raises:
        InvalidRefund: a line was refunded meanwhile.
    """
    counts = {line.order_line_id: line.quantity for line in lines}
    if counts and not line_counts.raise_counts(order, counts, counter="refunded_quantity"):
        raise InvalidRefund("A refund cannot cover more items than were bought.")


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

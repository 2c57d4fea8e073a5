"""Order lifecycle: every status change goes through `transition_order`, which audits it."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.cart.models import VoucherUsage
from apps.catalog.cache import bump_catalog_version_on_commit
from apps.catalog.services import mark_verified_purchases
from apps.core.errors import InvalidTransition
from apps.invoices.services import issue_invoice
from apps.orders import locks, tasks
from apps.orders.emails import FOR_STATUS
from apps.orders.models import SHIPPING_STATUSES, TRANSITIONS, Order, OrderEvent, OrderStatus
from apps.users.models import User
from apps.webhooks import events as webhook_events


def transition_order(*, order: Order, to: str, actor: User | None, note: str = "") -> Order:
    """Move an order to status `to`, as the lifecycle allows, and record who did it and why.

    The order row is locked first, so of two concurrent transitions only the first applies;
    the second sees the new status. Cancelling a pending order puts its stock back and
    releases its voucher use. The shipping statuses are not set here: they follow from
    shipments (`apps.orders.services.shipments`).

    Raises:
        InvalidTransition: the lifecycle has no step from the current status to `to`, or `to`
            is a shipping status.
    """
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if to in SHIPPING_STATUSES:
            raise InvalidTransition(
                f"Order {locked.number} becomes {to} by shipping its items: create a shipment.",
            )
        if to not in TRANSITIONS[locked.status]:
            raise InvalidTransition(
                f"Order {locked.number} is {locked.status}; it cannot become {to}.",
            )
        record_transition(locked, to=to, actor=actor, note=note)
    order.status = locked.status
    return locked


def record_transition(locked: Order, *, to: str, actor: User | None, note: str = "") -> None:
    """Set a locked order's status to `to` and do what reaching it entails; audit the step.

    The caller holds the order's row lock and has checked that the lifecycle allows the step
    (or, for another shipment of a partially shipped order, that the status stays).
    """
    from_status = locked.status
    if from_status != to:
        locked.status = to
        locked.save(update_fields=["status", "updated_at"])
    OrderEvent.objects.create(
        order=locked, actor=actor, from_status=from_status, to_status=to, note=note
    )
    if to in FOR_STATUS and from_status != to:
        kind = FOR_STATUS[to]
        transaction.on_commit(
            lambda: tasks.send_order_email.delay(str(locked.pk), kind), robust=True
        )
    if to == OrderStatus.PAID:
        issue_invoice(order=locked)
        webhook_events.publish_order_paid(order=locked)
    if to == OrderStatus.PAID and locked.user is not None:
        product_ids = locked.lines.exclude(product=None).values_list("product_id", flat=True)
        mark_verified_purchases(user=locked.user, product_ids=product_ids)
    if to == OrderStatus.CANCELLED:
        quantities: dict[int, int] = {}
        for variant_id, quantity in locked.lines.filter(variant__isnull=False).values_list(
            "variant_id", "quantity"
        ):
            quantities[variant_id] = quantities.get(variant_id, 0) + quantity
        locks.return_stock(quantities)
        _release_voucher(locked)
        bump_catalog_version_on_commit()


def _release_voucher(order: Order) -> None:
    """Give a cancelled order's voucher use back (to the code's total and the customer's)."""
    usage = VoucherUsage.objects.filter(order=order).first()
    if usage is None:
        return
    voucher = locks.lock_voucher(usage.voucher_id)
    if voucher is not None and voucher.used_count > 0:
        voucher.used_count -= 1
        voucher.save(update_fields=["used_count", "updated_at"])
    usage.delete()


def cancel_order(*, order: Order, actor: User | None, note: str = "") -> Order:
    """Cancel a pending order, restock it and give back its voucher use (once, however often
    it is asked).

    Raises:
        InvalidTransition: the order is no longer pending.
    """
    return transition_order(order=order, to=OrderStatus.CANCELLED, actor=actor, note=note)


def mark_order_paid(*, order: Order, actor: User | None, note: str = "") -> Order:
    return transition_order(order=order, to=OrderStatus.PAID, actor=actor, note=note)


def refund_order(*, order: Order, actor: User | None, note: str = "") -> Order:
    """Mark a paid (or shipped) order refunded; stock is not put back: goods may not return."""
    return transition_order(order=order, to=OrderStatus.REFUNDED, actor=actor, note=note)


def expire_unpaid_orders() -> int:
    """Cancel and restock pending orders older than ORDER_PAYMENT_WINDOW_MINUTES."""
    cutoff = timezone.now() - timedelta(minutes=settings.ORDER_PAYMENT_WINDOW_MINUTES)
    expired = 0
    for order in Order.objects.filter(status=OrderStatus.PENDING, created_at__lt=cutoff):
        try:
            cancel_order(order=order, actor=None, note="Not paid in time.")
        except InvalidTransition:
            continue  # paid or cancelled meanwhile
        expired += 1
    return expired

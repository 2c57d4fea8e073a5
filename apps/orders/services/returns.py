"""Returns (RMAs): a customer asks to send shipped items back; staff approve or reject the
request, receive the parcel (putting the items back into stock or not), then refund it.

requested → approved | rejected, approved → received | rejected, received → refunded (by
`apps.payments.services.refund_return`). Each step is audited as an order event. The items a
return takes back are counted on their lines (`returned_quantity`, at most what shipped), so
two requests cannot return the same item; rejecting a request gives its count back.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from apps.catalog.cache import bump_catalog_version_on_commit
from apps.core.errors import InvalidTransition
from apps.orders import line_counts, locks
from apps.orders.errors import ReturnInvalid, ReturnNotAllowed
from apps.orders.models import (
    RETURN_TRANSITIONS,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    ReturnLine,
    ReturnRequest,
    ReturnStatus,
    ShipmentLine,
)
from apps.users.models import User

# Orders whose shipped items may be asked back.
RETURNABLE_STATUSES = (OrderStatus.PARTIALLY_FULFILLED, OrderStatus.FULFILLED)


@dataclass(frozen=True)
class ReturnItem:
    """`quantity` of the order line `line_id` goes back."""

    line_id: int
    quantity: int


def return_deadlines(order: Order) -> dict[int, datetime]:
    """Return, per shipped line of the order, until when it may be asked back (one query)."""
    window = timedelta(days=settings.RETURN_WINDOW_DAYS)
    last_shipped = (
        ShipmentLine.objects.filter(order_line__order=order)
        .values("order_line_id")
        .annotate(at=Max("shipment__created_at"))
        .values_list("order_line_id", "at")
    )
    return {line_id: at + window for line_id, at in last_shipped}


def returnable_lines(order: Order) -> list[OrderLine]:
    """Return the lines of an order (its lines loaded) that may be asked back now."""
    if order.status not in RETURNABLE_STATUSES:
        return []
    deadlines = return_deadlines(order)
    now = timezone.now()
    return [
        line
        for line in order.lines.all()
        if line.quantity_returnable and deadlines.get(line.pk, now) >= now
    ]


def request_return(
    *,
    order: Order,
    items: Iterable[ReturnItem],
    reason: str,
    comment: str = "",
    actor: User | None,
) -> ReturnRequest:
    """Ask to return shipped items of an order, within `RETURN_WINDOW_DAYS` of their shipping.

    Raises:
        ReturnInvalid: a line of another order, or a quantity below 1.
        ReturnNotAllowed: the order has not shipped (or is refunded); an item is more than
            was shipped and not returned already; the window of an item has closed.
    """
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status not in RETURNABLE_STATUSES:
            state = locked.get_status_display().lower()
            raise ReturnNotAllowed(
                f"Order {locked.number} is {state}: only shipped items can be returned."
            )
        lines = {line.pk: line for line in locked.lines.all()}
        wanted = line_counts.add_up(
            lines,
            ((item.line_id, item.quantity) for item in items),
            error=ReturnInvalid,
            field="items",
            verb="return",
        )
        if not wanted:
            raise ReturnInvalid(
                "Name the items to return.", errors={"items": ["Name at least one item."]}
            )
        if over := line_counts.over_limit(lines, wanted, left="quantity_returnable", verb="return"):
            raise ReturnNotAllowed(
                "Only items shipped and not returned already can be returned.",
                errors={"items": over},
            )
        _check_window(locked, lines, wanted)
        if not line_counts.raise_counts(
            locked, wanted, counter="returned_quantity", limit="shipped_quantity"
        ):
            raise ReturnNotAllowed("Only items shipped and not returned already can be returned.")
        request = ReturnRequest.objects.create(
            order=locked,
            number=locked.returns.count() + 1,
            reason=reason,
            comment=comment.strip(),
            requested_by=actor,
        )
        ReturnLine.objects.bulk_create(
            ReturnLine(return_request=request, order_line_id=line_id, quantity=quantity)
            for line_id, quantity in wanted.items()
        )
        summary = ", ".join(f"{n} x {lines[pk].sku}" for pk, n in wanted.items())
        _audit(request, actor, f"requested: {summary} ({request.get_reason_display()})")
    return request


def _check_window(order: Order, lines: dict[int, OrderLine], wanted: dict[int, int]) -> None:
    deadlines = return_deadlines(order)
    now = timezone.now()
    closed = [
        f"Line {pk} ({lines[pk].sku}) could be returned until {deadlines[pk]:%Y-%m-%d %H:%M} UTC."
        for pk in wanted
        if deadlines.get(pk) is not None and deadlines[pk] < now
    ]
    if closed:
        raise ReturnNotAllowed(
            f"Items can be returned within {settings.RETURN_WINDOW_DAYS} days of shipping.",
            errors={"items": closed},
        )


def approve_return(*, request: ReturnRequest, actor: User | None, note: str = "") -> ReturnRequest:
    """Accept a requested return: the customer may send the items back.

    Raises:
        InvalidTransition: the return is no longer requested.
    """
    return _move(request, to=ReturnStatus.APPROVED, actor=actor, note=note)


def reject_return(*, request: ReturnRequest, actor: User | None, note: str = "") -> ReturnRequest:
    """Refuse a requested (or approved, never received) return; its items may be asked again.

    Raises:
        InvalidTransition: the return was received or decided already.
    """
    return _move(request, to=ReturnStatus.REJECTED, actor=actor, note=note)


def receive_return(
    *, request: ReturnRequest, restock: bool, actor: User | None, note: str = ""
) -> ReturnRequest:
    """Record that an approved return's parcel arrived; with `restock`, its items go back on
    sale (those whose variant still exists).

    Raises:
        InvalidTransition: the return is not approved.
    """
    return _move(request, to=ReturnStatus.RECEIVED, actor=actor, note=note, restock=restock)


def _move(
    request: ReturnRequest, *, to: str, actor: User | None, note: str, restock: bool = False
) -> ReturnRequest:
    with transaction.atomic():
        Order.objects.select_for_update().filter(pk=request.order_id).first()  # order's lock
        locked = ReturnRequest.objects.select_for_update().get(pk=request.pk)
        mark_return(locked, to=to, actor=actor, note=note)
        if to == ReturnStatus.REJECTED:
            _give_back_counts(locked)
        if restock:
            _restock(locked)
    return locked


def mark_return(locked: ReturnRequest, *, to: str, actor: User | None, note: str = "") -> None:
    """Move a locked return to `to`, as the return lifecycle allows, and audit the step.

    Raises:
        InvalidTransition: the lifecycle has no step from the return's status to `to`.
    """
    if to not in RETURN_TRANSITIONS[locked.status]:
        raise InvalidTransition(
            f"Return {locked.label} is {locked.get_status_display().lower()}; it cannot "
            f"become {ReturnStatus(to).label.lower()}."
        )
    locked.status = to
    locked.staff_note = note.strip()[:500] or locked.staff_note
    locked.save(update_fields=["status", "staff_note", "updated_at"])
    _audit(
        locked, actor, ReturnStatus(to).label.split(":")[0].lower() + (f": {note}" if note else "")
    )


def _give_back_counts(request: ReturnRequest) -> None:
    for line_id, quantity in request.lines.values_list("order_line_id", "quantity"):
        OrderLine.objects.filter(pk=line_id).update(
            returned_quantity=F("returned_quantity") - quantity
        )


def _restock(request: ReturnRequest) -> None:
    quantities: dict[int, int] = {}
    for variant_id, quantity in request.lines.filter(order_line__variant__isnull=False).values_list(
        "order_line__variant_id", "quantity"
    ):
        quantities[variant_id] = quantities.get(variant_id, 0) + quantity
    locks.return_stock(quantities)
    ReturnRequest.objects.filter(pk=request.pk).update(restocked=True)
    request.restocked = True
    bump_catalog_version_on_commit()


def _audit(request: ReturnRequest, actor: User | None, what: str) -> None:
    status = Order.objects.values_list("status", flat=True).get(pk=request.order_id)
    OrderEvent.objects.create(
        order_id=request.order_id,
        actor=actor,
        from_status=status,
        to_status=status,
        note=f"Return {request.label} {what}.",
    )

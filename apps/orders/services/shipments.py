"""Shipments: staff send an order's goods in one parcel or several; the order's status follows.

An order is partially fulfilled while some of its quantity is still to ship, and fulfilled
once every line has shipped in full. How much of a line has shipped is kept on the line
(`shipped_quantity`), raised by one conditional UPDATE per shipment under the order's row
lock, and a database constraint keeps it at most the ordered quantity whatever happens.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from apps.core.errors import InvalidTransition
from apps.orders import line_counts, tasks
from apps.orders.carriers import canonical_carrier, tracking_url_for
from apps.orders.errors import NothingToShip, ShipmentExceedsOrder, ShipmentInvalid
from apps.orders.models import (
    SHIPPABLE_STATUSES,
    Order,
    OrderEmail,
    OrderLine,
    OrderStatus,
    Shipment,
    ShipmentLine,
)
from apps.orders.services.lifecycle import record_transition
from apps.users.models import User
from apps.webhooks import events as webhook_events


@dataclass(frozen=True)
class ShipmentItem:
    """`quantity` of the order line `line_id` goes into the parcel."""

    line_id: int
    quantity: int


def create_shipment(
    *,
    order: Order,
    items: Iterable[ShipmentItem] | None,
    actor: User | None,
    carrier: str = "",
    tracking_number: str = "",
    tracking_url: str = "",
    note: str = "",
) -> Shipment:
    """Record a parcel carrying `items` of a paid order (None: everything left to ship).

    The order becomes partially fulfilled, or fulfilled once nothing is left to ship; the
    step is audited, the customer gets an e-mail about this parcel, and `shipment.created`
    is published to the shop's webhook endpoints. A known carrier's tracking URL is filled
    in from the tracking number when none is given.

    Raises:
        InvalidTransition: the order is not paid (or is refunded, cancelled, fulfilled).
        ShipmentInvalid: an item names a line of another order, or a quantity below 1.
        ShipmentExceedsOrder: an item is more than is left to ship of its line.
        NothingToShip: no item given, or nothing left to ship.
    """
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status not in SHIPPABLE_STATUSES:
            state = locked.get_status_display().lower()
            raise InvalidTransition(
                f"Order {locked.number} is {state}: only a paid order can be shipped."
            )
        lines = {line.pk: line for line in locked.lines.all()}
        wanted = _wanted_quantities(lines, items)
        _ship_lines(locked, wanted)
        for line_id, quantity in wanted.items():
            lines[line_id].shipped_quantity += quantity
        carrier = canonical_carrier(carrier)
        tracking_number = tracking_number.strip()
        shipment = Shipment.objects.create(
            order=locked,
            number=locked.shipments.count() + 1,
            carrier=carrier,
            tracking_number=tracking_number,
            tracking_url=tracking_url.strip()
            or tracking_url_for(carrier=carrier, tracking_number=tracking_number),
            note=note.strip(),
            created_by=actor,
        )
        shipment_lines = ShipmentLine.objects.bulk_create(
            ShipmentLine(shipment=shipment, order_line_id=line_id, quantity=quantity)
            for line_id, quantity in wanted.items()
        )
        done = all(line.shipped_quantity == line.quantity for line in lines.values())
        record_transition(
            locked,
            to=OrderStatus.FULFILLED if done else OrderStatus.PARTIALLY_FULFILLED,
            actor=actor,
            note=_event_note(shipment, sum(line.quantity for line in shipment_lines)),
        )
        webhook_events.publish_shipment_created(
            shipment=shipment, items=[(lines[pk], quantity) for pk, quantity in wanted.items()]
        )
        transaction.on_commit(
            lambda: tasks.send_order_email.delay(
                str(locked.pk), OrderEmail.Kind.SHIPPED, shipment_id=str(shipment.pk)
            ),
            robust=True,
        )
    order.status = locked.status
    return shipment


def fulfil_order(*, order: Order, actor: User | None, tracking_note: str = "") -> Shipment:
    """Ship everything left of a paid order in one parcel, described by `tracking_note`.

    Raises:
        InvalidTransition: the order is not paid.
        NothingToShip: every line has shipped already.
    """
    return create_shipment(order=order, items=None, actor=actor, note=tracking_note)


def _wanted_quantities(
    lines: dict[int, OrderLine], items: Iterable[ShipmentItem] | None
) -> dict[int, int]:
    """Return line id → quantity to ship, in line order, checked against what is left."""
    if items is None:
        wanted = {pk: line.quantity_to_ship for pk, line in sorted(lines.items())}
    else:
        wanted = line_counts.add_up(
            lines,
            ((item.line_id, item.quantity) for item in items),
            error=ShipmentInvalid,
            field="lines",
            verb="ship",
        )
    if over := line_counts.over_limit(lines, wanted, left="quantity_to_ship", verb="ship"):
        raise ShipmentExceedsOrder(
            "A shipment cannot carry more than is left to ship.", errors={"lines": over}
        )
    wanted = {pk: quantity for pk, quantity in wanted.items() if quantity > 0}
    if not wanted:
        raise NothingToShip(
            "Nothing is left to ship." if items is None else "The shipment carries no items."
        )
    return wanted


def _ship_lines(order: Order, wanted: dict[int, int]) -> None:
    """Raise each line's shipped quantity in one UPDATE, only where enough is left to ship.

    The condition and the constraint guard the lines even from a writer that skipped the
    order lock; then fewer rows change than were asked, and nothing is written.
    """
    if not line_counts.raise_counts(order, wanted, counter="shipped_quantity"):
        raise ShipmentExceedsOrder("A shipment cannot carry more than is left to ship.")


def _event_note(shipment: Shipment, items: int) -> str:
    parts = [f"Shipment {shipment.number}: {items} item{'s' if items != 1 else ''}"]
    tracking = " ".join(part for part in (shipment.carrier, shipment.tracking_number) if part)
    if tracking:
        parts.append(tracking)
    if shipment.note:
        parts.append(shipment.note)
    note = ". ".join(parts)
    return note if note.endswith((".", "!", "?")) else f"{note}."

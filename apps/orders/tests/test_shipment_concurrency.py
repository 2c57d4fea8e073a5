"""Concurrency proofs on PostgreSQL: parallel shipments never carry more than was ordered.

Staff (or a warehouse system) may record parcels of the same order at the same moment. The
order's row lock serializes `create_shipment`; beneath it, the conditional UPDATE of the
lines' shipped quantity and the `shipped_quantity <= quantity` constraint hold even for a
writer that skips the lock. Threads with their own connections, released together.
"""

from collections import Counter
from collections.abc import Callable
from functools import partial

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from apps.core.tests.concurrency import require_postgresql, run_at_once
from apps.core.tests.helpers import client_for
from apps.orders.errors import ShipmentExceedsOrder
from apps.orders.models import Order, OrderEvent, OrderLine, OrderStatus, Shipment
from apps.orders.services.shipments import _ship_lines
from apps.orders.tests.factories import OrderLineFactory
from apps.orders.tests.test_concurrency import Answer, assert_problem, post
from apps.users.tests.factories import SuperUserFactory

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _real_postgresql() -> None:
    require_postgresql()
    # One request first, in this thread: the metrics middleware registers its collectors
    # once per process, and threads doing that together would collide.
    assert APIClient().get("/healthz").status_code == 200


def paid_line(quantity: int) -> OrderLine:
    return OrderLineFactory.create(order__status=OrderStatus.PAID, quantity=quantity)


def ship(line: OrderLine, quantity: int) -> Callable[[], Answer]:
    """Record a parcel of `quantity` of the line, as a staff member of one's own."""
    client = client_for(SuperUserFactory.create())
    body = {"items": [{"line": line.pk, "quantity": quantity}]}
    return partial(post, client, f"/api/v1/staff/orders/{line.order_id}/shipments/", body)


def test_many_staff_shipping_the_last_units_at_once_ship_them_once() -> None:
    """12 staff each send the whole line (2 units) at once: one parcel, 11 refusals."""
    line = paid_line(quantity=2)
    senders = [ship(line, 2) for _ in range(12)]

    answers = run_at_once(senders)

    statuses = Counter(answer.status for answer in answers)
    print(f"\n[shipment race, whole line] statuses {dict(statuses)}")  # noqa: T201
    assert statuses == {201: 1, 409: 11}, [str(answer) for answer in answers]
    for answer in answers:
        if answer.status == 409:
            # The order is fulfilled once the first parcel commits: no step ships it again.
            assert_problem(answer, status=409, code="invalid_transition")
    line.refresh_from_db()
    assert line.shipped_quantity == 2
    assert Shipment.objects.count() == 1
    assert Order.objects.get(pk=line.order_id).status == OrderStatus.FULFILLED


def test_parcels_of_one_unit_sent_at_once_stop_at_the_ordered_quantity() -> None:
    """16 parcels of 1 of a line of 10, at once: 10 go out, numbered 1 to 10; 6 are refused."""
    line = paid_line(quantity=10)

    answers = run_at_once([ship(line, 1) for _ in range(16)])

    statuses = Counter(answer.status for answer in answers)
    print(f"\n[shipment race, one unit each] statuses {dict(statuses)}")  # noqa: T201
    assert statuses == {201: 10, 409: 6}, [str(answer) for answer in answers]
    line.refresh_from_db()
    assert line.shipped_quantity == 10
    numbers = sorted(Shipment.objects.values_list("number", flat=True))
    assert numbers == list(range(1, 11))
    order = Order.objects.get(pk=line.order_id)
    assert order.status == OrderStatus.FULFILLED
    assert OrderEvent.objects.filter(order=order).count() == 10  # one audited step per parcel


def test_the_conditional_update_holds_without_the_order_lock() -> None:
    """Writers that skip the order lock and raise the count directly still stop at 5 of 5."""
    line = paid_line(quantity=5)
    order = Order.objects.get(pk=line.order_id)

    def raise_by_one() -> str:
        try:
            with transaction.atomic():
                _ship_lines(order, {line.pk: 1})
        except ShipmentExceedsOrder:
            return "refused"
        return "shipped"

    outcomes = Counter(run_at_once([raise_by_one] * 12))

    assert outcomes == {"shipped": 5, "refused": 7}
    line.refresh_from_db()
    assert line.shipped_quantity == 5

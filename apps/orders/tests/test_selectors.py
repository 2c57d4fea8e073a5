"""Order reads: scoped to their owner, in a fixed and small number of queries."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from apps.core.errors import NotFound
from apps.orders import selectors
from apps.orders.models import Order, OrderStatus
from apps.orders.services.lifecycle import mark_order_paid
from apps.orders.services.returns import ReturnItem, request_return
from apps.orders.services.shipments import ShipmentItem, create_shipment
from apps.orders.tests.factories import OrderFactory, OrderLineFactory, set_created_at
from apps.payments.models import Payment, PaymentStatus, Refund, RefundLine
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2031, 3, 1, 9, 0, tzinfo=UTC)


def test_list_orders_is_one_query_with_item_counts(user, django_assert_num_queries):
    older, newer = OrderFactory.create(user=user), OrderFactory.create(user=user)
    set_created_at(older, T0)
    set_created_at(newer, T0 + timedelta(minutes=1))
    OrderLineFactory.create_batch(3, order=newer, quantity=4)
    OrderLineFactory.create(order=OrderFactory.create(user=UserFactory.create()), quantity=9)

    with django_assert_num_queries(1):
        page = selectors.list_orders(user=user, status=None, cursor=None, page_size=10)

    assert [(order.pk, order.item_count) for order in page.items] == [  # type: ignore[attr-defined]
        (newer.pk, 12),
        (older.pk, 0),
    ]
    assert (page.next_cursor, page.previous_cursor) == (None, None)


def test_list_orders_of_one_status(user):
    OrderFactory.create(user=user, status=OrderStatus.PENDING)
    paid = OrderFactory.create(user=user, status=OrderStatus.PAID)

    page = selectors.list_orders(user=user, status=OrderStatus.PAID, cursor=None, page_size=10)

    assert [order.pk for order in page.items] == [paid.pk]


@pytest.mark.parametrize("parcels", [1, 3])
def test_get_order_loads_its_parcels_refunds_returns_and_events_in_nine_queries(
    user, django_assert_num_queries, parcels
):
    order = OrderFactory.create(user=user)
    lines = OrderLineFactory.create_batch(3, order=order, quantity=3)
    mark_order_paid(order=order, actor=None)
    payment = Payment.objects.create(
        order=order, provider="sandbox", provider_id="pi_1", amount=order.total,
        currency=order.currency, status=PaymentStatus.SUCCEEDED,
    )  # fmt: skip
    for _ in range(parcels):
        create_shipment(
            order=order,
            items=[ShipmentItem(line_id=line.pk, quantity=1) for line in lines],
            actor=None,
        )
        refund = Refund.objects.create(payment=payment, order=order, amount=Decimal("1.00"))
        RefundLine.objects.bulk_create(
            RefundLine(refund=refund, order_line=line, quantity=1, amount=Decimal("0.50"))
            for line in lines[:2]
        )
        request_return(
            order=order,
            items=[ReturnItem(line_id=lines[2].pk, quantity=1)],
            reason="damaged",
            actor=None,
        )

    # The order, its lines, shipments, what they carry (with its lines), refunds, what they
    # were for, returns, what they take back, events: however many of each.
    with django_assert_num_queries(9):
        found = selectors.get_order(user=user, order_id=order.pk)
        assert (len(found.lines.all()), len(found.events.all())) == (3, 1 + 2 * parcels)
        shipments = found.shipments.all()
        assert [len(shipment.lines.all()) for shipment in shipments] == [3] * parcels
        assert {item.order_line.sku for item in shipments[0].lines.all()} == {
            line.sku for line in lines
        }
        refunds = found.refunds.all()
        assert [len(refund.lines.all()) for refund in refunds] == [2] * parcels
        assert refunds[0].lines.all()[0].order_line.sku == lines[0].sku
        returns = found.returns.all()
        assert [r.lines.all()[0].order_line.sku for r in returns] == [lines[2].sku] * parcels


def test_get_order_of_someone_else_is_not_found(user):
    order = OrderFactory.create(user=UserFactory.create())

    with pytest.raises(NotFound):
        selectors.get_order(user=user, order_id=order.pk)


def test_find_guest_order_ignores_case_and_surrounding_spaces():
    order = OrderFactory.create(number="EMP-2031-000042", email="Guest@Example.com")

    found = selectors.find_guest_order(number=" emp-2031-000042 ", email=" GUEST@example.COM ")

    assert found.pk == order.pk
    with pytest.raises(NotFound):
        selectors.find_guest_order(number=order.number, email="other@example.com")
    with pytest.raises(NotFound):
        selectors.find_guest_order(number="EMP-2031-000043", email=order.email)


def test_order_stats_is_one_query(user, django_assert_num_queries):
    for status, total in [(OrderStatus.PAID, "12.34"), (OrderStatus.FULFILLED, "0.66")]:
        OrderFactory.create(user=user, status=status, total=Decimal(total))
    OrderFactory.create(user=user, status=OrderStatus.REFUNDED, total=Decimal(100))

    with django_assert_num_queries(1):
        stats = selectors.order_stats(user=user)

    assert stats["order_count"] == 3
    assert stats["total_spent"] == "13.00"
    assert stats["by_status"][OrderStatus.REFUNDED] == 1


def test_staff_list_orders_searches_number_email_and_sku(django_assert_num_queries):
    by_number = OrderFactory.create(number="EMP-2031-000007")
    by_email = OrderFactory.create(email="Someone@Example.com")
    by_sku = OrderLineFactory.create(sku="MUG-RED").order
    OrderLineFactory.create_batch(2, order=by_sku, sku="OTHER")  # one match, listed once

    def search(term: str) -> list[Order]:
        return selectors.staff_list_orders(
            status=None, search=term, cursor=None, page_size=10
        ).items

    with django_assert_num_queries(1):
        assert [o.pk for o in search("emp-2031-000007")] == [by_number.pk]
    assert [o.pk for o in search("someone@example.com")] == [by_email.pk]
    assert [o.pk for o in search("mug-red")] == [by_sku.pk]
    assert search("MUG") == []

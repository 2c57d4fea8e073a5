"""Shipments: an order ships in one parcel or several, never more than was ordered.

The order is partially fulfilled while something is left to ship and fulfilled once nothing
is; each parcel is an audited step and an e-mail of its own; staff record parcels through the
API (with an Idempotency-Key) and the admin; customers see them, with tracking, on the order.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.db.models import F

from apps.core.errors import InvalidTransition
from apps.core.permissions import SUPPORT
from apps.core.tests.helpers import assert_problem, client_for
from apps.core.tests.roles import staff_with_role
from apps.orders import tasks
from apps.orders.carriers import tracking_url_for
from apps.orders.errors import NothingToShip, ShipmentExceedsOrder, ShipmentInvalid
from apps.orders.models import Order, OrderEmail, OrderEvent, OrderLine, OrderStatus, Shipment
from apps.orders.services.lifecycle import mark_order_paid, refund_order
from apps.orders.services.shipments import ShipmentItem, create_shipment
from apps.orders.tests.factories import (
    OrderFactory,
    OrderLineFactory,
    buy,
    make_variant,
    order_url,
    staff_client,
    staff_order_url,
)
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SHIPPED = OrderEmail.Kind.SHIPPED
T0 = datetime(2031, 3, 1, 9, 0, tzinfo=UTC)


def shipments_url(order: Order) -> str:
    return f"{staff_order_url(order)}shipments/"


def lines_of(order: Order) -> dict[str, OrderLine]:
    return {line.sku: line for line in order.lines.all()}


def shipped(order: Order) -> dict[str, int]:
    return dict(order.lines.values_list("sku", "shipped_quantity"))


@pytest.fixture
def order(user) -> Order:
    """A paid order of 2 lamps and 3 bulbs, placed by `user`."""
    lamp = make_variant(sku="LAMP", price="25.00", stock=10, name="Large")
    bulb = make_variant(sku="BULB", price="4.00", stock=10)
    placed = buy({lamp: 2, bulb: 3}, user=user, email="ada@example.com")
    mark_order_paid(order=placed, actor=None, note="Paid.")
    mail.outbox.clear()
    return placed


def items(order: Order, **quantities: int) -> list[ShipmentItem]:
    by_sku = lines_of(order)
    return [ShipmentItem(line_id=by_sku[sku].pk, quantity=n) for sku, n in quantities.items()]


# --- The service ----------------------------------------------------------------------------


def test_an_order_ships_in_two_parcels_and_its_status_follows(order):
    first = create_shipment(
        order=order, items=items(order, LAMP=1, BULB=3), actor=None, carrier="dhl",
        tracking_number="00340434161094042557",
    )  # fmt: skip

    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_FULFILLED
    assert shipped(order) == {"LAMP": 1, "BULB": 3}
    assert (first.number, first.carrier) == (1, "DHL")
    assert first.tracking_url == tracking_url_for(
        carrier="DHL", tracking_number="00340434161094042557"
    )
    assert dict(first.lines.values_list("order_line__sku", "quantity")) == {"LAMP": 1, "BULB": 3}

    second = create_shipment(order=order, items=items(order, LAMP=1), actor=None)

    order.refresh_from_db()
    assert order.status == OrderStatus.FULFILLED
    assert shipped(order) == {"LAMP": 2, "BULB": 3}
    assert (second.number, second.carrier, second.tracking_url) == (2, "", "")
    steps = list(
        OrderEvent.objects.filter(order=order).values_list("from_status", "to_status", "note")
    )
    assert steps[-2:] == [
        (
            OrderStatus.PAID,
            OrderStatus.PARTIALLY_FULFILLED,
            "Shipment 1: 4 items. DHL 00340434161094042557.",
        ),
        (OrderStatus.PARTIALLY_FULFILLED, OrderStatus.FULFILLED, "Shipment 2: 1 item."),
    ]


def test_three_parcels_keep_the_order_partially_fulfilled_until_the_last(order):
    create_shipment(order=order, items=items(order, BULB=1), actor=None)
    create_shipment(order=order, items=items(order, BULB=1), actor=None)

    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_FULFILLED
    # A parcel that changes no status is audited all the same.
    last = OrderEvent.objects.filter(order=order).last()
    assert last is not None
    assert (last.from_status, last.to_status, last.note) == (
        OrderStatus.PARTIALLY_FULFILLED,
        OrderStatus.PARTIALLY_FULFILLED,
        "Shipment 2: 1 item.",
    )

    create_shipment(order=order, items=None, actor=None)  # the rest

    order.refresh_from_db()
    assert order.status == OrderStatus.FULFILLED
    assert list(order.shipments.values_list("number", flat=True)) == [1, 2, 3]
    assert dict(order.shipments.get(number=3).lines.values_list("order_line__sku", "quantity")) == {
        "LAMP": 2,
        "BULB": 1,
    }


def test_items_of_the_same_line_are_added_up(order):
    shipment = create_shipment(order=order, items=items(order, LAMP=1) * 2, actor=None)

    assert list(shipment.lines.values_list("quantity", flat=True)) == [2]
    assert shipped(order) == {"LAMP": 2, "BULB": 0}


@pytest.mark.parametrize(
    ("quantities", "error", "message"),
    [
        ({"LAMP": 3}, ShipmentExceedsOrder, "2 left to ship, not 3"),
        ({"LAMP": 0}, ShipmentInvalid, "at least 1"),
        ({"LAMP": -1}, ShipmentInvalid, "at least 1"),
        ({"LAMP": 2, "BULB": 4}, ShipmentExceedsOrder, "3 left to ship, not 4"),
    ],
)
def test_a_parcel_of_more_than_is_left_or_of_nothing_is_refused_and_changes_nothing(
    order, quantities, error, message
):
    with pytest.raises(error) as refused:
        create_shipment(order=order, items=items(order, **quantities), actor=None)

    assert message in str(refused.value.errors)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert shipped(order) == {"LAMP": 0, "BULB": 0}
    assert not Shipment.objects.exists()


def test_what_has_shipped_counts_against_the_next_parcel(order):
    create_shipment(order=order, items=items(order, LAMP=2), actor=None)

    with pytest.raises(ShipmentExceedsOrder):
        create_shipment(order=order, items=items(order, LAMP=1), actor=None)
    assert shipped(order) == {"LAMP": 2, "BULB": 0}


def test_a_line_of_another_order_is_refused(order):
    other = OrderLineFactory.create(order__status=OrderStatus.PAID)

    with pytest.raises(ShipmentInvalid, match=f"no line {other.pk}"):
        create_shipment(order=order, items=[ShipmentItem(line_id=other.pk, quantity=1)], actor=None)
    other.refresh_from_db()
    assert other.shipped_quantity == 0


def test_nothing_left_to_ship_and_an_empty_parcel_are_refused(order):
    with pytest.raises(NothingToShip, match="carries no items"):
        create_shipment(order=order, items=[], actor=None)
    create_shipment(order=order, items=None, actor=None)

    with pytest.raises(InvalidTransition, match="fulfilled: only a paid order can be shipped"):
        create_shipment(order=order, items=None, actor=None)


@pytest.mark.parametrize(
    "status", [OrderStatus.PENDING, OrderStatus.CANCELLED, OrderStatus.REFUNDED]
)
def test_only_a_paid_order_ships(status):
    line = OrderLineFactory.create(order__status=status)

    with pytest.raises(InvalidTransition, match="only a paid order can be shipped"):
        create_shipment(order=line.order, items=None, actor=None)
    line.refresh_from_db()
    assert line.shipped_quantity == 0


def test_a_partly_shipped_order_can_be_refunded(order):
    create_shipment(order=order, items=items(order, LAMP=1), actor=None)

    refund_order(order=order, actor=None, note="Refunded.")

    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    with pytest.raises(InvalidTransition):
        create_shipment(order=order, items=None, actor=None)


def test_the_database_refuses_a_line_shipped_beyond_its_quantity(order):
    line = lines_of(order)["LAMP"]

    with pytest.raises(IntegrityError), transaction.atomic():
        OrderLine.objects.filter(pk=line.pk).update(shipped_quantity=F("quantity") + 1)

    line.refresh_from_db()
    assert line.shipped_quantity == 0


def test_a_known_carrier_links_its_tracking_page_and_a_given_url_wins(order):
    linked = create_shipment(
        order=order, items=items(order, LAMP=1), actor=None, carrier=" royal  mail ",
        tracking_number="AB 123/456",
    )  # fmt: skip
    given = create_shipment(
        order=order, items=items(order, LAMP=1), actor=None, carrier="UPS",
        tracking_number="1Z999", tracking_url="https://track.example/1Z999",
    )  # fmt: skip
    unknown = create_shipment(
        order=order, items=items(order, BULB=1), actor=None, carrier="Bike courier",
        tracking_number="7",
    )  # fmt: skip

    assert linked.carrier == "Royal Mail"
    assert linked.tracking_url.endswith("tracking-results/AB%20123%2F456")
    assert given.tracking_url == "https://track.example/1Z999"
    assert (unknown.carrier, unknown.tracking_url) == ("Bike courier", "")


# --- E-mails: one per parcel ----------------------------------------------------------------


def test_each_parcel_sends_its_own_email_once(order, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = create_shipment(
            order=order, items=items(order, LAMP=1, BULB=3), actor=None, carrier="DHL",
            tracking_number="0034", note="Left with the neighbour at no. 14.",
        )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        create_shipment(order=order, items=None, actor=None)

    assert [message.subject for message in mail.outbox] == [
        f"Your order {order.number} is on its way",
        f"Another parcel of your order {order.number} is on its way",
    ]
    body = mail.outbox[0].body
    assert "In this parcel:\n1 x " in body
    assert "\n3 x " in body
    assert "Carrier: DHL, tracking number 0034" in body
    assert f"Track it: {first.tracking_url}" in body
    assert "Left with the neighbour at no. 14." in body
    assert "Still to come:\n1 x " in body
    [(html, _)] = mail.outbox[0].alternatives  # type: ignore[union-attr]
    assert isinstance(html, str)
    assert f'<a href="{first.tracking_url}">Track your parcel</a>' in html
    assert "Still to come" not in mail.outbox[1].body
    assert OrderEmail.objects.filter(order=order, sent_at__isnull=False).count() == 2
    # The task for a parcel already mailed sends nothing more.
    assert tasks.send_order_email(str(order.pk), SHIPPED, shipment_id=str(first.pk)) is False
    assert len(mail.outbox) == 2


def test_a_parcel_email_of_another_order_is_not_sent(order):
    shipment = create_shipment(order=order, items=None, actor=None)
    other = OrderFactory.create()

    assert tasks.send_order_email(str(other.pk), SHIPPED, shipment_id=str(shipment.pk)) is (False)
    assert mail.outbox == []


def test_the_sweep_sends_a_parcel_email_that_was_never_sent(order, time_machine):
    time_machine.move_to(T0, tick=False)
    # The broker was down when the parcels committed: no task ran.
    first = create_shipment(order=order, items=items(order, LAMP=1), actor=None)
    second = create_shipment(order=order, items=None, actor=None)
    assert tasks.send_order_email(str(order.pk), SHIPPED, shipment_id=str(second.pk))
    mail.outbox.clear()

    time_machine.shift(timedelta(minutes=11))
    # The order's own e-mails are owed too (received, confirmed): sent, not counted here.
    assert tasks.send_missing_order_emails() >= 1

    subjects = [message.subject for message in mail.outbox]
    assert subjects.count(f"Your order {order.number} is on its way") == 1
    assert OrderEmail.objects.get(shipment=first).sent_at is not None
    mail.outbox.clear()
    assert tasks.send_missing_order_emails() == 0
    assert mail.outbox == []


# --- The staff API --------------------------------------------------------------------------


def test_staff_record_a_parcel_through_the_api(order):
    client, staff = staff_client()
    lamp = lines_of(order)["LAMP"]

    response = client.post(
        shipments_url(order),
        {
            "items": [{"line": lamp.pk, "quantity": 1}],
            "carrier": "DPD",
            "tracking_number": "0150 1234",
            "note": "First parcel.",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"] == 1
    assert (body["carrier"], body["tracking_number"]) == ("DPD", "0150 1234")
    assert body["tracking_url"] == "https://tracking.dpd.de/status/en_US/parcel/0150%201234"
    assert body["items"] == [
        {
            "line": lamp.pk,
            "sku": "LAMP",
            "product_name": lamp.product_name,
            "variant_name": "Large",
            "quantity": 1,
        }
    ]
    shipment = Shipment.objects.get()
    assert (str(shipment.pk), shipment.created_by) == (body["id"], staff)
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_FULFILLED


def test_without_items_the_api_ships_everything_left(order):
    client, _ = staff_client()

    response = client.post(shipments_url(order), {}, format="json")

    assert response.status_code == 201, response.content
    assert sorted(item["quantity"] for item in response.json()["items"]) == [2, 3]
    order.refresh_from_db()
    assert order.status == OrderStatus.FULFILLED


def test_a_retry_with_the_same_idempotency_key_records_one_parcel(order):
    client, _ = staff_client()
    body = {"items": [{"line": lines_of(order)["BULB"].pk, "quantity": 1}]}
    headers = {"Idempotency-Key": "parcel-1"}

    first = client.post(shipments_url(order), body, format="json", headers=headers)
    retry = client.post(shipments_url(order), body, format="json", headers=headers)
    changed = client.post(
        shipments_url(order), {**body, "note": "other"}, format="json", headers=headers
    )

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert_problem(changed, 422, "idempotency_conflict")
    assert Shipment.objects.count() == 1
    assert shipped(order) == {"LAMP": 0, "BULB": 1}


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"items": [{"line": 0, "quantity": 0}]}, 400, "validation_error", "items.0.quantity"),
        ({"items": []}, 400, "validation_error", "items.non_field_errors"),
        ({"items": "all"}, 400, "validation_error", "items.non_field_errors"),
        ({"items": [{"quantity": 1}]}, 400, "validation_error", "items.0.line"),
        ({"tracking_url": "ftp://files.example/x"}, 400, "validation_error", "tracking_url"),
        ({"tracking_url": "javascript:alert(1)"}, 400, "validation_error", "tracking_url"),
        ({"tracking_number": "<script>"}, 400, "validation_error", "tracking_number"),
        ({"carrier": "x" * 65}, 400, "validation_error", "carrier"),
        ({"items": [{"line": 999_999, "quantity": 1}]}, 400, "shipment_invalid", "lines"),
        # "LAMP" stands for the lamp line's id.
        ({"items": [{"line": "LAMP", "quantity": 3}]}, 409, "shipment_exceeds_order", "lines"),
    ],
)
def test_a_bad_parcel_gets_a_problem_and_changes_nothing(order, body, status, code, field):
    client, _ = staff_client()
    if body == {"items": [{"line": "LAMP", "quantity": 3}]}:
        body = {"items": [{"line": lines_of(order)["LAMP"].pk, "quantity": 3}]}

    response = client.post(shipments_url(order), body, format="json")

    problem = assert_problem(response, status, code)
    assert field in [error["field"] for error in problem.get("errors", [])], problem
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert shipped(order) == {"LAMP": 0, "BULB": 0}
    assert not Shipment.objects.exists()
    assert OrderEvent.objects.filter(order=order).count() == 2  # placed, paid


def test_shipping_an_unpaid_order_is_a_conflict():
    client, _ = staff_client()
    line = OrderLineFactory.create()

    response = client.post(shipments_url(line.order), {}, format="json")

    body = assert_problem(response, 409, "invalid_transition")
    assert "only a paid order can be shipped" in body["detail"]
    assert not Shipment.objects.exists()


def test_shipping_an_unknown_order_is_not_found():
    client, _ = staff_client()

    response = client.post("/api/v1/staff/orders/8f1c0d2e-0000-4000-8000-000000000000/shipments/")

    assert_problem(response, 404, "not_found")


def test_only_staff_who_may_fulfil_record_parcels(order, api_client):
    customer = client_for(order.user)
    support = client_for(staff_with_role(SUPPORT))

    assert_problem(
        api_client.post(shipments_url(order), {}, format="json"), 401, "not_authenticated"
    )
    assert_problem(customer.post(shipments_url(order), {}, format="json"), 403, "permission_denied")
    assert_problem(support.post(shipments_url(order), {}, format="json"), 403, "permission_denied")
    assert not Shipment.objects.exists()


# --- What the customer sees -----------------------------------------------------------------


def test_the_customer_sees_each_parcel_with_tracking_on_the_order(order, user):
    create_shipment(
        order=order, items=items(order, LAMP=1), actor=None, carrier="GLS", tracking_number="42"
    )
    create_shipment(order=order, items=items(order, BULB=2), actor=None)

    body = client_for(user).get(order_url(order)).json()

    assert body["status"] == OrderStatus.PARTIALLY_FULFILLED
    assert [(s["number"], s["carrier"], s["tracking_url"]) for s in body["shipments"]] == [
        (1, "GLS", "https://gls-group.com/track/42"),
        (2, "", ""),
    ]
    assert {line["sku"]: line["shipped_quantity"] for line in body["lines"]} == {
        "LAMP": 1,
        "BULB": 2,
    }
    # Nobody else sees the order, parcels included.
    stranger = client_for(UserFactory.create())
    assert_problem(stranger.get(order_url(order)), 404, "not_found")


@pytest.mark.parametrize("parcels", [1, 3])
def test_the_order_detail_costs_the_same_queries_however_many_parcels(
    order, user, parcels, django_assert_num_queries
):
    for _ in range(parcels):
        create_shipment(order=order, items=items(order, BULB=1), actor=None)
    client = client_for(user)

    # The user, the order, its lines, shipments, what they carry, refunds and returns (none:
    # what those are for is not asked), its events, and the user's "last seen".
    with django_assert_num_queries(9):
        response = client.get(order_url(order))
    assert len(response.json()["shipments"]) == parcels

"""The order lifecycle: which status changes are allowed, who made them, and stock on cancel.

pending → paid | cancelled, paid → (partially) fulfilled | refunded, partially fulfilled →
fulfilled | refunded, fulfilled → refunded; nothing else. The shipping statuses follow from
shipments (tests/test_shipments.py); "fulfilled" through the API ships what is left.
Cancelling (only a pending order can be) puts its stock back; a refund does not.
"""

from datetime import UTC, datetime, timedelta

import pytest

from apps.cart import services as cart_services
from apps.cart.models import Voucher, VoucherUsage
from apps.catalog.cache import get_catalog_version
from apps.catalog.models import ProductVariant
from apps.core.errors import InvalidTransition
from apps.core.tests.helpers import assert_problem
from apps.orders.models import OrderEvent, OrderStatus
from apps.orders.services.lifecycle import (
    cancel_order,
    expire_unpaid_orders,
    mark_order_paid,
    refund_order,
    transition_order,
)
from apps.orders.services.shipments import fulfil_order
from apps.orders.tests.factories import (
    OrderFactory,
    OrderLineFactory,
    buy,
    cancel_url,
    checkout,
    fill_cart,
    make_variant,
    new_cart,
    staff_client,
    transition_url,
)
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2031, 3, 1, 9, 0, tzinfo=UTC)
PENDING, PAID, PARTIALLY_FULFILLED, FULFILLED, CANCELLED, REFUNDED = OrderStatus.values
ALLOWED = [
    (PENDING, PAID),
    (PENDING, CANCELLED),
    (PAID, FULFILLED),
    (PAID, REFUNDED),
    (PARTIALLY_FULFILLED, FULFILLED),
    (PARTIALLY_FULFILLED, REFUNDED),
    (FULFILLED, REFUNDED),
]
FORBIDDEN = [
    (current, to)
    for current in OrderStatus.values
    for to in OrderStatus.values
    if (current, to) not in ALLOWED and to not in (PENDING, PARTIALLY_FULFILLED)
]
EVENT_FIELDS = ("actor", "from_status", "to_status", "note")


def pair_id(pair: tuple[str, str]) -> str:
    return f"{pair[0]}-to-{pair[1]}"


def stock_of(variant: ProductVariant) -> int:
    variant.refresh_from_db()
    return variant.stock


@pytest.fixture
def lamp() -> ProductVariant:
    return make_variant(stock=10)


# --- Through the staff API: every pair of statuses ------------------------------------------


@pytest.mark.parametrize(("current", "to"), ALLOWED, ids=map(pair_id, ALLOWED))
def test_staff_make_every_allowed_transition_and_it_is_audited(current, to):
    client, staff = staff_client()
    variant = make_variant(stock=5)
    line = OrderLineFactory.create(order__status=current, variant=variant, quantity=2)

    response = client.post(transition_url(line.order), {"to": to, "note": "By the book."})

    assert response.status_code == 200, response.content
    assert response.json()["status"] == to
    assert response.json()["events"][-1]["to_status"] == to
    line.order.refresh_from_db()
    assert line.order.status == to
    events = list(OrderEvent.objects.filter(order=line.order).values(*EVENT_FIELDS))
    # Fulfilling ships what is left in one parcel, and the event says so.
    note = "Shipment 1: 2 items. By the book." if to == FULFILLED else "By the book."
    assert events == [{"actor": staff.pk, "from_status": current, "to_status": to, "note": note}]
    line.refresh_from_db()
    assert line.shipped_quantity == (2 if to == FULFILLED else 0)
    # Only cancelling a pending order puts its stock back.
    assert stock_of(variant) == (7 if to == CANCELLED else 5)


@pytest.mark.parametrize(("current", "to"), FORBIDDEN, ids=map(pair_id, FORBIDDEN))
def test_staff_cannot_make_a_forbidden_transition(current, to):
    client, _ = staff_client()
    variant = make_variant(stock=5)
    line = OrderLineFactory.create(order__status=current, variant=variant, quantity=2)

    response = client.post(transition_url(line.order), {"to": to, "note": "Try anyway."})

    body = assert_problem(response, 409, "invalid_transition")
    assert line.order.number in body["detail"]
    line.order.refresh_from_db()
    assert line.order.status == current
    assert not OrderEvent.objects.exists()
    assert stock_of(variant) == 5


@pytest.mark.parametrize("to", [PENDING, PARTIALLY_FULFILLED])
@pytest.mark.parametrize("current", OrderStatus.values)
def test_no_order_is_moved_back_to_pending_or_partly_shipped_by_a_transition(current, to):
    # "pending" is no transition's target and "partially fulfilled" only a shipment's, so
    # the API refuses them as input (400), not as a conflict with the order's status.
    client, _ = staff_client()
    order = OrderFactory.create(status=current)

    response = client.post(transition_url(order), {"to": to})

    assert_problem(response, 400, "validation_error", field="to")
    order.refresh_from_db()
    assert order.status == current
    assert not OrderEvent.objects.exists()


def test_a_transition_note_is_optional_and_bounded():
    client, _ = staff_client()
    order = OrderFactory.create(status=PAID)

    too_long = client.post(transition_url(order), {"to": REFUNDED, "note": "x" * 2001})
    assert_problem(too_long, 400, "validation_error", field="note")

    assert client.post(transition_url(order), {"to": REFUNDED}).status_code == 200
    assert OrderEvent.objects.get().note == ""


def test_fulfilling_an_order_with_nothing_left_to_ship_is_a_conflict():
    client, _ = staff_client()
    order = OrderLineFactory.create(order__status=PAID, quantity=1, shipped_quantity=1).order

    response = client.post(transition_url(order), {"to": FULFILLED})

    assert_problem(response, 409, "nothing_to_ship")
    order.refresh_from_db()
    assert order.status == PAID
    assert not OrderEvent.objects.exists()


@pytest.mark.parametrize("to", [PARTIALLY_FULFILLED, FULFILLED])
def test_the_shipping_statuses_are_not_set_by_a_plain_transition(to):
    order = OrderLineFactory.create(order__status=PAID).order

    with pytest.raises(InvalidTransition, match="create a shipment"):
        transition_order(order=order, to=to, actor=None)

    order.refresh_from_db()
    assert order.status == PAID


# --- Stock: cancel restocks once, refund never ----------------------------------------------


def test_cancelling_twice_restocks_once(
    auth_client, user, lamp, django_capture_on_commit_callbacks
):
    bulb = make_variant(stock=3)
    order = buy({lamp: 2, bulb: 3}, user=user)
    version = get_catalog_version()
    assert version is not None

    with django_capture_on_commit_callbacks(execute=True):
        first = auth_client.post(cancel_url(order))
    second = auth_client.post(cancel_url(order))

    assert first.status_code == 200, first.content
    assert first.json()["status"] == CANCELLED
    assert_problem(second, 409, "invalid_transition")
    assert (stock_of(lamp), stock_of(bulb)) == (10, 3)
    assert get_catalog_version() == version + 1  # bulb is back in stock on product cards
    events = list(OrderEvent.objects.filter(order=order).values(*EVENT_FIELDS))
    assert events == [
        {"actor": user.pk, "from_status": "", "to_status": PENDING, "note": "Placed."},
        {
            "actor": user.pk,
            "from_status": PENDING,
            "to_status": CANCELLED,
            "note": "Cancelled by the customer.",
        },
    ]


def test_cancel_restocks_the_variants_that_still_exist(lamp):
    order = OrderFactory.create()
    OrderLineFactory.create(order=order, variant=lamp, quantity=2)
    OrderLineFactory.create(order=order, variant=lamp, quantity=3)
    gone = make_variant()
    OrderLineFactory.create(order=order, variant=gone, quantity=1)
    gone.delete()

    cancel_order(order=order, actor=None)

    assert stock_of(lamp) == 15
    order.refresh_from_db()
    assert order.status == CANCELLED


@pytest.mark.parametrize("fulfil_first", [False, True], ids=["paid", "fulfilled"])
def test_a_refund_does_not_restock(user, lamp, fulfil_first):
    order = buy({lamp: 4}, user=user)
    mark_order_paid(order=order, actor=None, note="Payment captured.")
    if fulfil_first:
        fulfil_order(order=order, actor=None, tracking_note="Tracking 123.")

    refund_order(order=order, actor=user, note="Returned.")

    order.refresh_from_db()
    assert order.status == REFUNDED
    assert stock_of(lamp) == 6
    last_event = OrderEvent.objects.filter(order=order).values_list("to_status", "note").last()
    assert last_event == (REFUNDED, "Returned.")


def test_the_service_refuses_to_cancel_an_order_twice(user, lamp):
    order = buy({lamp: 2}, user=user)
    cancel_order(order=order, actor=user)

    with pytest.raises(InvalidTransition):
        cancel_order(order=order, actor=user)

    assert stock_of(lamp) == 10
    assert OrderEvent.objects.filter(order=order, to_status=CANCELLED).count() == 1


def test_a_stale_order_object_cannot_be_cancelled_after_payment(user, lamp):
    order = buy({lamp: 2}, user=user)
    stale = type(order).objects.get(pk=order.pk)
    mark_order_paid(order=order, actor=None)

    with pytest.raises(InvalidTransition):
        cancel_order(order=stale, actor=user)  # the status is read under the row lock

    assert stock_of(lamp) == 8


# --- Customers cancelling their own orders --------------------------------------------------


def test_a_customer_cannot_cancel_a_paid_order(auth_client, user, lamp):
    order = buy({lamp: 2}, user=user)
    mark_order_paid(order=order, actor=None)

    assert_problem(auth_client.post(cancel_url(order)), 409, "invalid_transition")
    order.refresh_from_db()
    assert order.status == PAID
    assert stock_of(lamp) == 8


def test_a_customer_cannot_cancel_another_customers_order(auth_client, lamp):
    order = buy({lamp: 2}, user=UserFactory.create())

    assert_problem(auth_client.post(cancel_url(order)), 404, "not_found")
    order.refresh_from_db()
    assert order.status == PENDING
    assert stock_of(lamp) == 8


def test_cancelling_needs_a_signed_in_customer(api_client, lamp):
    order = buy({lamp: 1})

    assert_problem(api_client.post(cancel_url(order)), 401, "not_authenticated")
    order.refresh_from_db()
    assert order.status == PENDING


# --- Expiring unpaid orders -----------------------------------------------------------------


def test_expire_unpaid_orders_cancels_pending_orders_past_the_payment_window(
    settings, time_machine, lamp
):
    settings.ORDER_PAYMENT_WINDOW_MINUTES = 60
    time_machine.move_to(T0, tick=False)
    stale = buy({lamp: 1})
    paid = buy({lamp: 2})
    mark_order_paid(order=paid, actor=None)
    time_machine.move_to(T0 + timedelta(minutes=30), tick=False)
    fresh = buy({lamp: 3})
    assert stock_of(lamp) == 4

    time_machine.move_to(T0 + timedelta(minutes=60), tick=False)
    assert expire_unpaid_orders() == 0  # exactly at the end of the window: not yet

    time_machine.move_to(T0 + timedelta(minutes=61), tick=False)
    assert expire_unpaid_orders() == 1
    assert expire_unpaid_orders() == 0

    for order in (stale, paid, fresh):
        order.refresh_from_db()
    assert (stale.status, paid.status, fresh.status) == (CANCELLED, PAID, PENDING)
    assert stock_of(lamp) == 5
    event = OrderEvent.objects.filter(order=stale).last()
    assert event is not None
    assert (event.actor, event.from_status, event.note) == (None, PENDING, "Not paid in time.")


def test_expire_unpaid_orders_follows_the_configured_window(settings, time_machine, lamp):
    settings.ORDER_PAYMENT_WINDOW_MINUTES = 15
    time_machine.move_to(T0, tick=False)
    order = buy({lamp: 1})

    time_machine.move_to(T0 + timedelta(minutes=16), tick=False)
    assert expire_unpaid_orders() == 1

    order.refresh_from_db()
    assert order.status == CANCELLED


# --- Vouchers: a cancelled order gives its use back ---------------------------------------


def test_cancelling_gives_the_voucher_use_back_once(lamp):
    voucher = Voucher.objects.create(
        code="ONCE", kind="percent", value=10, usage_limit=1, per_customer_limit=1
    )
    cart = fill_cart(new_cart(), {lamp: 1})
    cart_services.apply_voucher(cart=cart, code="once", user=None)
    order = checkout(cart, email="ada@example.com")
    voucher.refresh_from_db()
    assert (voucher.used_count, VoucherUsage.objects.count()) == (1, 1)

    cancel_order(order=order, actor=None)
    with pytest.raises(InvalidTransition):
        cancel_order(order=order, actor=None)

    voucher.refresh_from_db()
    assert (voucher.used_count, VoucherUsage.objects.count()) == (0, 0)
    # The customer may use the code again.
    again = fill_cart(new_cart(), {lamp: 1})
    cart_services.apply_voucher(cart=again, code="ONCE", user=None)
    assert checkout(again, email="ada@example.com").voucher_code == "ONCE"

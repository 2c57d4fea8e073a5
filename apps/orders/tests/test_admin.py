"""The orders back office: a read-only record, moved on by actions that call the lifecycle.

Lists, search and filters; the fulfil page and actions with their success and failure
messages; CSV export of what the list shows; and what each staff role may do here.
"""

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.core.permissions import CATALOG_MANAGERS, ORDER_MANAGERS, SUPPORT
from apps.core.tests.roles import admin_client_for, staff_with_role
from apps.orders.admin import FULFIL_FORM_ID, FULFIL_SUBMIT
from apps.orders.models import Order, OrderEvent, OrderStatus
from apps.orders.services.shipments import create_shipment
from apps.orders.tests.factories import (
    OrderFactory,
    OrderLineFactory,
    buy,
    make_variant,
    set_created_at,
)
from apps.payments.gateways.base import GatewayError
from apps.payments.gateways.sandbox import SUCCEEDING_CARD, SandboxGateway, sandbox_pay
from apps.payments.models import Payment, PaymentStatus
from apps.payments.services import start_payment
from apps.users.tests.factories import SuperUserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:orders_order_changelist"


def changelist(**params) -> tuple[str, dict]:
    return reverse(CHANGELIST), params


def change_url(order: Order) -> str:
    return reverse("admin:orders_order_change", args=[order.pk])


def fulfil_url(order: Order) -> str:
    return reverse("admin:orders_order_fulfil", args=[order.pk])


def export_url() -> str:
    return reverse("admin:orders_order_export")


def export_lines_url() -> str:
    return reverse("admin:orders_order_export_lines")


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def listed_numbers(response) -> set[str]:
    assert response.status_code == 200
    return {order.number for order in response.context["cl"].result_list}


def post_action(client, action: str, orders, **extra):
    data = {"action": action, "index": "0", "_selected_action": [str(o.pk) for o in orders]}
    return client.post(reverse(CHANGELIST), {**data, **extra})


def paid_order(django_capture_on_commit_callbacks, price: str = "30.00") -> Order:
    """Return an order paid through the sandbox gateway (refundable for real)."""
    with django_capture_on_commit_callbacks(execute=True):
        order = buy({make_variant(price=price, stock=5): 1})
        payment = start_payment(order=order)
        sandbox_pay(
            intent_id=payment.provider_id,
            client_secret=payment.client_secret,
            card_number=SUCCEEDING_CARD,
        )
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    return order


@pytest.fixture
def admin(client):
    client.force_login(SuperUserFactory.create())
    return client


@pytest.fixture
def orders():
    """Orders in several states: a pending guest's, a paid one with a lamp, a cancelled one."""
    pending = OrderFactory.create(email="guest@example.com")
    paid = OrderFactory.create(status=OrderStatus.PAID, email="ada@example.com")
    OrderLineFactory.create(order=paid, sku="LAMP-RED", quantity=1)
    OrderLineFactory.create(
        order=paid,
        sku="LAMP-BLUE",
        quantity=2,
        unit_list_price=Decimal("12.00"),
        unit_price=Decimal("12.00"),
    )
    cancelled = OrderFactory.create(status=OrderStatus.CANCELLED, email="bob@example.com")
    Payment.objects.create(
        order=paid, provider="sandbox", provider_id="pi_paid", amount=paid.total,
        currency=paid.currency, status=PaymentStatus.SUCCEEDED,
    )  # fmt: skip
    return {"pending": pending, "paid": paid, "cancelled": cancelled}


# --- List, search, filters ------------------------------------------------------------------


def test_the_list_shows_number_status_total_email_and_paid(admin, orders):
    response = admin.get(reverse(CHANGELIST))

    assert listed_numbers(response) == {o.number for o in orders.values()}
    page = response.content.decode()
    for column in ("Number", "Status", "Total", "Email", "Created at", "Paid"):
        assert column.lower() in page.lower()
    paid = {o.number: o.is_paid for o in response.context["cl"].result_list}
    assert paid == {
        orders["pending"].number: False,
        orders["paid"].number: True,
        orders["cancelled"].number: False,
    }


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("ada@example", {"paid"}),
        ("LAMP", {"paid"}),
        ("lamp-blue", {"paid"}),
        ("guest", {"pending"}),
    ],
)
def test_search_by_email_sku_and_number_lists_each_order_once(admin, orders, term, expected):
    response = admin.get(reverse(CHANGELIST), {"q": term})

    results = list(response.context["cl"].result_list)
    assert len(results) == len(expected)  # two matching lines, still one row
    assert {o.number for o in results} == {orders[key].number for key in expected}


def test_search_by_number(admin, orders):
    number = orders["cancelled"].number
    assert listed_numbers(admin.get(reverse(CHANGELIST), {"q": number})) == {number}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status__exact": "paid"}, {"paid"}),
        ({"status__exact": "pending"}, {"pending"}),
        ({"paid": "yes"}, {"paid"}),
        ({"paid": "no"}, {"pending", "cancelled"}),
    ],
)
def test_filters_by_status_and_payment(admin, orders, params, expected):
    response = admin.get(reverse(CHANGELIST), params)
    assert listed_numbers(response) == {orders[key].number for key in expected}


def test_the_date_filter_keeps_recent_orders(admin, orders):
    set_created_at(orders["cancelled"], timezone.now() - timedelta(days=40))
    since = (timezone.now() - timedelta(days=7)).isoformat()

    response = admin.get(reverse(CHANGELIST), {"created_at__gte": since})

    assert listed_numbers(response) == {orders["pending"].number, orders["paid"].number}


@pytest.mark.parametrize("params", [{}, {"q": "LAMP", "paid": "yes", "status__exact": "paid"}])
def test_the_list_runs_the_same_queries_for_many_orders(
    admin, orders, params, django_assert_num_queries
):
    admin.get(reverse(CHANGELIST), params)  # the first request also fills per-process caches
    with CaptureQueriesContext(connection) as few:
        assert admin.get(reverse(CHANGELIST), params).status_code == 200
    for n in range(20):
        order = OrderFactory.create(status=OrderStatus.PAID)
        OrderLineFactory.create(order=order, sku=f"LAMP-{n}")
        OrderLineFactory.create(order=order, sku=f"LAMP-X{n}")
        Payment.objects.create(
            order=order, provider="sandbox", provider_id=f"pi_{n}", amount=order.total,
            currency=order.currency, status=PaymentStatus.SUCCEEDED,
        )  # fmt: skip

    with django_assert_num_queries(len(few)):
        response = admin.get(reverse(CHANGELIST), params)
    assert len(listed_numbers(response)) == (21 if params else 23)


# --- Detail: read-only, with its lines, payments and history --------------------------------


def test_the_detail_page_is_read_only_with_lines_payments_and_events(admin, orders):
    order = orders["paid"]
    OrderEvent.objects.create(order=order, from_status="pending", to_status="paid", note="Paid.")

    response = admin.get(change_url(order))

    assert response.status_code == 200
    page = response.content.decode()
    for text in ("LAMP-RED", "LAMP-BLUE", "pi_paid", "Paid."):
        assert text in page
    assert 'name="total"' not in page  # money is shown, never an input
    assert 'name="status"' not in page
    assert 'name="_save"' not in page
    assert 'id="fulfil-order"' in page  # a paid order offers the fulfil page


def test_a_posted_edit_changes_nothing(admin, orders):
    order = orders["paid"]
    response = admin.post(change_url(order), {"total": "0.01", "status": "refunded"})

    assert response.status_code == 403
    order.refresh_from_db()
    assert (order.total, order.status) == (Decimal("19.99"), OrderStatus.PAID)


def test_the_order_pages_load_no_script_for_slug_fields(admin, orders):
    """Orders have no prepopulated field: xregexp, urlify and prepopulate (172 KB of the list's
    391 KB) stay away; what the actions and the sidebar need stays."""
    for url in (reverse(CHANGELIST), change_url(orders["paid"])):
        page = admin.get(url).content.decode()
        for script in ("xregexp", "urlify.js", "prepopulate.js"):
            assert script not in page, (url, script)
        assert "admin/js/core.js" in page
    assert "admin/js/actions.js" in admin.get(reverse(CHANGELIST)).content.decode()


def test_orders_are_never_added_or_deleted_here(admin, orders):
    assert admin.get(reverse("admin:orders_order_add")).status_code == 403
    assert (
        admin.get(reverse("admin:orders_order_delete", args=[orders["paid"].pk])).status_code == 403
    )


# --- Fulfil ---------------------------------------------------------------------------------


def ship_data(order: Order, quantities: dict[str, int], **tracking: str) -> dict[str, object]:
    """The parcel form's fields: a quantity per line (by SKU), then the tracking fields."""
    by_sku = {line.sku: line.pk for line in order.lines.all()}
    return {
        **{f"line_{by_sku[sku]}": quantity for sku, quantity in quantities.items()},
        **tracking,
        FULFIL_SUBMIT: "1",
    }


def test_the_ship_page_offers_what_is_left_of_each_line_and_the_tracking_fields(admin, orders):
    order = orders["paid"]

    page = admin.get(fulfil_url(order)).content.decode()

    assert f'id="{FULFIL_FORM_ID}"' in page
    for name in ("carrier", "tracking_number", "tracking_url", "note", FULFIL_SUBMIT):
        assert f'name="{name}"' in page
    lines = {line.sku: line for line in order.lines.all()}
    # Each line starts at what is left to ship: the whole order in one parcel by default.
    assert f'name="line_{lines["LAMP-RED"].pk}" value="1"' in page
    assert f'name="line_{lines["LAMP-BLUE"].pk}" value="2"' in page
    assert '<option value="DHL">' in page  # the carriers to pick from


def test_staff_ship_an_order_in_two_parcels(admin, orders):
    order = orders["paid"]

    first = admin.post(
        fulfil_url(order),
        ship_data(
            order, {"LAMP-RED": 1, "LAMP-BLUE": 1}, carrier="dhl", tracking_number="00340434"
        ),
    )

    assert first.status_code == 302
    assert first["Location"] == change_url(order)
    assert messages_of(first) == [f"Order {order.number} partly shipped: shipment 1 recorded."]
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_FULFILLED
    shipment = order.shipments.get()
    assert (shipment.carrier, shipment.tracking_number) == ("DHL", "00340434")
    assert shipment.tracking_url.endswith("tracking-id=00340434")
    # The order page lists the parcel and the line counts.
    change_page = admin.get(change_url(order)).content.decode()
    assert "1 x LAMP-BLUE, 1 x LAMP-RED" in change_page or "1 x LAMP-RED, 1 x LAMP-BLUE" in (
        change_page
    )

    # The second parcel's form offers only what is left: the red lamp is gone.
    page = admin.get(fulfil_url(order)).content.decode()
    lines = {line.sku: line for line in order.lines.all()}
    assert f'name="line_{lines["LAMP-RED"].pk}"' not in page
    second = admin.post(
        fulfil_url(order),
        ship_data(order, {"LAMP-BLUE": 1}, tracking_url="https://parcels.example/42"),
    )

    assert messages_of(second) == [f"Order {order.number} fulfilled: shipment 2 recorded."]
    order.refresh_from_db()
    assert order.status == OrderStatus.FULFILLED
    assert [s.tracking_url for s in order.shipments.all()][1] == "https://parcels.example/42"
    events = list(order.events.values_list("to_status", "note"))
    assert events == [
        (OrderStatus.PARTIALLY_FULFILLED, "Shipment 1: 2 items. DHL 00340434."),
        (OrderStatus.FULFILLED, "Shipment 2: 1 item."),
    ]


def test_the_ship_page_refuses_an_empty_parcel_or_too_many(admin, orders):
    order = orders["paid"]

    empty = admin.post(fulfil_url(order), ship_data(order, {"LAMP-RED": 0, "LAMP-BLUE": 0}))
    too_many = admin.post(fulfil_url(order), ship_data(order, {"LAMP-RED": 2, "LAMP-BLUE": 0}))
    bad_url = admin.post(
        fulfil_url(order), ship_data(order, {"LAMP-RED": 1}, tracking_url="javascript:alert(1)")
    )

    assert empty.status_code == 200
    assert "Put at least one item in the parcel." in empty.content.decode()
    assert too_many.status_code == 200
    assert "less than or equal to 1" in too_many.content.decode()
    assert bad_url.status_code == 200
    assert "Enter a valid URL." in bad_url.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert not order.shipments.exists()
    assert not OrderEvent.objects.filter(order=order).exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_fulfilling_a_pending_order_is_refused_with_a_message(admin, orders, method):
    order = orders["pending"]
    response = getattr(admin, method)(
        fulfil_url(order), {"tracking_note": "DHL", FULFIL_SUBMIT: "1"}
    )

    assert response.status_code == 302
    assert response["Location"] == change_url(order)
    assert messages_of(response) == [
        f"Order {order.number} is pending payment: only a paid order can be shipped."
    ]
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert not OrderEvent.objects.filter(order=order).exists()


# --- Cancel and refund from the order's own page --------------------------------------------


def cancel_url(order: Order) -> str:
    return reverse("admin:orders_order_cancel", args=[order.pk])


def refund_url(order: Order) -> str:
    return reverse("admin:orders_order_refund", args=[order.pk])


def test_the_order_page_offers_fulfil_cancel_and_refund(admin, orders):
    for order in orders.values():
        page = admin.get(change_url(order)).content.decode()
        for url in (fulfil_url(order), cancel_url(order), refund_url(order)):
            assert f'href="{url}"' in page


def test_cancelling_from_the_order_page_asks_first_then_cancels_and_restocks(admin):
    variant = make_variant(sku="MUG-1", stock=3)
    order = buy({variant: 2})  # pending payment; 1 left in stock

    question = admin.get(cancel_url(order))
    assert question.status_code == 200
    assert "Cancel this order?" in question.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING  # asking changes nothing

    response = admin.post(cancel_url(order))

    assert response["Location"] == change_url(order)
    assert messages_of(response) == [f"Order {order.number} cancelled."]
    order.refresh_from_db()
    variant.refresh_from_db()
    assert (order.status, variant.stock) == (OrderStatus.CANCELLED, 3)


@pytest.mark.parametrize(
    ("state", "to", "expected"),
    [
        ("paid", "cancel", "is paid: only an order waiting for payment can be cancelled."),
        (
            "cancelled",
            "cancel",
            "is cancelled: only an order waiting for payment can be cancelled.",
        ),
        (
            "pending",
            "refund",
            "is pending payment: only a paid or fulfilled order can be refunded.",
        ),
        ("cancelled", "refund", "is cancelled: only a paid or fulfilled order can be refunded."),
        ("cancelled", "fulfil", "is cancelled: only a paid order can be shipped."),
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_an_action_the_state_does_not_allow_is_refused_with_a_message(
    admin, orders, state, to, expected, method
):
    order = orders[state]
    url = {"cancel": cancel_url, "refund": refund_url, "fulfil": fulfil_url}[to](order)

    response = getattr(admin, method)(url, {"tracking_note": "x", FULFIL_SUBMIT: "1"})

    assert response.status_code == 302
    assert response["Location"] == change_url(order)
    assert messages_of(response) == [f"Order {order.number} {expected}"]
    order.refresh_from_db()
    assert order.status == state
    assert not OrderEvent.objects.filter(order=order).exists()


def test_refunding_from_the_order_page_asks_first_then_refunds_through_the_gateway(
    admin, django_capture_on_commit_callbacks
):
    order = paid_order(django_capture_on_commit_callbacks)
    payment = order.payments.get()

    assert "Refund what is left" in admin.get(refund_url(order)).content.decode()
    response = admin.post(refund_url(order))

    assert messages_of(response) == [f"Order {order.number} refunded."]
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert payment.refunds.get().amount == order.total


def test_staff_refund_part_of_a_payment_from_the_order_page(
    admin, django_capture_on_commit_callbacks
):
    order = paid_order(django_capture_on_commit_callbacks, price="30.00")
    payment = order.payments.get()

    refused = admin.post(refund_url(order), {"amount": "0", "reason": "x"})
    too_much = admin.post(refund_url(order), {"amount": "999.00"})
    part = admin.post(refund_url(order), {"amount": "12.50", "reason": "Goodwill"})

    assert refused.status_code == 200
    assert "greater than or equal to 0.01" in refused.content.decode()
    assert "is more than 0 and at most" in messages_of(too_much)[0]
    assert messages_of(part)[-1] == f"Order {order.number} refunded."
    refund = payment.refunds.get()
    assert (refund.amount, refund.reason) == (Decimal("12.50"), "Goodwill")
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID  # the rest of the payment stands


def test_the_fulfil_action_shows_the_note_form_for_the_selected_orders(admin, orders):
    response = post_action(admin, "fulfil_orders", [orders["paid"], orders["pending"]])

    assert response.status_code == 200
    page = response.content.decode()
    assert orders["paid"].number in page
    assert orders["pending"].number in page
    assert 'name="tracking_note"' in page
    orders["paid"].refresh_from_db()
    assert orders["paid"].status == OrderStatus.PAID  # nothing happens before the note


def test_the_fulfil_action_fulfils_what_it_can_and_names_what_it_cannot(admin, orders):
    other = OrderLineFactory.create(order__status=OrderStatus.PAID, quantity=2).order
    shipped = OrderLineFactory.create(
        order__status=OrderStatus.PAID, quantity=1, shipped_quantity=1
    ).order
    selected = [orders["paid"], orders["pending"], other, shipped]

    response = post_action(
        admin,
        "fulfil_orders",
        selected,
        carrier="ups",
        tracking_note="UPS 7",
        **{FULFIL_SUBMIT: "1"},
    )

    assert response.status_code == 302
    statuses = dict(Order.objects.values_list("number", "status"))
    assert statuses[orders["paid"].number] == OrderStatus.FULFILLED
    assert statuses[other.number] == OrderStatus.FULFILLED
    assert statuses[orders["pending"].number] == OrderStatus.PENDING
    assert statuses[shipped.number] == OrderStatus.PAID
    shown = messages_of(response)
    assert shown[:2] == [
        f"{orders['pending'].number}: Order {orders['pending'].number} is pending payment: "
        "only a paid order can be shipped.",
        f"{shipped.number}: Nothing is left to ship.",
    ]
    assert shown[2].startswith("Fulfilled 2 order(s)")
    assert set(OrderEvent.objects.values_list("note", flat=True)) == {
        "Shipment 1: 3 items. UPS. UPS 7.",
        "Shipment 1: 2 items. UPS. UPS 7.",
    }


# --- Cancel and refund ----------------------------------------------------------------------


def test_cancel_cancels_pending_orders_and_refuses_paid_ones(admin, orders):
    response = post_action(admin, "cancel_orders", [orders["pending"], orders["paid"]])

    assert response.status_code == 302
    orders["pending"].refresh_from_db()
    orders["paid"].refresh_from_db()
    assert orders["pending"].status == OrderStatus.CANCELLED
    assert orders["paid"].status == OrderStatus.PAID
    shown = messages_of(response)
    assert "is paid; it cannot become cancelled" in shown[0]
    assert shown[1] == f"Cancelled 1 order(s): {orders['pending'].number}."


def test_refund_refunds_through_the_gateway_and_reports_failures(
    admin, orders, django_capture_on_commit_callbacks
):
    order = paid_order(django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_action(admin, "refund_orders", [order, orders["pending"]])

    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert order.payments.get().status == PaymentStatus.REFUNDED
    shown = messages_of(response)
    assert len(shown) == 2
    assert shown[0].startswith(f"{orders['pending'].number}: ")
    assert shown[1] == f"Refunded 1 order(s): {order.number}."


def test_a_refund_the_provider_refuses_is_a_message_and_changes_nothing(
    admin, monkeypatch, django_capture_on_commit_callbacks
):
    order = paid_order(django_capture_on_commit_callbacks)

    def refuse(self, **kwargs):
        raise GatewayError("The provider is unavailable; try again later.")

    monkeypatch.setattr(SandboxGateway, "refund", refuse)
    response = post_action(admin, "refund_orders", [order])

    assert response.status_code == 302
    assert messages_of(response) == [
        f"{order.number}: The provider is unavailable; try again later."
    ]
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert not order.payments.get().refunds.exists()


# --- CSV export -----------------------------------------------------------------------------


def exported(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.streaming
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def test_export_honours_filters_and_search(admin, orders):
    rows = exported(admin.get(export_url(), {"status__exact": "paid"}))
    assert rows[0] == ["number", "placed_at", "status", "paid", "email", "currency", "total"]
    assert [row[0] for row in rows[1:]] == [orders["paid"].number]
    assert rows[1][2:] == ["paid", "True", "ada@example.com", orders["paid"].currency, "19.99"]

    searched = exported(admin.get(export_url(), {"q": "LAMP"}))
    assert [row[0] for row in searched[1:]] == [orders["paid"].number]

    everything = exported(admin.get(export_url()))
    assert {row[0] for row in everything[1:]} == {o.number for o in orders.values()}


def test_the_list_links_to_the_exports_with_its_filters(admin, orders):
    page = admin.get(reverse(CHANGELIST), {"status__exact": "paid"}).content.decode()
    assert f'href="{export_url()}?status__exact=paid"' in page
    assert f'href="{export_lines_url()}?status__exact=paid"' in page


@pytest.mark.parametrize(
    ("zone", "expected"),
    [("UTC", "2026-12-02T14:49:51+00:00"), ("Europe/Paris", "2026-12-02T15:49:51+01:00")],
)
def test_exports_give_iso_8601_times_in_the_shops_time_zone(admin, settings, zone, expected):
    settings.TIME_ZONE = zone
    order = OrderFactory.create()
    OrderLineFactory.create(order=order)
    set_created_at(order, datetime(2026, 12, 2, 14, 49, 51, 587631, tzinfo=UTC))

    assert exported(admin.get(export_url()))[1][1] == expected
    assert exported(admin.get(export_lines_url()))[1][1] == expected


def test_the_lines_export_has_a_row_per_line_with_its_prices_and_tax(admin, orders):
    """Tax at the order's rate: included in the price (20 %: 1/6 of it), or added on top."""
    exclusive = OrderFactory.create(
        status=OrderStatus.PAID, prices_include_tax=False, tax_rate=Decimal("0.0825")
    )
    OrderLineFactory.create(
        order=exclusive,
        sku="=HYPERLINK(1)",
        variant__product__name="+Sum lamp",
        quantity=3,
        unit_list_price=Decimal("10.00"),
        discount_percent=Decimal("10.00"),
        unit_price=Decimal("9.00"),
    )

    rows = exported(admin.get(export_lines_url(), {"status__exact": "paid"}))

    assert rows[0] == [
        "number", "placed_at", "status", "sku", "product", "variant", "quantity", "currency",
        "unit_list_price", "discount_percent", "unit_price", "line_total", "tax_rate",
        "prices_include_tax", "line_tax",
    ]  # fmt: skip
    by_sku = {row[3]: row for row in rows[1:]}
    assert set(by_sku) == {"LAMP-RED", "LAMP-BLUE", "'=HYPERLINK(1)"}  # formulas quoted
    assert {row[0] for row in rows[1:]} == {orders["paid"].number, exclusive.number}
    blue = by_sku["LAMP-BLUE"]
    assert blue[:7] == [
        orders["paid"].number, blue[1], "paid", "LAMP-BLUE", blue[4], blue[5], "2",
    ]  # fmt: skip
    # 2 x 12.00 with 20 % included: 4.00 of the 24.00 is tax.
    assert blue[7:] == ["EUR", "12.00", "0.00", "12.00", "24.00", "0.200000", "True", "4.00"]
    assert by_sku["'=HYPERLINK(1)"][4] == "'+Sum lamp"
    # 27.00 + 8.25 % on top = 2.2275, to the cent.
    assert by_sku["'=HYPERLINK(1)"][6:] == [
        "3", "EUR", "10.00", "10.00", "9.00", "27.00", "0.082500", "False", "2.23",
    ]  # fmt: skip


def test_export_quotes_cells_a_spreadsheet_would_run(admin):
    OrderFactory.create(email="=cmd@example.com")
    rows = exported(admin.get(export_url()))
    assert rows[1][4] == "'=cmd@example.com"


def test_export_with_a_bad_filter_is_a_message(admin, orders):
    response = admin.get(export_url(), {"nonsense__exact": "1"})
    assert response.status_code == 302
    assert messages_of(response) == ["Those filters are not valid."]


# --- Roles ----------------------------------------------------------------------------------


def offered_actions(response) -> set[str]:
    form = response.context["action_form"]
    if form is None:  # no action at all: the list has no action bar
        return set()
    return {value for value, _ in form.fields["action"].choices} - {""}


def test_support_reads_orders_but_is_offered_no_action(orders):
    client = admin_client_for(staff_with_role(SUPPORT))

    listing = client.get(reverse(CHANGELIST))
    assert listed_numbers(listing) == {o.number for o in orders.values()}
    assert offered_actions(listing) == set()
    detail = client.get(change_url(orders["paid"]))
    assert detail.status_code == 200
    for button in ("fulfil-order", "cancel-order", "refund-order"):
        assert f'id="{button}"' not in detail.content.decode()


def test_support_cannot_cancel_fulfil_or_refund(orders):
    client = admin_client_for(staff_with_role(SUPPORT))

    for action in ("cancel_orders", "refund_orders", "fulfil_orders"):
        post_action(client, action, [orders["pending"], orders["paid"]], tracking_note="x")
    assert client.post(fulfil_url(orders["paid"]), {"tracking_note": "x"}).status_code == 403
    assert client.post(cancel_url(orders["pending"])).status_code == 403
    assert client.post(refund_url(orders["paid"])).status_code == 403

    statuses = dict(Order.objects.values_list("number", "status"))
    assert statuses[orders["pending"].number] == OrderStatus.PENDING
    assert statuses[orders["paid"].number] == OrderStatus.PAID
    assert not OrderEvent.objects.exists()


def test_an_order_manager_is_offered_the_actions_and_fulfils(orders):
    client = admin_client_for(staff_with_role(ORDER_MANAGERS))

    listing = client.get(reverse(CHANGELIST))
    assert offered_actions(listing) == {"fulfil_orders", "cancel_orders", "refund_orders"}
    response = client.post(
        fulfil_url(orders["paid"]), ship_data(orders["paid"], {"LAMP-RED": 1, "LAMP-BLUE": 2})
    )
    assert response.status_code == 302
    orders["paid"].refresh_from_db()
    assert orders["paid"].status == OrderStatus.FULFILLED


def test_a_catalog_manager_cannot_see_orders(orders):
    client = admin_client_for(staff_with_role(CATALOG_MANAGERS))

    assert client.get(reverse(CHANGELIST)).status_code == 403
    assert client.get(change_url(orders["paid"])).status_code == 403
    assert client.get(export_url()).status_code == 403
    assert client.get(export_lines_url()).status_code == 403
    assert "orders" not in client.get(reverse("admin:index")).content.decode().lower()


# --- Shipments --------------------------------------------------------------------------------


def test_parcels_are_listed_and_found_by_tracking_number_but_never_edited_here(admin, orders):
    order = orders["paid"]
    create_shipment(
        order=order, items=None, actor=None, carrier="UPS", tracking_number="1Z999AA10123456784"
    )
    other = OrderLineFactory.create(order__status=OrderStatus.PAID).order
    create_shipment(order=other, items=None, actor=None, tracking_number="OTHER-1")
    listing_url = reverse("admin:orders_shipment_changelist")

    found = admin.get(listing_url, {"q": "1Z999AA10123456784"})

    assert found.status_code == 200
    assert [s.order.number for s in found.context["cl"].result_list] == [order.number]
    page = found.content.decode()
    assert 'href="https://www.ups.com/track?tracknum=1Z999AA10123456784"' in page
    assert "1 x LAMP-RED" in page
    shipment = order.shipments.get()
    assert admin.get(reverse("admin:orders_shipment_add")).status_code == 403
    detail = admin.get(reverse("admin:orders_shipment_change", args=[shipment.pk]))
    assert detail.status_code == 200
    assert 'name="tracking_number"' not in detail.content.decode()  # read-only
    assert (
        admin.post(reverse("admin:orders_shipment_delete", args=[shipment.pk]), {"post": "yes"})
    ).status_code == 403
    assert order.shipments.count() == 1


def test_support_staff_read_parcels(orders):
    create_shipment(order=orders["paid"], items=None, actor=None, tracking_number="T-1")
    client = admin_client_for(staff_with_role(SUPPORT))

    assert client.get(reverse("admin:orders_shipment_changelist")).status_code == 200
    page = client.get(change_url(orders["paid"])).content.decode()
    assert "T-1" in page  # the order's parcels, inline
    assert 'id="fulfil-order"' not in page  # but support does not ship

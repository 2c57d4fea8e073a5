"""The orders API: a customer's own orders, the guest look-up, and the staff endpoints.

A customer only ever sees their own orders: anyone else's is a 404, exactly like an order that
does not exist. List and detail endpoints run a fixed number of queries.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from apps.core.tests.helpers import assert_problem
from apps.orders.models import Order, OrderStatus
from apps.orders.services.lifecycle import mark_order_paid
from apps.orders.tests.factories import (
    LOOKUP_URL,
    ORDERS_URL,
    STAFF_ORDERS_URL,
    SUMMARY_URL,
    OrderFactory,
    OrderLineFactory,
    buy,
    client_for,
    make_variant,
    order_url,
    set_created_at,
    staff_client,
    staff_order_url,
    transition_url,
)
from apps.users.models import User
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2031, 3, 1, 9, 0, tzinfo=UTC)
PENDING, PAID, PARTIALLY_FULFILLED, FULFILLED, CANCELLED, REFUNDED = OrderStatus.values


def orders_of(
    user: User | None, count: int, *, status: str = PENDING, start: datetime = T0, **fields: Any
) -> list[Order]:
    """Create `count` orders, one a minute from `start`: the last is the newest."""
    return [
        set_created_at(
            OrderFactory.create(user=user, status=status, **fields), start + timedelta(minutes=n)
        )
        for n in range(count)
    ]


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def ids_of(orders: list[Order]) -> list[str]:
    return [str(order.pk) for order in orders]


def without_request_id(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != "request_id"}


# --- The customer's list --------------------------------------------------------------------


def test_the_list_shows_only_the_callers_orders_newest_first(auth_client, user):
    mine = orders_of(user, 3)
    orders_of(UserFactory.create(), 2, start=T0 + timedelta(hours=1))
    orders_of(None, 1, email=user.email)  # a guest order with the same e-mail is not theirs
    OrderLineFactory.create(order=mine[-1], quantity=2)
    OrderLineFactory.create(order=mine[-1], quantity=3)

    response = auth_client.get(ORDERS_URL)

    assert ids(response) == ids_of(mine[::-1])
    body = response.json()
    assert (body["next"], body["previous"]) == (None, None)
    newest = body["results"][0]
    assert newest == {
        "id": str(mine[-1].pk),
        "number": mine[-1].number,
        "status": PENDING,
        "total": "19.99",
        "currency": "EUR",
        "item_count": 5,
        "created_at": "2031-03-01T09:02:00Z",
    }
    assert [row["item_count"] for row in body["results"]] == [5, 0, 0]


def test_the_list_filters_by_status(auth_client, user):
    orders_of(user, 2, status=PENDING)
    paid = orders_of(user, 2, status=PAID, start=T0 + timedelta(hours=1))

    assert ids(auth_client.get(ORDERS_URL, {"status": PAID})) == ids_of(paid[::-1])
    assert ids(auth_client.get(ORDERS_URL, {"status": REFUNDED})) == []


def test_the_list_pages_forward_and_back_with_links(auth_client, user):
    orders = orders_of(user, 5)[::-1]  # newest first, as listed

    first = auth_client.get(ORDERS_URL, {"page_size": 2}).json()
    second = auth_client.get(first["next"]).json()
    third = auth_client.get(second["next"]).json()
    back = auth_client.get(third["previous"]).json()
    start = auth_client.get(back["previous"]).json()

    pages = [first, second, third, back, start]
    assert [[row["id"] for row in page["results"]] for page in pages] == [
        ids_of(orders[0:2]),
        ids_of(orders[2:4]),
        ids_of(orders[4:5]),
        ids_of(orders[2:4]),
        ids_of(orders[0:2]),
    ]
    assert (first["previous"], third["next"], start["previous"]) == (None, None, None)
    assert "page_size=2" in second["next"]


def test_orders_placed_at_the_same_moment_page_without_gaps_or_repeats(auth_client, user):
    orders = [OrderFactory.create(user=user) for _ in range(5)]
    Order.objects.update(created_at=T0)

    seen: list[str] = []
    url: str | None = f"{ORDERS_URL}?page_size=2"
    while url:
        page = auth_client.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]

    assert sorted(seen) == sorted(ids_of(orders))


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ({"status": "lost"}, "validation_error", "status"),
        ({"page_size": 0}, "validation_error", "page_size"),
        ({"page_size": 101}, "validation_error", "page_size"),
        ({"page_size": "many"}, "validation_error", "page_size"),
        ({"cursor": "not-a-cursor"}, "invalid_cursor", "cursor"),
        ({"cursor": "eyJrIjoxfQ"}, "invalid_cursor", "cursor"),  # {"k":1}: no position
    ],
    ids=["status", "page-size-0", "page-size-101", "page-size-text", "cursor", "cursor-json"],
)
def test_bad_list_parameters_are_refused(auth_client, user, params, code, field):
    orders_of(user, 1)

    assert_problem(auth_client.get(ORDERS_URL, params), 400, code, field=field)


@pytest.mark.parametrize("url", [ORDERS_URL, SUMMARY_URL])
def test_a_customers_lists_need_a_signed_in_customer(api_client, url):
    assert_problem(api_client.get(url), 401, "not_authenticated")


# --- One order ------------------------------------------------------------------------------


def test_the_detail_shows_lines_and_history(auth_client, user):
    lamp = make_variant(price="25.00", discount="10", name="Large", options={"size": "L"})
    bulb = make_variant(price="9.99")
    order = buy({lamp: 2, bulb: 1}, user=user)
    mark_order_paid(order=order, actor=None, note="Payment captured.")

    response = auth_client.get(order_url(order))

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["number"], body["status"]) == (str(order.pk), order.number, PAID)
    assert (body["subtotal"], body["discount_total"], body["total"]) == ("59.99", "5.00", "54.99")
    lines = list(order.lines.order_by("id"))
    assert body["lines"] == [
        {
            "id": lines[0].pk,
            "sku": lamp.sku,
            "product_name": lamp.product.name,
            "variant_name": "Large",
            "options": {"size": "L"},
            "quantity": 2,
            "shipped_quantity": 0,
            "refunded_quantity": 0,
            "unit_list_price": "25.00",
            "discount_percent": "10.00",
            "unit_price": "22.50",
            "line_total": "45.00",
        },
        {
            "id": lines[1].pk,
            "sku": bulb.sku,
            "product_name": bulb.product.name,
            "variant_name": "",
            "options": {},
            "quantity": 1,
            "shipped_quantity": 0,
            "refunded_quantity": 0,
            "unit_list_price": "9.99",
            "discount_percent": "0.00",
            "unit_price": "9.99",
            "line_total": "9.99",
        },
    ]
    history = [(e["from_status"], e["to_status"], e["note"]) for e in body["events"]]
    assert history == [("", PENDING, "Placed."), (PENDING, PAID, "Payment captured.")]
    assert body["shipping_address"]["country"] == "GB"
    assert (body["shipments"], body["refunds"]) == ([], [])


def test_another_customers_order_is_not_found_like_an_unknown_one(auth_client):
    theirs = OrderFactory.create(user=UserFactory.create())
    guests = OrderFactory.create(user=None)
    unknown = OrderFactory.build()  # never saved

    bodies = [
        assert_problem(auth_client.get(order_url(order)), 404, "not_found")
        for order in (theirs, guests, unknown)
    ]
    assert len({str(without_request_id(body)) for body in bodies}) == 1


# --- Summary --------------------------------------------------------------------------------


def test_the_summary_counts_orders_and_what_was_spent(auth_client, user):
    for status, total in [
        (PENDING, "10.00"),
        (PAID, "20.00"),
        (PAID, "0.05"),
        (PARTIALLY_FULFILLED, "1.25"),
        (FULFILLED, "30.50"),
        (REFUNDED, "40.00"),
        (CANCELLED, "5.00"),
    ]:
        OrderFactory.create(user=user, status=status, total=Decimal(total))
    OrderFactory.create(user=UserFactory.create(), status=PAID, total=Decimal("1000.00"))

    response = auth_client.get(SUMMARY_URL)

    assert response.status_code == 200
    assert response.json() == {
        "order_count": 7,
        "total_spent": "51.80",  # paid and (partly) shipped only
        "by_status": {
            PENDING: 1,
            PAID: 2,
            PARTIALLY_FULFILLED: 1,
            FULFILLED: 1,
            CANCELLED: 1,
            REFUNDED: 1,
        },
    }


def test_the_summary_of_a_customer_without_orders(auth_client):
    assert auth_client.get(SUMMARY_URL).json() == {
        "order_count": 0,
        "total_spent": "0.00",
        "by_status": dict.fromkeys(OrderStatus.values, 0),
    }


# --- Guest look-up --------------------------------------------------------------------------


@pytest.fixture
def guest_order() -> Order:
    return buy({make_variant(): 1}, email="Guest.Person@Example.com")


def test_a_guest_finds_an_order_by_number_and_email_in_any_case(api_client, guest_order):
    response = api_client.post(
        LOOKUP_URL,
        {"number": f" {guest_order.number.lower()} ", "email": "GUEST.PERSON@example.COM"},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["number"]) == (str(guest_order.pk), guest_order.number)
    assert [event["to_status"] for event in body["events"]] == [PENDING]


def test_a_wrong_email_looks_exactly_like_an_unknown_number(api_client, guest_order):
    wrong_email = api_client.post(
        LOOKUP_URL, {"number": guest_order.number, "email": "someone@example.com"}
    )
    unknown_number = api_client.post(
        LOOKUP_URL, {"number": "EMP-1999-999999", "email": guest_order.email}
    )

    first = assert_problem(wrong_email, 404, "not_found")
    second = assert_problem(unknown_number, 404, "not_found")
    assert without_request_id(first) == without_request_id(second)


def test_the_lookup_validates_its_input(api_client):
    response = api_client.post(LOOKUP_URL, {"number": "EMP-2031-000001"})

    assert_problem(response, 400, "validation_error", field="email")


def test_the_lookup_is_throttled(api_client, settings, guest_order):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "order_lookup": "3/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    right = {"number": guest_order.number, "email": guest_order.email}
    wrong = {**right, "email": "guess@example.com"}

    statuses = [api_client.post(LOOKUP_URL, body).status_code for body in (wrong, wrong, right)]
    response = api_client.post(LOOKUP_URL, right)

    assert statuses == [404, 404, 200]
    assert_problem(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0


# --- Staff ----------------------------------------------------------------------------------


@pytest.fixture
def shop_orders() -> dict[str, Order]:
    """Three orders: Ada's lamp, a guest's bulb, and Ada's paid bulb (newest)."""
    ada = UserFactory.create(email="ada@example.com")
    lamp, bulb = make_variant(sku="LAMP-1"), make_variant(sku="BULB-1")
    orders = {
        "ada_lamp": OrderFactory.create(user=ada),
        "guest_bulb": OrderFactory.create(email="bob@example.com"),
        "ada_bulb": OrderFactory.create(user=ada, status=PAID),
    }
    for name, variant in [("ada_lamp", lamp), ("guest_bulb", bulb), ("ada_bulb", bulb)]:
        OrderLineFactory.create(order=orders[name], variant=variant)
    for minutes, order in enumerate(orders.values()):
        set_created_at(order, T0 + timedelta(minutes=minutes))
    return orders


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["ada_bulb", "guest_bulb", "ada_lamp"]),
        ({"status": PAID}, ["ada_bulb"]),
        ({"search": "{ada_lamp}"}, ["ada_lamp"]),
        ({"search": "ADA@example.com"}, ["ada_bulb", "ada_lamp"]),
        ({"search": "bulb-1"}, ["ada_bulb", "guest_bulb"]),
        ({"search": " BULB-1 ", "status": PENDING}, ["guest_bulb"]),
        ({"search": "nothing"}, []),
    ],
    ids=["all", "status", "number", "email", "sku", "sku-and-status", "no-match"],
)
def test_staff_list_and_search_every_order(shop_orders, params, expected):
    client, _ = staff_client()
    # "{name}" stands for that order's number, in lower case.
    numbers = {name: order.number.lower() for name, order in shop_orders.items()}
    params = {key: value.format(**numbers) for key, value in params.items()}

    response = client.get(STAFF_ORDERS_URL, params)

    assert ids(response) == ids_of([shop_orders[name] for name in expected])


def test_staff_see_any_order(shop_orders):
    client, _ = staff_client()
    order = shop_orders["guest_bulb"]

    response = client.get(staff_order_url(order))

    assert response.status_code == 200
    assert (response.json()["id"], response.json()["email"]) == (str(order.pk), "bob@example.com")


STAFF_REQUESTS = [
    ("get", lambda order: STAFF_ORDERS_URL),
    ("get", staff_order_url),
    ("post", transition_url),
]


@pytest.mark.parametrize(("method", "url"), STAFF_REQUESTS, ids=["list", "detail", "transition"])
def test_staff_endpoints_refuse_customers_and_anonymous_callers(
    api_client, auth_client, user, method, url
):
    order = OrderFactory.create(user=user)

    def call(client: APIClient) -> Any:
        return getattr(client, method)(url(order), {"to": PAID} if method == "post" else None)

    assert_problem(call(auth_client), 403, "permission_denied")
    assert_problem(call(api_client), 401, "not_authenticated")
    order.refresh_from_db()
    assert order.status == PENDING


# --- Query counts ---------------------------------------------------------------------------


def _client_and_urls(user: User, as_staff: bool) -> tuple[APIClient, str, Any]:
    if as_staff:
        return staff_client()[0], STAFF_ORDERS_URL, staff_order_url
    return client_for(user), ORDERS_URL, order_url


@pytest.mark.parametrize("as_staff", [False, True], ids=["customer", "staff"])
def test_the_list_runs_as_many_queries_for_30_orders_as_for_2(
    user, as_staff, django_assert_num_queries
):
    client, list_url, _ = _client_and_urls(user, as_staff)
    url = f"{list_url}?page_size=50"
    assert client.get(url).status_code == 200  # warm-up: the once-in-a-while last-seen write

    def add_orders(count: int, start: datetime) -> None:
        for order in orders_of(user, count, start=start):
            OrderLineFactory.create_batch(2, order=order)

    add_orders(2, T0)
    with CaptureQueriesContext(connection) as two_orders:
        assert len(ids(client.get(url))) == 2
    add_orders(28, T0 + timedelta(hours=1))
    with django_assert_num_queries(len(two_orders)):
        assert len(ids(client.get(url))) == 30


@pytest.mark.parametrize("as_staff", [False, True], ids=["customer", "staff"])
def test_the_detail_runs_as_many_queries_for_20_lines_as_for_1(
    user, as_staff, django_assert_num_queries
):
    client, _, detail_url = _client_and_urls(user, as_staff)
    small, large = OrderFactory.create(user=user), OrderFactory.create(user=user)
    OrderLineFactory.create(order=small)
    OrderLineFactory.create_batch(20, order=large)
    for order in (small, large):
        mark_order_paid(order=order, actor=None)
    assert client.get(detail_url(small)).status_code == 200  # warm-up

    with CaptureQueriesContext(connection) as one_line:
        assert client.get(detail_url(small)).status_code == 200
    with django_assert_num_queries(len(one_line)):
        response = client.get(detail_url(large))
    assert len(response.json()["lines"]) == 20
    assert len(response.json()["events"]) == 1

"""The cart API: its contract, the anonymous token, sign-in merges, errors and query counts."""

import re
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from apps.cart.models import Cart, CartLine
from apps.cart.pricing import ShippingInfo, VoucherInfo, calculate
from apps.cart.tests.factories import (
    CartFactory,
    CartLineFactory,
    ShippingMethodFactory,
    VoucherFactory,
    line_info,
)
from apps.catalog.models import Category, Product, ProductVariant
from apps.catalog.tests.factories import (
    CategoryFactory,
    DiscountFactory,
    ProductFactory,
    ProductVariantFactory,
)
from apps.core.tests.helpers import assert_problem, client_for
from apps.users.models import User
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CART_URL = "/api/v1/cart/"
ITEMS_URL = "/api/v1/cart/items/"
VOUCHER_URL = "/api/v1/cart/voucher/"
SHIPPING_URL = "/api/v1/cart/shipping-method/"
SHIPPING_METHODS_URL = "/api/v1/shipping-methods/"
TOKEN_HEADER = "X-Cart-Token"
MONEY = re.compile(r"^\d+\.\d{2}$")
MONEY_FIELDS = (
    "subtotal",
    "discount_total",
    "voucher_discount",
    "shipping_total",
    "tax_total",
    "total",
)
EMPTY_CART: dict[str, Any] = {
    "id": None,
    "token": None,
    "lines": [],
    "voucher": None,
    "shipping_method": None,
    "currency": "EUR",
    "subtotal": "0.00",
    "discount_total": "0.00",
    "voucher_discount": "0.00",
    "shipping_total": "0.00",
    "tax_total": "0.00",
    "total": "0.00",
    "prices_include_tax": True,
    "tax_rate": "0.20",
    "item_count": 0,
}


def item_url(line_id: int) -> str:
    return f"{ITEMS_URL}{line_id}/"


def token(value: str | None) -> dict[str, str]:
    """Return the headers that send an anonymous cart's token (none for None)."""
    return {TOKEN_HEADER: value} if value else {}


def lines_of(cart: Cart) -> dict[str, int]:
    """Return the cart's lines as {sku: quantity}."""
    return dict(CartLine.objects.filter(cart=cart).values_list("variant__sku", "quantity"))


@pytest.fixture
def lamp() -> ProductVariant:
    """A lamp at 19.99, 10 in stock."""
    return ProductVariantFactory.create(
        sku="LAMP-1",
        name="Large",
        options={"size": "L"},
        price=Decimal("19.99"),
        stock=10,
        product__name="Desk Lamp",
        product__slug="desk-lamp",
    )


@pytest.fixture
def cart(lamp: ProductVariant) -> Cart:
    """An anonymous cart holding 2 lamps."""
    cart = CartFactory.create()
    CartLineFactory.create(cart=cart, variant=lamp, quantity=2)
    return cart


# --- Reading and the anonymous token --------------------------------------------------------


@pytest.mark.parametrize("sent", [None, "no-such-token"])
def test_get_without_a_cart_answers_an_empty_one_and_creates_nothing(api_client, sent):
    response = api_client.get(CART_URL, headers=token(sent))

    assert response.status_code == 200
    assert response.json() == EMPTY_CART
    assert TOKEN_HEADER not in response
    assert not Cart.objects.exists()


def test_post_without_a_token_starts_a_cart_that_the_token_then_finds(api_client, lamp):
    created = api_client.post(ITEMS_URL, {"sku": "LAMP-1", "quantity": 2})

    assert created.status_code == 201
    cart = Cart.objects.get()
    body = created.json()
    assert body["token"] == created[TOKEN_HEADER] == cart.token
    assert (body["id"], body["item_count"]) == (str(cart.pk), 2)

    seen = api_client.get(CART_URL, headers=token(cart.token))
    assert seen.json() == body
    assert seen[TOKEN_HEADER] == cart.token

    again = api_client.post(
        ITEMS_URL, {"variant_id": lamp.pk, "quantity": 3}, headers=token(cart.token)
    )
    assert again.status_code == 201
    assert [line["quantity"] for line in again.json()["lines"]] == [5]
    assert Cart.objects.get() == cart


def test_a_line_shows_prices_discount_stock_and_availability(api_client, cart, lamp):
    DiscountFactory.create(product=lamp.product, percent=Decimal("15"))

    body = api_client.get(CART_URL, headers=token(cart.token)).json()

    assert body["lines"] == [
        {
            "id": cart.lines.get().pk,
            "sku": "LAMP-1",
            "variant_name": "Large",
            "options": {"size": "L"},
            "product": {"slug": "desk-lamp", "name": "Desk Lamp"},
            "quantity": 2,
            "unit_list_price": "19.99",
            "discount_percent": "15.00",
            "unit_price": "16.99",
            "line_total": "33.98",
            "available": True,
            "available_quantity": 10,
        }
    ]


@pytest.mark.parametrize(
    ("prices_include_tax", "tax_total", "total"),
    [(True, "8.46", "50.77"), (False, "10.15", "60.92")],
)
def test_the_worked_example_through_the_api(
    api_client, lamp, settings, prices_include_tax, tax_total, total
):
    """3 x 19.99 with 15% off, a 10% voucher, 4.90 shipping, 20% tax (see test_pricing)."""
    settings.PRICES_INCLUDE_TAX = prices_include_tax
    DiscountFactory.create(product=lamp.product, percent=Decimal("15"))
    cart = CartFactory.create(
        voucher=VoucherFactory.create(code="TEN", value=Decimal("10")),
        shipping_method=ShippingMethodFactory.create(name="Standard", price=Decimal("4.90")),
    )
    CartLineFactory.create(cart=cart, variant=lamp, quantity=3)

    body = api_client.get(CART_URL, headers=token(cart.token)).json()

    assert {name: body[name] for name in MONEY_FIELDS} == {
        "subtotal": "59.97",
        "discount_total": "9.00",
        "voucher_discount": "5.10",
        "shipping_total": "4.90",
        "tax_total": tax_total,
        "total": total,
    }
    assert body["voucher"] == {"code": "TEN", "discount": "5.10", "problem": None}
    assert body["shipping_method"]["price"] == "4.90"
    assert (body["prices_include_tax"], body["tax_rate"], body["item_count"]) == (
        prices_include_tax,
        "0.20",
        3,
    )


def test_the_totals_are_the_pricing_modules(api_client):
    """Awkward prices, product and category discounts, a fixed voucher: the API adds nothing."""
    sale = CategoryFactory.create()
    DiscountFactory.create(on_category=True, category=sale, percent=Decimal("12.5"))
    rows = [  # (list price, discount percent, discounted through, quantity)
        ("0.99", "0", None, 7),
        ("13.37", "33.33", "product", 3),
        ("1234.56", "12.5", "category", 1),
        ("0.05", "50", "product", 99),
    ]
    cart = CartFactory.create(
        voucher=VoucherFactory.create(kind="fixed", value=Decimal("3.33")),
        shipping_method=ShippingMethodFactory.create(price=Decimal("5.55")),
    )
    expected_lines = []
    for list_price, percent, through, quantity in rows:
        product = ProductFactory.create(**({"category": sale} if through == "category" else {}))
        if through == "product":
            DiscountFactory.create(product=product, percent=Decimal(percent))
        variant = ProductVariantFactory.create(product=product, price=Decimal(list_price))
        CartLineFactory.create(cart=cart, variant=variant, quantity=quantity)
        expected_lines.append(line_info(list_price, percent, quantity))
    expected = calculate(
        lines=expected_lines,
        voucher=VoucherInfo(id=0, code="", kind="fixed", value=Decimal("3.33"), min_subtotal=None),
        shipping=ShippingInfo(id=0, name="", price=Decimal("5.55"), free_above=None),
        currency="EUR",
        tax_rate=Decimal("0.20"),
        prices_include_tax=True,
    )

    body = api_client.get(CART_URL, headers=token(cart.token)).json()

    assert {name: body[name] for name in MONEY_FIELDS} == {
        name: f"{getattr(expected, name):.2f}" for name in MONEY_FIELDS
    }
    assert [(line["unit_price"], line["line_total"]) for line in body["lines"]] == [
        (f"{p.unit_price:.2f}", f"{p.line_total:.2f}") for p in expected.lines
    ]
    money = [body[name] for name in MONEY_FIELDS] + [
        line[name]
        for line in body["lines"]
        for name in ("unit_list_price", "discount_percent", "unit_price", "line_total")
    ]
    assert all(MONEY.match(amount) for amount in money), money


def test_lines_no_longer_for_sale_or_short_of_stock_say_so(api_client):
    cart = CartFactory.create()
    hidden_parent = CategoryFactory.create()
    lines = {
        "fine": CartLineFactory.create(cart=cart, variant__sku="FINE", quantity=2),
        "short": CartLineFactory.create(cart=cart, variant__sku="SHORT", quantity=5),
        "gone": CartLineFactory.create(cart=cart, variant__sku="GONE", quantity=1),
        "hidden": CartLineFactory.create(
            cart=cart,
            variant__sku="HIDDEN",
            variant__product__category__parent=hidden_parent,
            quantity=1,
        ),
        "sold out": CartLineFactory.create(cart=cart, variant__sku="SOLD-OUT", quantity=1),
    }
    ProductVariant.objects.filter(sku="SHORT").update(stock=2)
    ProductVariant.objects.filter(sku="SOLD-OUT").update(stock=0)
    Product.objects.filter(pk=lines["gone"].variant.product_id).update(is_active=False)
    Category.objects.filter(pk=hidden_parent.pk).update(is_active=False)

    body = api_client.get(CART_URL, headers=token(cart.token)).json()

    assert {
        line["sku"]: (line["quantity"], line["available"], line["available_quantity"])
        for line in body["lines"]
    } == {
        "FINE": (2, True, 10),
        "SHORT": (5, True, 2),
        "GONE": (1, False, 10),
        "HIDDEN": (1, False, 10),
        "SOLD-OUT": (1, True, 0),
    }


# --- Adding ---------------------------------------------------------------------------------

BAD_ITEMS: dict[str, tuple[Any, int, str, str | None]] = {
    "empty body": ({}, 400, "validation_error", "quantity"),
    "neither sku nor variant": ({"quantity": 1}, 400, "validation_error", "non_field_errors"),
    "both sku and variant": (
        {"sku": "LAMP-1", "variant_id": 1, "quantity": 1},
        400,
        "validation_error",
        "non_field_errors",
    ),
    "no quantity": ({"sku": "LAMP-1"}, 400, "validation_error", "quantity"),
    "quantity as words": (
        {"sku": "LAMP-1", "quantity": "two"},
        400,
        "validation_error",
        "quantity",
    ),
    "quantity zero": ({"sku": "LAMP-1", "quantity": 0}, 400, "validation_error", "quantity"),
    "quantity negative": ({"sku": "LAMP-1", "quantity": -3}, 400, "validation_error", "quantity"),
    "quantity fraction": ({"sku": "LAMP-1", "quantity": 1.5}, 400, "validation_error", "quantity"),
    "quantity over the maximum": (
        {"sku": "LAMP-1", "quantity": 100},
        400,
        "invalid_quantity",
        "quantity",
    ),
    "empty sku": ({"sku": "", "quantity": 1}, 400, "validation_error", "sku"),
    "sku as a list": ({"sku": ["LAMP-1"], "quantity": 1}, 400, "validation_error", "sku"),
    "variant as words": (
        {"variant_id": "one", "quantity": 1},
        400,
        "validation_error",
        "variant_id",
    ),
    "variant zero": ({"variant_id": 0, "quantity": 1}, 400, "validation_error", "variant_id"),
    "body a list": ([{"sku": "LAMP-1"}], 400, "validation_error", "non_field_errors"),
    "unknown sku": ({"sku": "NO-SUCH", "quantity": 1}, 404, "variant_not_found", None),
    "unknown variant": ({"variant_id": 2**62, "quantity": 1}, 404, "variant_not_found", None),
    "variant id past any column": (
        {"variant_id": 2**70, "quantity": 1},
        404,
        "variant_not_found",
        None,
    ),
}


@pytest.mark.parametrize(("body", "status", "code", "field"), BAD_ITEMS.values(), ids=BAD_ITEMS)
def test_post_item_refuses_bad_input(api_client, cart, body, status, code, field):
    response = api_client.post(ITEMS_URL, body, headers=token(cart.token))

    assert_problem(response, status, code, field=field)
    assert lines_of(cart) == {"LAMP-1": 2}


def test_post_item_refuses_malformed_json(api_client, cart):
    response = api_client.post(ITEMS_URL, data='{"sku": "LAMP-1",', content_type="application/json")

    assert_problem(response, 400, "parse_error")
    assert lines_of(cart) == {"LAMP-1": 2}


def test_more_than_the_stock_is_a_409_naming_the_product_and_what_is_left(api_client, cart):
    response = api_client.post(
        ITEMS_URL, {"sku": "LAMP-1", "quantity": 9}, headers=token(cart.token)
    )

    body = assert_problem(response, 409, "out_of_stock", field="quantity")
    assert body["detail"] == "Only 10 of Desk Lamp (LAMP-1) available."
    assert body["errors"] == [{"field": "quantity", "code": "invalid", "detail": "10 available."}]
    assert lines_of(cart) == {"LAMP-1": 2}


def test_a_product_not_for_sale_is_a_409(api_client, cart, lamp):
    Product.objects.filter(pk=lamp.product_id).update(is_active=False)

    response = api_client.post(
        ITEMS_URL, {"sku": "LAMP-1", "quantity": 1}, headers=token(cart.token)
    )

    body = assert_problem(response, 409, "product_unavailable")
    assert "Desk Lamp" in body["detail"]


def test_a_full_cart_is_a_400(api_client, cart, settings):
    settings.CART_MAX_LINES = 1
    ProductVariantFactory.create(sku="MORE")

    response = api_client.post(ITEMS_URL, {"sku": "MORE", "quantity": 1}, headers=token(cart.token))

    assert_problem(response, 400, "cart_full")
    assert lines_of(cart) == {"LAMP-1": 2}


# --- Changing and removing lines ------------------------------------------------------------


def test_patch_sets_a_lines_quantity(api_client, cart):
    line = cart.lines.get()

    response = api_client.patch(item_url(line.pk), {"quantity": 7}, headers=token(cart.token))

    assert response.status_code == 200
    assert [(row["id"], row["quantity"]) for row in response.json()["lines"]] == [(line.pk, 7)]
    assert response.json()["total"] == "139.93"
    assert lines_of(cart) == {"LAMP-1": 7}


BAD_QUANTITIES: dict[str, tuple[Any, int, str]] = {
    "missing": ({}, 400, "validation_error"),
    "zero": ({"quantity": 0}, 400, "validation_error"),
    "words": ({"quantity": "lots"}, 400, "validation_error"),
    "null": ({"quantity": None}, 400, "validation_error"),
    "over the maximum": ({"quantity": 100}, 400, "invalid_quantity"),
    "over the stock": ({"quantity": 11}, 409, "out_of_stock"),
}


@pytest.mark.parametrize(("body", "status", "code"), BAD_QUANTITIES.values(), ids=BAD_QUANTITIES)
def test_patch_refuses_a_bad_quantity(api_client, cart, body, status, code):
    response = api_client.patch(item_url(cart.lines.get().pk), body, headers=token(cart.token))

    assert_problem(response, status, code, field="quantity")
    assert lines_of(cart) == {"LAMP-1": 2}


def test_delete_removes_a_line(api_client, cart):
    other = CartLineFactory.create(cart=cart, variant__sku="OTHER")

    response = api_client.delete(
        item_url(cart.lines.get(variant__sku="LAMP-1").pk), headers=token(cart.token)
    )

    assert response.status_code == 200
    assert [line["id"] for line in response.json()["lines"]] == [other.pk]
    assert lines_of(cart) == {"OTHER": 1}


@pytest.mark.parametrize(
    ("method", "body"), [("patch", {"quantity": 1}), ("delete", None)], ids=["patch", "delete"]
)
@pytest.mark.parametrize("whose", ["no one's", "another visitor's", "too large"])
def test_a_line_not_in_the_callers_cart_is_a_404_and_stays_as_it_is(
    api_client, cart, method, body, whose
):
    mine = CartFactory.create()
    line_id = {"no one's": 987654321, "another visitor's": cart.lines.get().pk, "too large": 2**70}

    response = getattr(api_client, method)(
        item_url(line_id[whose]), body, headers=token(mine.token)
    )

    assert_problem(response, 404, "cart_line_not_found")
    assert lines_of(cart) == {"LAMP-1": 2}


def test_delete_cart_empties_it_and_drops_the_voucher(api_client, cart):
    method = ShippingMethodFactory.create()
    Cart.objects.filter(pk=cart.pk).update(voucher=VoucherFactory.create(), shipping_method=method)

    response = api_client.delete(CART_URL, headers=token(cart.token))

    assert response.status_code == 204
    cart.refresh_from_db()
    assert (lines_of(cart), cart.voucher, cart.shipping_method) == ({}, None, method)


def test_delete_cart_without_a_cart_does_nothing(api_client, cart):
    response = api_client.delete(CART_URL)

    assert response.status_code == 204
    assert list(Cart.objects.all()) == [cart]
    assert lines_of(cart) == {"LAMP-1": 2}


# --- Voucher --------------------------------------------------------------------------------


def test_put_voucher_applies_it(api_client, cart):
    VoucherFactory.create(code="Spring10", value=Decimal("10"))

    response = api_client.put(VOUCHER_URL, {"code": " spring10"}, headers=token(cart.token))

    assert response.status_code == 200
    body = response.json()
    # 2 x 19.99 = 39.98; 10% is 3.998 -> 4.00.
    assert body["voucher"] == {"code": "Spring10", "discount": "4.00", "problem": None}
    assert (body["voucher_discount"], body["total"]) == ("4.00", "35.98")


def test_a_voucher_below_its_minimum_stays_on_the_cart_and_says_why(api_client, cart):
    VoucherFactory.create(code="BIG", min_subtotal=Decimal("50.00"))

    response = api_client.put(VOUCHER_URL, {"code": "BIG"}, headers=token(cart.token))

    assert response.status_code == 200
    assert response.json()["voucher"] == {
        "code": "BIG",
        "discount": "0.00",
        "problem": "The code BIG needs an order of at least 50.00.",
    }
    assert response.json()["total"] == "39.98"


BAD_VOUCHERS: dict[str, tuple[Any, str, str | None]] = {
    "unknown": ({"code": "NOPE"}, "invalid_voucher", "code"),
    "expired": ({"code": "OLD"}, "invalid_voucher", None),
    "missing": ({}, "validation_error", "code"),
    "blank": ({"code": "  "}, "validation_error", "code"),
    "too long": ({"code": "X" * 41}, "validation_error", "code"),
    "not a string": ({"code": {"a": 1}}, "validation_error", "code"),
}


@pytest.mark.parametrize(("body", "code", "field"), BAD_VOUCHERS.values(), ids=BAD_VOUCHERS)
def test_put_voucher_refuses_bad_codes(api_client, cart, body, code, field):
    VoucherFactory.create(code="OLD", is_active=False)

    response = api_client.put(VOUCHER_URL, body, headers=token(cart.token))

    assert_problem(response, 400, code, field=field)
    assert Cart.objects.get(pk=cart.pk).voucher is None


def test_delete_voucher_removes_it(api_client, cart):
    Cart.objects.filter(pk=cart.pk).update(voucher=VoucherFactory.create())

    response = api_client.delete(VOUCHER_URL, headers=token(cart.token))

    assert response.status_code == 200
    assert (response.json()["voucher"], response.json()["voucher_discount"]) == (None, "0.00")
    assert Cart.objects.get(pk=cart.pk).voucher is None


# --- Shipping -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("free_above", "price", "shortfall"),
    [
        (None, "4.90", None),
        ("39.98", "0.00", None),
        ("39.99", "4.90", "0.01"),
        ("50", "4.90", "10.02"),
    ],
)
def test_put_shipping_method_chooses_it(api_client, cart, free_above, price, shortfall):
    """The answer says what the cart pays for shipping, what the method costs when it is not
    free, above what it is free, and how much more the goods must cost for that."""
    method = ShippingMethodFactory.create(
        name="Standard",
        price=Decimal("4.90"),
        free_above=Decimal(free_above) if free_above else None,
    )

    response = api_client.put(
        SHIPPING_URL, {"shipping_method": method.pk}, headers=token(cart.token)
    )

    assert response.status_code == 200
    body = response.json()
    assert body["shipping_method"] == {
        "id": method.pk,
        "name": "Standard",
        "price": price,
        "list_price": "4.90",
        "free_above": f"{Decimal(free_above):.2f}" if free_above else None,
        "free_shipping_shortfall": shortfall,
    }
    assert body["shipping_total"] == price
    assert body["total"] == f"{Decimal('39.98') + Decimal(price):.2f}"


@pytest.mark.parametrize(
    ("choice", "code"),
    [
        ("inactive", "shipping_method_unavailable"),
        (987654321, "shipping_method_unavailable"),
        (2**70, "shipping_method_unavailable"),
        ("fast", "validation_error"),
        (None, "validation_error"),
        (0, "validation_error"),
    ],
)
def test_put_shipping_method_refuses_what_is_not_available(api_client, cart, choice, code):
    if choice == "inactive":
        choice = ShippingMethodFactory.create(is_active=False).pk

    response = api_client.put(SHIPPING_URL, {"shipping_method": choice}, headers=token(cart.token))

    assert_problem(response, 400, code, field="shipping_method")
    assert Cart.objects.get(pk=cart.pk).shipping_method is None


def test_a_shipping_method_withdrawn_after_it_was_chosen_costs_nothing_and_shows_none(
    api_client, cart
):
    method = ShippingMethodFactory.create()
    Cart.objects.filter(pk=cart.pk).update(shipping_method=method)
    method.is_active = False
    method.save()

    body = api_client.get(CART_URL, headers=token(cart.token)).json()

    assert (body["shipping_method"], body["shipping_total"]) == (None, "0.00")


def test_shipping_methods_lists_the_active_ones_cheapest_first(api_client):
    express = ShippingMethodFactory.create(name="Express", price=Decimal("9.90"))
    standard = ShippingMethodFactory.create(
        name="Standard", price=Decimal("4.90"), free_above=Decimal("50")
    )
    ShippingMethodFactory.create(name="Withdrawn", price=Decimal("1.00"), is_active=False)

    response = api_client.get(SHIPPING_METHODS_URL)

    assert response.status_code == 200
    assert response.json() == [
        {"id": standard.pk, "name": "Standard", "price": "4.90", "free_above": "50.00"},
        {"id": express.pk, "name": "Express", "price": "9.90", "free_above": None},
    ]


# --- Signed in ------------------------------------------------------------------------------


def test_signing_in_with_a_cart_token_merges_that_cart_into_the_customers(
    api_client, auth_client, user, lamp
):
    mine = CartFactory.create(user=user)
    CartLineFactory.create(cart=mine, variant=lamp, quantity=3)
    CartLineFactory.create(cart=mine, variant__sku="MINE")
    ProductVariantFactory.create(sku="EXTRA", stock=4)
    anonymous_token = api_client.post(ITEMS_URL, {"sku": "LAMP-1", "quantity": 2}).json()["token"]
    added = api_client.post(
        ITEMS_URL, {"sku": "EXTRA", "quantity": 4}, headers=token(anonymous_token)
    )
    assert added.status_code == 201

    response = auth_client.get(CART_URL, headers=token(anonymous_token))

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["token"]) == (str(mine.pk), None)
    assert TOKEN_HEADER not in response
    assert {line["sku"]: line["quantity"] for line in body["lines"]} == {
        "LAMP-1": 5,
        "MINE": 1,
        "EXTRA": 4,
    }
    assert list(Cart.objects.all()) == [mine]

    # The spent token merges nothing a second time.
    again = auth_client.get(CART_URL, headers=token(anonymous_token)).json()
    assert again["lines"] == body["lines"]


def test_signing_in_merges_up_to_the_stock(api_client, auth_client, user, lamp):
    CartLineFactory.create(cart=CartFactory.create(user=user), variant=lamp, quantity=8)
    anonymous_token = api_client.post(ITEMS_URL, {"sku": "LAMP-1", "quantity": 6}).json()["token"]

    response = auth_client.get(CART_URL, headers=token(anonymous_token))

    assert [line["quantity"] for line in response.json()["lines"]] == [10]
    assert lines_of(Cart.objects.get(user=user)) == {"LAMP-1": 10}
    assert not Cart.objects.filter(token=anonymous_token, user__isnull=True).exists()


def test_a_customers_cart_answers_without_a_token(auth_client, user, lamp):
    response = auth_client.post(ITEMS_URL, {"sku": "LAMP-1", "quantity": 1})

    assert response.status_code == 201
    assert response.json()["token"] is None
    assert TOKEN_HEADER not in response
    assert lines_of(Cart.objects.get(user=user)) == {"LAMP-1": 1}


def test_an_old_token_of_a_customers_cart_gives_nobody_else_access(
    api_client, auth_client, user, lamp
):
    # Filled anonymously, then the customer signed in: that cart became theirs, token and all.
    old_token = api_client.post(ITEMS_URL, {"sku": "LAMP-1", "quantity": 2}).json()["token"]
    auth_client.get(CART_URL, headers=token(old_token))
    customers = Cart.objects.get(user=user)
    line = customers.lines.get()

    stranger = APIClient()
    assert stranger.get(CART_URL, headers=token(old_token)).json() == EMPTY_CART
    assert_problem(
        stranger.patch(item_url(line.pk), {"quantity": 1}, headers=token(old_token)),
        404,
        "cart_line_not_found",
    )
    assert_problem(
        stranger.delete(item_url(line.pk), headers=token(old_token)), 404, "cart_line_not_found"
    )
    added = stranger.post(ITEMS_URL, {"sku": "LAMP-1", "quantity": 1}, headers=token(old_token))
    assert added.json()["id"] != str(customers.pk)
    assert lines_of(customers) == {"LAMP-1": 2}


def test_another_customer_cannot_reach_a_customers_lines(auth_client, user, lamp):
    theirs = CartFactory.create(user=user)
    line = CartLineFactory.create(cart=theirs, variant=lamp, quantity=2)
    other = client_for(UserFactory.create())

    for response in (
        other.patch(item_url(line.pk), {"quantity": 9}, headers=token(theirs.token)),
        other.delete(item_url(line.pk), headers=token(theirs.token)),
    ):
        assert_problem(response, 404, "cart_line_not_found")
    assert other.get(CART_URL, headers=token(theirs.token)).json()["lines"] == []
    assert lines_of(theirs) == {"LAMP-1": 2}


CUSTOMER_REQUESTS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "read the cart": ("get", CART_URL, {}),
    "add an item": ("post", ITEMS_URL, {"sku": "LAMP-1", "quantity": 1}),
    "empty the cart": ("delete", CART_URL, {}),
    "apply a voucher": ("put", VOUCHER_URL, {"code": "NOPE"}),
}


@pytest.mark.parametrize("has_cart", [True, False], ids=["with a cart", "without a cart"])
@pytest.mark.parametrize(
    ("method", "url", "body"), CUSTOMER_REQUESTS.values(), ids=CUSTOMER_REQUESTS
)
def test_the_token_of_a_deactivated_customer_is_refused_and_changes_nothing(
    user, lamp, has_cart, method, url, body
):
    """The cart endpoints read the token without loading its user: the cart's own query must
    still refuse a customer who was deactivated after the token was issued, with or without
    a cart, as every other endpoint does."""
    client = client_for(user)
    if has_cart:
        CartLineFactory.create(cart=CartFactory.create(user=user), variant=lamp, quantity=2)
    User.objects.filter(pk=user.pk).update(is_active=False)

    response = getattr(client, method)(url, body)

    problem = assert_problem(response, 401, "user_not_found")
    assert "lines" not in problem
    expected = [{"LAMP-1": 2}] if has_cart else []
    assert [lines_of(cart) for cart in Cart.objects.all()] == expected
    assert User.objects.get(pk=user.pk).last_seen_at is None, "a refused token was 'seen'"


def test_a_deactivated_customer_cannot_take_over_an_anonymous_cart(user, lamp):
    """Signed in with a token of a deactivated customer and a guest cart's token: the guest
    cart is not merged into nor given to that account."""
    guest = CartFactory.create()
    CartLineFactory.create(cart=guest, variant=lamp, quantity=1)
    client = client_for(user)
    User.objects.filter(pk=user.pk).update(is_active=False)

    assert_problem(client.get(CART_URL, headers=token(guest.token)), 401, "user_not_found")

    guest.refresh_from_db()
    assert guest.user_id is None
    assert lines_of(guest) == {"LAMP-1": 1}


def test_the_token_of_a_deleted_customer_is_refused_and_creates_no_cart(lamp):
    gone = UserFactory.create()
    client = client_for(gone)
    gone.delete()

    assert_problem(client.get(CART_URL), 401, "user_not_found")
    assert_problem(client.post(ITEMS_URL, {"sku": "LAMP-1", "quantity": 1}), 401, "user_not_found")
    assert Cart.objects.count() == 0


def test_a_session_customer_uses_the_cart_api_as_a_token_customer_does(user, lamp):
    client = APIClient()
    client.force_login(user)

    response = client.post(ITEMS_URL, {"sku": "LAMP-1", "quantity": 3})

    assert response.status_code == 201, response.content
    assert lines_of(Cart.objects.get(user=user)) == {"LAMP-1": 3}


# --- Refused writes leave nothing behind ----------------------------------------------------

REFUSED_WITHOUT_A_CART: dict[str, tuple[str, str, dict[str, Any], int]] = {
    "add an unknown sku": ("post", ITEMS_URL, {"sku": "NO-SUCH", "quantity": 1}, 404),
    "add past the stock": ("post", ITEMS_URL, {"sku": "LAMP-1", "quantity": 11}, 409),
    "change a line": ("patch", item_url(987654321), {"quantity": 1}, 404),
    "remove a line": ("delete", item_url(987654321), {}, 404),
    "apply an unknown voucher": ("put", VOUCHER_URL, {"code": "NOPE"}, 400),
    "choose an unknown shipping method": (
        "put",
        SHIPPING_URL,
        {"shipping_method": 987654321},
        400,
    ),
}


@pytest.mark.parametrize(
    ("method", "url", "body", "status"),
    REFUSED_WITHOUT_A_CART.values(),
    ids=REFUSED_WITHOUT_A_CART,
)
def test_a_refused_write_from_a_visitor_without_a_cart_creates_no_cart(
    api_client, lamp, method, url, body, status
):
    """BUG: the views create the cart before the service refuses, and nothing rolls it back.

    Every refused request leaves an empty cart whose token was never sent to anyone.
    """
    response = getattr(api_client, method)(url, body)

    assert response.status_code == status
    assert Cart.objects.count() == 0, "the refused request left an empty cart behind"


# --- Query counts ---------------------------------------------------------------------------


def cart_with_lines(count: int, user: User | None = None) -> Cart:
    """Return a cart with `count` lines of different products, some discounted, with extras."""
    cart = CartFactory.create(
        user=user,
        voucher=VoucherFactory.create(),
        shipping_method=ShippingMethodFactory.create(free_above=Decimal("100")),
    )
    for line in CartLineFactory.create_batch(count, cart=cart, quantity=2):
        DiscountFactory.create(product=line.variant.product, percent=Decimal("5"))
    return cart


def client_and_headers(cart: Cart) -> tuple[APIClient, dict[str, str]]:
    if cart.user is not None:
        return client_for(cart.user), {}
    return APIClient(), token(cart.token)


def queries_of(cart: Cart, method: str, url: str, body: dict[str, Any] | None = None) -> int:
    """Return how many queries a request on the cart runs, starting from a cold cache."""
    client, headers = client_and_headers(cart)
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(url, body, headers=headers)
    assert response.status_code in (200, 201), response.content
    return len(queries)


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed in"])
def test_get_cart_runs_as_many_queries_for_30_lines_as_for_1(signed_in, django_assert_num_queries):
    small, large = (
        cart_with_lines(count, UserFactory.create() if signed_in else None) for count in (1, 30)
    )
    expected = queries_of(small, "get", CART_URL)

    client, headers = client_and_headers(large)
    cache.clear()
    with django_assert_num_queries(expected):
        response = client.get(CART_URL, headers=headers)
    assert len(response.json()["lines"]) == 30


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed in"])
def test_post_item_runs_as_many_queries_for_30_lines_as_for_1(signed_in, django_assert_num_queries):
    small, large = (
        cart_with_lines(count, UserFactory.create() if signed_in else None) for count in (1, 30)
    )
    ProductVariantFactory.create(sku="NEW-1")
    ProductVariantFactory.create(sku="NEW-2")
    expected = queries_of(small, "post", ITEMS_URL, {"sku": "NEW-1", "quantity": 1})

    client, headers = client_and_headers(large)
    cache.clear()
    with django_assert_num_queries(expected):
        response = client.post(ITEMS_URL, {"sku": "NEW-2", "quantity": 1}, headers=headers)
    assert len(response.json()["lines"]) == 31


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed in"])
@pytest.mark.parametrize("size", [1, 40])
def test_adding_an_item_runs_a_fixed_budget_of_queries(signed_in, size, django_assert_num_queries):
    """Five: the view's transaction (a savepoint and its release, inside the test's
    transaction), the cart locked with its voucher and shipping method (and, signed in, the
    token's user, which must be active), its lines with their variants and products together
    with the variant added (which also make the answer), and the line's insert or update: the
    same for a new line and for more of one the cart holds, whatever its size."""
    budget = 5
    cart = cart_with_lines(size, UserFactory.create() if signed_in else None)
    ProductVariantFactory.create(sku="NEW-1", stock=10)
    client, headers = client_and_headers(cart)
    client.get(CART_URL, headers=headers)  # the catalog's cached lookups, as in a warm shop

    for expected_quantity in (1, 2):
        with django_assert_num_queries(budget):
            response = client.post(ITEMS_URL, {"sku": "NEW-1", "quantity": 1}, headers=headers)
        assert response.status_code == 201
        line = next(x for x in response.json()["lines"] if x["sku"] == "NEW-1")
        assert line["quantity"] == expected_quantity


# --- A voucher that stopped being usable ------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"is_active": False}, "is not valid"),
        ({"usage_limit": 1, "used_count": 1}, "has been used up"),
    ],
)
def test_a_voucher_that_can_no_longer_be_used_shows_why_and_takes_nothing_off(
    api_client, cart, change, problem
):
    voucher = VoucherFactory.create(code="SPRING10", kind="percent", value=Decimal("10"))
    Cart.objects.filter(pk=cart.pk).update(voucher=voucher)
    type(voucher).objects.filter(pk=voucher.pk).update(**change)

    body = api_client.get(CART_URL, headers=token(cart.token)).json()

    assert body["voucher"]["code"] == "SPRING10"
    assert body["voucher"]["discount"] == "0.00"
    assert problem in body["voucher"]["problem"]
    assert body["voucher_discount"] == "0.00"
    assert body["total"] == "39.98"

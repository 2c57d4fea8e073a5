"""Catalog writes over the API: who may make them, what they do, and bad input refused cleanly.

Every refused write is checked to have left every catalog row exactly as it was.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from apps.catalog import services
from apps.catalog.models import Category, Discount, Product, ProductVariant, Review
from apps.catalog.tests.test_api_support import (
    BULK_URL,
    CATEGORIES_URL,
    DISCOUNTS_URL,
    PRODUCTS_URL,
    TAGS_URL,
    catalog_state,
    category_url,
    client_for,
    customer_client,
    discount_url,
    make_category,
    make_product,
    product_url,
    review_url,
    reviews_url,
    staff_client,
    tag_url,
    variant,
    variant_url,
    variants_url,
)
from apps.core.tests.helpers import assert_problem
from apps.users.tests.factories import StaffUserFactory, SuperUserFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db) -> dict[str, Any]:
    """A category with a product (SKU LAMP-1) and a discount, an empty category and a tag."""
    lamps = make_category("Lamps")
    sale = services.create_tag(name="Sale")
    lamp = make_product(
        "Lamp",
        category=lamps,
        variants=[variant("LAMP-1", price="20.00"), variant("LAMP-2", price="25.00")],
        tags=[sale],
    )
    discount = services.create_discount(name="Lamp deal", percent=Decimal(10), product=lamp)
    return {
        "lamps": lamps,
        "empty": make_category("Empty"),
        "sale": sale,
        "lamp": lamp,
        "discount": discount,
    }


@pytest.fixture
def staff() -> Any:
    return staff_client()


def send(client, method: str, url: str, body: dict[str, Any] | None = None):
    return getattr(client, method.lower())(url, body, format="json")


# --- Who may write --------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    method: str
    url: Callable[[dict[str, Any]], str]
    body: dict[str, Any] | None
    staff_status: int


STAFF_ONLY = {
    "create category": Endpoint("POST", lambda w: CATEGORIES_URL, {"name": "Desks"}, 201),
    "update category": Endpoint(
        "PATCH", lambda w: category_url("lamps"), {"description": "Bright."}, 200
    ),
    "delete category": Endpoint("DELETE", lambda w: category_url("empty"), None, 204),
    "create tag": Endpoint("POST", lambda w: TAGS_URL, {"name": "New"}, 201),
    "rename tag": Endpoint("PATCH", lambda w: tag_url("sale"), {"name": "Sales"}, 200),
    "delete tag": Endpoint("DELETE", lambda w: tag_url("sale"), None, 204),
    "create product": Endpoint(
        "POST",
        lambda w: PRODUCTS_URL,
        {"name": "Desk", "category": "lamps", "sku": "DESK-1", "price": "99.00"},
        201,
    ),
    "update product": Endpoint("PATCH", lambda w: product_url("lamp"), {"name": "Big lamp"}, 200),
    "delete product": Endpoint("DELETE", lambda w: product_url("lamp"), None, 204),
    "list variants": Endpoint("GET", lambda w: variants_url("lamp"), None, 200),
    "add variant": Endpoint(
        "POST", lambda w: variants_url("lamp"), {"sku": "LAMP-3", "price": "30.00"}, 201
    ),
    "update variant": Endpoint(
        "PATCH", lambda w: variant_url("lamp", "LAMP-1"), {"price": "21.00"}, 200
    ),
    "delete variant": Endpoint("DELETE", lambda w: variant_url("lamp", "LAMP-1"), None, 204),
    "bulk update": Endpoint(
        "POST", lambda w: BULK_URL, {"changes": [{"sku": "LAMP-1", "stock": 50}]}, 200
    ),
    "list discounts": Endpoint("GET", lambda w: DISCOUNTS_URL, None, 200),
    "create discount": Endpoint(
        "POST", lambda w: DISCOUNTS_URL, {"name": "All", "percent": "5", "category": "lamps"}, 201
    ),
    "show discount": Endpoint("GET", lambda w: discount_url(w["discount"].pk), None, 200),
    "update discount": Endpoint(
        "PATCH", lambda w: discount_url(w["discount"].pk), {"percent": "12.5"}, 200
    ),
    "delete discount": Endpoint("DELETE", lambda w: discount_url(w["discount"].pk), None, 204),
}


@pytest.mark.parametrize("name", STAFF_ONLY)
def test_anonymous_callers_are_asked_to_authenticate_and_change_nothing(api_client, world, name):
    endpoint = STAFF_ONLY[name]
    before = catalog_state()

    response = send(api_client, endpoint.method, endpoint.url(world), endpoint.body)

    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert catalog_state() == before


@pytest.mark.parametrize("name", STAFF_ONLY)
def test_customers_are_refused_and_change_nothing(world, name):
    endpoint = STAFF_ONLY[name]
    before = catalog_state()

    response = send(customer_client(), endpoint.method, endpoint.url(world), endpoint.body)

    assert_problem(response, 403, "permission_denied")
    assert catalog_state() == before


@pytest.mark.parametrize("name", STAFF_ONLY)
def test_staff_may_make_every_write(world, staff, name):
    endpoint = STAFF_ONLY[name]
    before = catalog_state()

    response = send(staff, endpoint.method, endpoint.url(world), endpoint.body)

    assert response.status_code == endpoint.staff_status, response.content
    if endpoint.method == "GET":
        assert catalog_state() == before
    else:
        assert catalog_state() != before


# --- Products -------------------------------------------------------------------------------


def test_staff_create_a_product_with_variants(world, staff):
    response = send(
        staff,
        "POST",
        PRODUCTS_URL,
        {
            "name": "Floor Lamp",
            "description": "Tall.",
            "category": "lamps",
            "tags": ["sale"],
            "is_featured": True,
            "variants": [
                {"sku": "FL-S", "price": "49.90", "stock": 3, "options": {"size": "S"}},
                {
                    "sku": "FL-L",
                    "name": "Large",
                    "price": "59",
                    "compare_at_price": "79.00",
                    "currency": "eur",
                },
            ],
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["slug"] == "floor-lamp"
    assert body["category"] == "lamps"
    assert body["tags"] == ["sale"]
    assert (body["is_active"], body["is_featured"]) == (True, True)
    assert body["variants"] == [
        {
            "sku": "FL-S",
            "name": "",
            "options": {"size": "S"},
            "price": "49.90",
            "compare_at_price": None,
            "currency": "EUR",
            "stock": 3,
            "is_active": True,
        },
        {
            "sku": "FL-L",
            "name": "Large",
            "options": {},
            "price": "59.00",
            "compare_at_price": "79.00",
            "currency": "EUR",
            "stock": 0,
            "is_active": True,
        },
    ]
    product = Product.objects.get(slug="floor-lamp")
    assert product.description == "Tall."
    assert product.created_by is not None
    assert product.created_by.is_staff
    assert list(product.variants.values_list("sku", "position")) == [("FL-S", 0), ("FL-L", 1)]


def test_staff_create_a_simple_product_from_sku_price_and_stock(world, staff):
    response = send(
        staff,
        "POST",
        PRODUCTS_URL,
        {"name": "Bulb", "category": "lamps", "sku": "BULB", "price": "2.50", "stock": 7},
    )

    assert response.status_code == 201, response.content
    [only] = ProductVariant.objects.filter(product__slug="bulb").values(
        "sku", "price", "stock", "currency"
    )
    assert only == {"sku": "BULB", "price": Decimal("2.50"), "stock": 7, "currency": "EUR"}


def _product(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"name": "Desk", "category": "lamps", "sku": "DESK-1", "price": "9"}
    return {key: value for key, value in {**base, **changes}.items() if value is not None}


def _with_variants(*variants: dict[str, Any]) -> dict[str, Any]:
    return {"name": "Desk", "category": "lamps", "variants": list(variants)}


GOOD = {"sku": "DESK-1", "price": "10.00"}

# A product refused as invalid input: test id → (body, the field named).
INVALID_PRODUCTS: dict[str, tuple[dict[str, Any], str]] = {
    "no-name": (_product(name=None), "name"),
    "blank-name": (_product(name=""), "name"),
    "unknown-category": (_product(category="nowhere"), "category"),
    "no-category": (_product(category=None), "category"),
    "unknown-tag": (_product(tags=["no-such-tag"]), "tags"),
    "negative-price": (_product(price="-1.00"), "price"),
    "price-not-a-number": (_product(price="ten"), "price"),
    "negative-stock": (_product(stock=-1), "stock"),
    "bad-sku": (_product(sku="has space"), "sku"),
    "no-sku": (_product(sku=None), "sku"),
    "no-price": (_product(price=None), "price"),
    "variants-and-sku": ({**_with_variants(GOOD), "sku": "D-2", "price": "5"}, "non_field_errors"),
    "variant-without-sku": (_with_variants({"price": "1"}), "variants.0.sku"),
    "variant-negative-price": (_with_variants({**GOOD, "price": "-5"}), "variants.0.price"),
    "variant-negative-stock": (
        _with_variants(GOOD, {"sku": "D-2", "price": "1", "stock": -3}),
        "variants.1.stock",
    ),
    "options-not-a-dict": (_with_variants({**GOOD, "options": "L"}), "variants.0.options"),
    "option-not-a-string": (
        _with_variants({**GOOD, "options": {"size": 10}}),
        "variants.0.options",
    ),
    "option-a-list": (_with_variants({**GOOD, "options": {"size": ["S"]}}), "variants.0.options"),
    "currency-too-long": (_with_variants({**GOOD, "currency": "EURO"}), "variants.0.currency"),
    "currency-not-letters": (_with_variants({**GOOD, "currency": "E1R"}), "variants.0.currency"),
    "negative-compare-at": (
        _with_variants({**GOOD, "compare_at_price": "-1"}),
        "variants.0.compare_at_price",
    ),
}


@pytest.mark.parametrize(("body", "field"), INVALID_PRODUCTS.values(), ids=INVALID_PRODUCTS)
def test_an_invalid_product_is_refused_and_nothing_is_stored(world, staff, body, field):
    before = catalog_state()

    response = send(staff, "POST", PRODUCTS_URL, body)

    assert_problem(response, 400, "validation_error", field=field)
    assert catalog_state() == before


SKU_CONFLICTS: dict[str, dict[str, Any]] = {
    "sku-in-database": _product(sku="LAMP-1"),
    "variant-sku-in-database": _with_variants(GOOD, {"sku": "LAMP-2", "price": "1"}),
    "sku-twice-in-request": _with_variants(GOOD, {"sku": "DESK-1", "price": "1"}),
}


@pytest.mark.parametrize("body", SKU_CONFLICTS.values(), ids=SKU_CONFLICTS)
def test_a_product_with_a_taken_sku_is_a_conflict_and_nothing_is_stored(world, staff, body):
    before = catalog_state()

    response = send(staff, "POST", PRODUCTS_URL, body)

    assert_problem(response, 409, "sku_taken", field="sku")
    assert catalog_state() == before


def test_product_slugs_come_from_names_and_collisions_get_a_number(world, staff):
    made = []
    for n in range(3):
        response = send(staff, "POST", PRODUCTS_URL, _product(name="Desk Lamp", sku=f"DL-{n}"))
        assert response.status_code == 201, response.content
        made.append(response.json()["slug"])
    assert made == ["desk-lamp", "desk-lamp-2", "desk-lamp-3"]

    renamed = send(staff, "PATCH", product_url("desk-lamp-2"), {"name": "Reading Lamp"})
    assert renamed.json()["slug"] == "desk-lamp-2"
    assert Product.objects.get(slug="desk-lamp-2").name == "Reading Lamp"
    # The freed-up name does not free the slug; a new "Desk Lamp" takes the next number.
    again = send(staff, "POST", PRODUCTS_URL, _product(name="Desk Lamp", sku="DL-9"))
    assert again.json()["slug"] == "desk-lamp-4"


def test_staff_update_a_product(world, staff):
    kitchen = make_category("Kitchen")
    new = services.create_tag(name="New")

    response = send(
        staff,
        "PATCH",
        product_url("lamp"),
        {"category": "kitchen", "tags": ["new"], "is_featured": True, "description": "Nice."},
    )

    assert response.status_code == 200, response.content
    assert response.json()["category"] == "kitchen"
    assert response.json()["tags"] == ["new"]
    lamp = Product.objects.get(slug="lamp")
    assert (lamp.category, lamp.is_featured, lamp.description, lamp.name) == (
        kitchen,
        True,
        "Nice.",
        "Lamp",
    )
    assert list(lamp.tags.all()) == [new]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"category": "nowhere"}, "category"),
        ({"tags": ["nothing"]}, "tags"),
        ({"name": ""}, "name"),
        ({"is_active": "perhaps"}, "is_active"),
    ],
)
def test_a_bad_product_update_is_refused_and_changes_nothing(world, staff, body, field):
    before = catalog_state()

    response = send(staff, "PATCH", product_url("lamp"), body)

    assert_problem(response, 400, "validation_error", field=field)
    assert catalog_state() == before


def test_staff_delete_a_product_with_its_variants_discounts_and_reviews(world, staff):
    services.create_review(product=world["lamp"], user=UserFactory.create(), rating=4)

    assert send(staff, "DELETE", product_url("lamp")).status_code == 204

    assert not Product.objects.exists()
    assert not ProductVariant.objects.exists()
    assert not Discount.objects.exists()
    assert not Review.objects.exists()
    assert_problem(send(staff, "DELETE", product_url("lamp")), 404, "not_found")


# --- Variants -------------------------------------------------------------------------------


def test_staff_list_add_update_and_delete_variants(world, staff):
    listed = send(staff, "GET", variants_url("lamp")).json()
    assert [v["sku"] for v in listed] == ["LAMP-1", "LAMP-2"]

    added = send(
        staff,
        "POST",
        variants_url("lamp"),
        {"sku": "LAMP-3", "price": "31.5", "stock": 4, "options": {"colour": "red"}},
    )
    assert added.status_code == 201, added.content
    assert added.json()["price"] == "31.50"
    assert ProductVariant.objects.get(sku="LAMP-3").position == 2

    updated = send(staff, "PATCH", variant_url("lamp", "LAMP-3"), {"sku": "LAMP-X", "stock": 0})
    assert updated.status_code == 200, updated.content
    stored = ProductVariant.objects.get(sku="LAMP-X")
    assert (stored.stock, stored.price, stored.options) == (0, Decimal("31.50"), {"colour": "red"})

    assert send(staff, "DELETE", variant_url("lamp", "LAMP-X")).status_code == 204
    assert not ProductVariant.objects.filter(sku="LAMP-X").exists()
    assert_problem(send(staff, "PATCH", variant_url("lamp", "LAMP-X"), {}), 404, "not_found")
    # A SKU is found under its own product only.
    other = make_product("Desk", category=world["lamps"])
    assert_problem(send(staff, "DELETE", variant_url(other.slug, "LAMP-1")), 404, "not_found")


def test_a_variant_currency_is_stored_upper_case_when_changed_too(world, staff):
    response = send(staff, "PATCH", variant_url("lamp", "LAMP-1"), {"currency": "usd"})

    assert response.status_code == 200, response.content
    assert ProductVariant.objects.get(sku="LAMP-1").currency == "USD"


NEW_VARIANT, LAMP_1 = variants_url("lamp"), variant_url("lamp", "LAMP-1")
INVALID = "validation_error"
# test id → (method, url, body, status, code, field named)
BAD_VARIANT_WRITES: dict[str, tuple[str, str, dict[str, Any], int, str, str | None]] = {
    "sku-taken": ("POST", NEW_VARIANT, {"sku": "LAMP-2", "price": "1"}, 409, "sku_taken", "sku"),
    "negative-price": ("POST", NEW_VARIANT, {"sku": "L-9", "price": "-1"}, 400, INVALID, "price"),
    "no-price": ("POST", NEW_VARIANT, {"sku": "L-9"}, 400, INVALID, "price"),
    "option-not-a-string": (
        "POST",
        NEW_VARIANT,
        {"sku": "L-9", "price": "1", "options": {"a": 1}},
        400,
        INVALID,
        "options",
    ),
    "unknown-product": (
        "POST",
        variants_url("nothing"),
        {"sku": "L-9", "price": "1"},
        404,
        "not_found",
        None,
    ),
    "rename-to-taken-sku": ("PATCH", LAMP_1, {"sku": "LAMP-2"}, 409, "sku_taken", "sku"),
    "negative-stock": ("PATCH", LAMP_1, {"stock": -1}, 400, INVALID, "stock"),
    "price-not-a-number": ("PATCH", LAMP_1, {"price": "x"}, 400, INVALID, "price"),
    "bad-currency": ("PATCH", LAMP_1, {"currency": "EURO"}, 400, INVALID, "currency"),
}


@pytest.mark.parametrize(
    ("method", "url", "body", "status", "code", "field"),
    BAD_VARIANT_WRITES.values(),
    ids=BAD_VARIANT_WRITES,
)
def test_a_bad_variant_write_is_refused_and_changes_nothing(
    world, staff, method, url, body, status, code, field
):
    before = catalog_state()

    response = send(staff, method, url, body)

    assert_problem(response, status, code, field=field)
    assert catalog_state() == before


# --- Bulk price and stock updates -----------------------------------------------------------


def test_staff_bulk_update_prices_and_stock(world, staff, django_capture_on_commit_callbacks):
    make_product("Desk", category=world["lamps"], variants=[variant("DESK-1", price="100.00")])

    with django_capture_on_commit_callbacks(execute=True):
        response = send(
            staff,
            "POST",
            BULK_URL,
            {
                "changes": [
                    {"sku": "LAMP-2", "price": "22.00"},
                    {"sku": "DESK-1", "price": "90", "stock": 12},
                    {"sku": "LAMP-1", "stock": 0},
                ]
            },
        )

    assert response.status_code == 200, response.content
    assert response.json() == {"updated": 3}
    stored = dict(ProductVariant.objects.values_list("sku", "price"))
    assert stored == {
        "LAMP-1": Decimal("20.00"),
        "LAMP-2": Decimal("22.00"),
        "DESK-1": Decimal("90.00"),
    }
    stock = dict(ProductVariant.objects.values_list("sku", "stock"))
    assert stock == {"LAMP-1": 0, "LAMP-2": 5, "DESK-1": 12}


def test_a_bulk_update_naming_unknown_skus_changes_nothing(world, staff):
    before = catalog_state()

    response = send(
        staff,
        "POST",
        BULK_URL,
        {
            "changes": [
                {"sku": "LAMP-1", "price": "1.00"},
                {"sku": "GHOST-2", "stock": 1},
                {"sku": "GHOST-1", "price": "3.00"},
            ]
        },
    )

    body = assert_problem(response, 400, "unknown_sku", field="sku")
    assert "GHOST-1, GHOST-2" in body["detail"]
    assert sorted(error["detail"] for error in body["errors"]) == [
        "Unknown SKU GHOST-1.",
        "Unknown SKU GHOST-2.",
    ]
    assert catalog_state() == before


# test id → (body, field named)
MALFORMED_BULK_UPDATES: dict[str, tuple[dict[str, Any], str]] = {
    "empty": ({"changes": []}, "changes.non_field_errors"),
    "missing": ({}, "changes"),
    "not-a-list": ({"changes": "LAMP-1"}, "changes.non_field_errors"),
    "nothing-to-change": ({"changes": [{"sku": "LAMP-1"}]}, "changes.0.non_field_errors"),
    "negative-stock": ({"changes": [{"sku": "LAMP-1", "stock": -1}]}, "changes.0.stock"),
    "negative-price": ({"changes": [{"sku": "LAMP-1", "price": "-0.01"}]}, "changes.0.price"),
    "no-sku": ({"changes": [{"price": "1"}]}, "changes.0.sku"),
    "sku-twice": (
        {"changes": [{"sku": "LAMP-1", "stock": 1}, {"sku": "LAMP-1", "price": "2"}]},
        "changes",
    ),
}


@pytest.mark.parametrize(
    ("body", "field"), MALFORMED_BULK_UPDATES.values(), ids=MALFORMED_BULK_UPDATES
)
def test_a_malformed_bulk_update_is_refused_and_changes_nothing(world, staff, body, field):
    before = catalog_state()

    response = send(staff, "POST", BULK_URL, body)

    assert_problem(response, 400, "validation_error", field=field)
    assert catalog_state() == before


# --- Categories and tags --------------------------------------------------------------------


def test_staff_create_update_and_delete_categories(world, staff):
    created = send(
        staff, "POST", CATEGORIES_URL, {"name": "Desk Lamps", "parent": "lamps", "position": 3}
    )
    assert created.status_code == 201, created.content
    assert created.json() == {
        "slug": "desk-lamps",
        "name": "Desk Lamps",
        "parent": "lamps",
        "description": "",
        "is_active": True,
        "position": 3,
    }

    moved = send(staff, "PATCH", category_url("desk-lamps"), {"parent": None, "name": "Desk"})
    assert moved.status_code == 200, moved.content
    assert (moved.json()["slug"], moved.json()["parent"]) == ("desk-lamps", None)
    assert Category.objects.get(slug="desk-lamps").name == "Desk"

    assert send(staff, "DELETE", category_url("desk-lamps")).status_code == 204
    assert not Category.objects.filter(slug="desk-lamps").exists()


def test_category_and_tag_slugs_get_a_number_on_collision(world, staff):
    categories = [send(staff, "POST", CATEGORIES_URL, {"name": "Lamps"}) for _ in range(2)]
    tags = [send(staff, "POST", TAGS_URL, {"name": "Sale"}) for _ in range(2)]

    assert [r.json()["slug"] for r in categories] == ["lamps-2", "lamps-3"]
    assert [r.json()["slug"] for r in tags] == ["sale-2", "sale-3"]
    renamed = send(staff, "PATCH", tag_url("sale-2"), {"name": "Clearance"})
    assert renamed.json() == {"slug": "sale-2", "name": "Clearance"}


@pytest.fixture
def nested(world) -> dict[str, Category]:
    """Lamps > Desk > Tiny."""
    desk = make_category("Desk", parent=world["lamps"])
    return {"lamps": world["lamps"], "desk": desk, "tiny": make_category("Tiny", parent=desk)}


@pytest.mark.parametrize(
    ("slug", "parent"),
    [("lamps", "lamps"), ("lamps", "desk"), ("lamps", "tiny"), ("desk", "tiny")],
)
def test_a_category_cannot_move_under_itself_or_a_descendant(nested, staff, slug, parent):
    before = catalog_state()

    response = send(staff, "PATCH", category_url(slug), {"parent": parent})

    assert_problem(response, 400, "invalid_parent", field="parent")
    assert catalog_state() == before


LAMPS, IN_USE = category_url("lamps"), "category_in_use"
# test id → (method, url, body, status, code, field named)
BAD_CATEGORY_AND_TAG_WRITES: dict[str, tuple[str, str, Any, int, str, str | None]] = {
    "no-name": ("POST", CATEGORIES_URL, {}, 400, INVALID, "name"),
    "blank-name": ("POST", CATEGORIES_URL, {"name": ""}, 400, INVALID, "name"),
    "unknown-parent": (
        "POST",
        CATEGORIES_URL,
        {"name": "X", "parent": "no"},
        400,
        INVALID,
        "parent",
    ),
    "negative-position": (
        "POST",
        CATEGORIES_URL,
        {"name": "X", "position": -1},
        400,
        INVALID,
        "position",
    ),
    "move-to-unknown-parent": ("PATCH", LAMPS, {"parent": "no"}, 400, INVALID, "parent"),
    "unknown-category": ("PATCH", category_url("nothing"), {"name": "X"}, 404, "not_found", None),
    "delete-with-products": ("DELETE", LAMPS, None, 409, IN_USE, None),
    "delete-with-sub-categories": ("DELETE", category_url("desk"), None, 409, IN_USE, None),
    "tag-no-name": ("POST", TAGS_URL, {}, 400, INVALID, "name"),
    "tag-name-too-long": ("POST", TAGS_URL, {"name": "x" * 61}, 400, INVALID, "name"),
    "tag-blank-name": ("PATCH", tag_url("sale"), {"name": ""}, 400, INVALID, "name"),
    "unknown-tag": ("PATCH", tag_url("nothing"), {"name": "X"}, 404, "not_found", None),
}


@pytest.mark.parametrize(
    ("method", "url", "body", "status", "code", "field"),
    BAD_CATEGORY_AND_TAG_WRITES.values(),
    ids=BAD_CATEGORY_AND_TAG_WRITES,
)
def test_a_bad_category_or_tag_write_is_refused_and_changes_nothing(
    nested, staff, method, url, body, status, code, field
):
    before = catalog_state()

    response = send(staff, method, url, body)

    assert_problem(response, status, code, field=field)
    assert catalog_state() == before


# --- Discounts ------------------------------------------------------------------------------


def test_staff_manage_discounts(world, staff):
    created = send(
        staff,
        "POST",
        DISCOUNTS_URL,
        {
            "name": "Spring",
            "percent": "15",
            "category": "lamps",
            "starts_at": "2030-03-01T00:00:00Z",
            "ends_at": "2030-04-01T00:00:00Z",
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body == {
        "id": body["id"],
        "name": "Spring",
        "percent": "15.00",
        "product": None,
        "category": "lamps",
        "starts_at": "2030-03-01T00:00:00Z",
        "ends_at": "2030-04-01T00:00:00Z",
        "is_active": True,
    }
    listed = send(staff, "GET", DISCOUNTS_URL).json()
    assert [d["name"] for d in listed] == ["Spring", "Lamp deal"]
    assert send(staff, "GET", discount_url(body["id"])).json() == body

    patched = send(staff, "PATCH", discount_url(body["id"]), {"category": None, "product": "lamp"})
    assert patched.status_code == 200, patched.content
    stored = Discount.objects.get(pk=body["id"])
    assert (stored.product, stored.category) == (world["lamp"], None)

    assert send(staff, "DELETE", discount_url(body["id"])).status_code == 204
    assert_problem(send(staff, "GET", discount_url(body["id"])), 404, "not_found")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"percent": "0", "product": "lamp"}, "percent"),
        ({"percent": "95", "product": "lamp"}, "percent"),
        ({"percent": "-5", "product": "lamp"}, "percent"),
        ({"percent": "10", "product": "lamp", "category": "lamps"}, "non_field_errors"),
        ({"percent": "10"}, "non_field_errors"),
        (
            {
                "percent": "10",
                "product": "lamp",
                "starts_at": "2030-03-02T00:00:00Z",
                "ends_at": "2030-03-01T00:00:00Z",
            },
            "ends_at",
        ),
        (
            {
                "percent": "10",
                "product": "lamp",
                "starts_at": "2030-03-01T00:00:00Z",
                "ends_at": "2030-03-01T00:00:00Z",
            },
            "ends_at",
        ),
    ],
    ids=[
        "zero",
        "95",
        "negative",
        "both-targets",
        "no-target",
        "ends-before-start",
        "empty-window",
    ],
)
def test_an_invalid_discount_is_refused_and_nothing_is_stored(world, staff, body, field):
    before = catalog_state()

    response = send(staff, "POST", DISCOUNTS_URL, {"name": "Bad", **body})

    assert_problem(response, 400, "invalid_discount", field=field)
    assert catalog_state() == before


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"percent": "90.01"}, "invalid_discount", "percent"),
        ({"category": "lamps"}, "invalid_discount", "non_field_errors"),
        ({"product": None}, "invalid_discount", "non_field_errors"),
        ({"product": "nothing"}, "validation_error", "product"),
        ({"starts_at": "yesterday"}, "validation_error", "starts_at"),
        ({"percent": "12.345"}, "validation_error", "percent"),
    ],
)
def test_an_invalid_discount_change_is_refused_and_changes_nothing(world, staff, body, code, field):
    before = catalog_state()

    response = send(staff, "PATCH", discount_url(world["discount"].pk), body)

    assert_problem(response, 400, code, field=field)
    assert catalog_state() == before


def test_a_staff_user_sees_discounts_a_customer_does_not(world):
    staff_user = SuperUserFactory.create()
    assert client_for(staff_user).get(DISCOUNTS_URL).status_code == 200
    assert_problem(customer_client().get(DISCOUNTS_URL), 403, "permission_denied")


# --- Reviews --------------------------------------------------------------------------------


def test_a_customer_reviews_a_product_once(world):
    author = UserFactory.create(full_name="Ada Lovelace")
    client = client_for(author)

    response = client.post(reviews_url("lamp"), {"rating": 4, "title": "Nice", "body": "Bright."})

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["rating"], body["title"], body["body"], body["author"]) == (
        4,
        "Nice",
        "Bright.",
        "Ada L.",
    )
    review = Review.objects.get(pk=body["id"])
    assert (review.user, review.product, review.rating) == (author, world["lamp"], 4)

    before = catalog_state()
    again = client.post(reviews_url("lamp"), {"rating": 1})
    assert_problem(again, 409, "review_exists")
    assert catalog_state() == before


@pytest.mark.parametrize(
    ("slug", "body", "status", "code", "field"),
    [
        ("lamp", {"rating": 0}, 400, "validation_error", "rating"),
        ("lamp", {"rating": 6}, 400, "validation_error", "rating"),
        ("lamp", {}, 400, "validation_error", "rating"),
        ("lamp", {"rating": 3, "title": "x" * 121}, 400, "validation_error", "title"),
        ("nothing", {"rating": 3}, 404, "not_found", None),
        ("hidden", {"rating": 3}, 404, "not_found", None),
    ],
)
def test_a_bad_review_is_refused_and_nothing_is_stored(world, slug, body, status, code, field):
    make_product("Hidden", category=world["lamps"], is_active=False)
    before = catalog_state()

    response = customer_client().post(reviews_url(slug), body, format="json")

    assert_problem(response, status, code, field=field)
    assert catalog_state() == before


def test_anonymous_callers_cannot_write_reviews(api_client, world):
    review = services.create_review(product=world["lamp"], user=UserFactory.create(), rating=5)
    before = catalog_state()

    assert_problem(api_client.post(reviews_url("lamp"), {"rating": 5}), 401, "not_authenticated")
    assert_problem(
        api_client.patch(review_url("lamp", review.pk), {"rating": 1}), 401, "not_authenticated"
    )
    assert_problem(api_client.delete(review_url("lamp", review.pk)), 401, "not_authenticated")
    assert catalog_state() == before


def test_a_customer_edits_and_deletes_their_own_review(world):
    author = UserFactory.create()
    review = services.create_review(product=world["lamp"], user=author, rating=2, title="Meh")
    client = client_for(author)

    response = client.patch(review_url("lamp", review.pk), {"rating": 4}, format="json")

    assert response.status_code == 200, response.content
    assert (response.json()["rating"], response.json()["title"]) == (4, "Meh")
    review.refresh_from_db()
    assert (review.rating, review.title) == (4, "Meh")
    assert_problem(
        client.patch(review_url("lamp", review.pk), {"rating": 9}, format="json"),
        400,
        "validation_error",
        field="rating",
    )
    assert client.delete(review_url("lamp", review.pk)).status_code == 204
    assert not Review.objects.filter(pk=review.pk).exists()


@pytest.mark.parametrize("as_staff", [False, True])
def test_someone_elses_review_is_not_found_and_stays_as_it_was(world, as_staff):
    review = services.create_review(
        product=world["lamp"], user=UserFactory.create(), rating=5, title="Great"
    )
    intruder = client_for(StaffUserFactory.create() if as_staff else UserFactory.create())
    before = catalog_state()

    assert_problem(
        intruder.patch(review_url("lamp", review.pk), {"rating": 1}, format="json"),
        404,
        "not_found",
    )
    assert_problem(intruder.delete(review_url("lamp", review.pk)), 404, "not_found")
    assert catalog_state() == before


def test_a_review_is_found_under_its_own_product_only(world):
    author = UserFactory.create()
    review = services.create_review(product=world["lamp"], user=author, rating=5)
    other = make_product("Desk", category=world["lamps"])

    response = client_for(author).patch(review_url(other.slug, review.pk), {"rating": 1})

    assert_problem(response, 404, "not_found")
    review.refresh_from_db()
    assert review.rating == 5

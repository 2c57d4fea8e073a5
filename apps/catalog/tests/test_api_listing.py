"""The public catalog reads: product filters, search, ordering, keyset pages, visibility, prices.

Expected answers are worked out here from the data each test makes, never read back from the
code under test.
"""

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from apps.catalog import services
from apps.catalog.cache import bump_catalog_version
from apps.catalog.models import Category, Product, ProductVariant
from apps.catalog.tests.test_api_support import (
    CATEGORIES_URL,
    FEATURED_URL,
    PRODUCTS_URL,
    TAGS_URL,
    category_url,
    clear_cache,
    cursor_of,
    make_category,
    make_product,
    product_url,
    query_of,
    rate,
    results,
    reviews_url,
    slugs,
    variant,
    walk_pages,
)
from apps.core.tests.helpers import assert_problem
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)


def param_id(value: object) -> str | None:
    """Name a parametrized case after its query parameters."""
    if not isinstance(value, dict):
        return None
    return "&".join(f"{key}={str(v)[:12]}" for key, v in value.items()) or "none"


def listed(client, **params: Any) -> list[str]:
    """Return the slugs of every product matching `params` (one big page), sorted."""
    return sorted(slugs(client.get(PRODUCTS_URL, {"page_size": 100, **params})))


# --- Filters --------------------------------------------------------------------------------


@pytest.fixture
def shop(db):
    """Two category trees, two tags, five products with different prices, stock and ratings."""
    clothing = make_category("Clothing")
    shoes = make_category("Shoes", parent=clothing)
    trail = make_category("Trail", parent=shoes)
    kitchen = make_category("Kitchen")
    sale, eco = services.create_tag(name="Sale"), services.create_tag(name="Eco")
    jacket = make_product("Jacket", category=clothing, price="80.00", tags=[eco], is_featured=True)
    make_product("Sneaker", category=shoes, price="60.00", stock=0, tags=[sale])
    runner = make_product(
        "Runner",
        category=trail,
        variants=[variant(price="120.00", stock=2), variant(price="100.00", stock=0)],
        tags=[sale, eco],
    )
    kettle = make_product("Kettle", category=kitchen, price="30.00", stock=10, is_featured=True)
    make_product("Pan", category=kitchen, price="45.00", stock=1)
    rate(jacket, 4, 5)
    rate(runner, 3)
    rate(kettle, 2)
    return {"clothing": clothing, "shoes": shoes, "trail": trail, "kitchen": kitchen}


ALL = ["jacket", "kettle", "pan", "runner", "sneaker"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ALL),
        ({"category": "clothing"}, ["jacket", "runner", "sneaker"]),
        ({"category": "shoes"}, ["runner", "sneaker"]),
        ({"category": "trail"}, ["runner"]),
        ({"category": "kitchen"}, ["kettle", "pan"]),
        ({"tag": "sale"}, ["runner", "sneaker"]),
        ({"tag": "eco"}, ["jacket", "runner"]),
        ({"price_min": "60"}, ["jacket", "runner", "sneaker"]),
        ({"price_max": "45.00"}, ["kettle", "pan"]),
        ({"price_min": "45", "price_max": "80"}, ["jacket", "pan", "sneaker"]),
        ({"price_min": "100", "price_max": "100"}, ["runner"]),
        ({"in_stock": "true"}, ["jacket", "kettle", "pan", "runner"]),
        ({"in_stock": "false"}, ["sneaker"]),
        ({"featured": "true"}, ["jacket", "kettle"]),
        ({"featured": "false"}, ["pan", "runner", "sneaker"]),
        ({"rating_min": "3"}, ["jacket", "runner"]),
        ({"rating_min": "4.5"}, ["jacket"]),
        ({"rating_min": "1"}, ["jacket", "kettle", "runner"]),
        ({"category": "clothing", "tag": "eco", "in_stock": "true"}, ["jacket", "runner"]),
        ({"category": "clothing", "tag": "eco", "price_max": "90"}, ["jacket"]),
        ({"category": "clothing", "featured": "false", "in_stock": "true"}, ["runner"]),
        ({"tag": "sale", "in_stock": "false"}, ["sneaker"]),
        ({"category": "kitchen", "rating_min": "2", "price_min": "40"}, []),
        ({"category": "kitchen", "search": "kettle"}, ["kettle"]),
    ],
    ids=param_id,
)
def test_each_filter_alone_and_combined(api_client, shop, params, expected):
    assert listed(api_client, **params) == expected


def test_the_price_filters_use_the_effective_from_price(api_client, shop):
    # Half off everything under Clothing (sub-categories included): 40, 30 and 50 (from 100).
    services.create_discount(name="Clothing sale", percent=Decimal(50), category=shop["clothing"])

    assert listed(api_client, price_max="45") == ["jacket", "kettle", "pan", "sneaker"]
    assert listed(api_client, price_min="40", price_max="50") == ["jacket", "pan", "runner"]


def test_the_price_filters_match_the_price_the_card_shows(api_client):
    """A product shown at 6.69 is within price_max=6.69, one shown at 6.70 within price_min=6.70."""
    category = make_category()
    low = make_product("Low", category=category, price="9.99")  # 9.99 less 33% = 6.6933
    high = make_product("High", category=category, price="13.39")  # 13.39 less 50% = 6.695
    services.create_discount(name="A third off", percent=Decimal(33), product=low)
    services.create_discount(name="Half off", percent=Decimal(50), product=high)
    shown = {card["slug"]: card["price"] for card in results(api_client.get(PRODUCTS_URL))}
    assert shown == {"low": "6.69", "high": "6.70"}

    assert listed(api_client, price_max="6.69") == ["low"]
    assert listed(api_client, price_min="6.69", price_max="6.69") == ["low"]
    assert listed(api_client, price_min="6.70") == ["high"]
    assert listed(api_client, price_min="6.70", price_max="6.70") == ["high"]


def test_price_filters_and_ordering_are_exact_for_whole_number_prices_and_percents(api_client):
    """7.00 less 33% is 4.69 (not 4.00, as whole-number division in the database would make it)."""
    category = make_category()
    seven = make_product("Seven", category=category, price="7.00")
    make_product("Four", category=category, price="4.20")
    services.create_discount(name="A third off", percent=Decimal(33), product=seven)
    shown = {card["slug"]: card["price"] for card in results(api_client.get(PRODUCTS_URL))}
    assert shown == {"seven": "4.69", "four": "4.20"}

    assert listed(api_client, price_min="4.50") == ["seven"]
    assert listed(api_client, price_max="4.50") == ["four"]
    assert slugs(api_client.get(PRODUCTS_URL, {"ordering": "price"})) == ["four", "seven"]


@pytest.mark.parametrize("name", ["category", "tag"])
def test_an_unknown_category_or_tag_is_a_problem_naming_the_parameter(api_client, shop, name):
    response = api_client.get(PRODUCTS_URL, {name: "no-such-thing"})

    body = assert_problem(response, 400, "unknown_filter_value", field=name)
    assert "no-such-thing" in body["detail"]


def test_an_inactive_category_is_an_unknown_filter_value(api_client, shop):
    shop["kitchen"].is_active = False
    shop["kitchen"].save()

    assert_problem(
        api_client.get(PRODUCTS_URL, {"category": "kitchen"}),
        400,
        "unknown_filter_value",
        field="category",
    )


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"price_min": "abc"}, "price_min"),
        ({"price_min": "-1"}, "price_min"),
        ({"price_max": "-0.01"}, "price_max"),
        ({"price_max": "1.234"}, "price_max"),
        ({"price_min": "50", "price_max": "10"}, "price_max"),
        ({"rating_min": "0"}, "rating_min"),
        ({"rating_min": "6"}, "rating_min"),
        ({"rating_min": "x"}, "rating_min"),
        ({"in_stock": "maybe"}, "in_stock"),
        ({"featured": "perhaps"}, "featured"),
        ({"ordering": "foo"}, "ordering"),
        ({"ordering": "id"}, "ordering"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "101"}, "page_size"),
        ({"page_size": "x"}, "page_size"),
        ({"category": "not a slug!"}, "category"),
        ({"tag": "bad/slug"}, "tag"),
        ({"search": "x" * 201}, "search"),
    ],
    ids=param_id,
)
def test_an_invalid_parameter_is_a_validation_problem_naming_it(api_client, shop, params, field):
    response = api_client.get(PRODUCTS_URL, params)

    assert_problem(response, 400, "validation_error", field=field)


def _forged_cursor(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("ordering", "cursor"),
    [
        ("-created_at", "garbage"),
        ("-created_at", "!!!"),
        ("name", _forged_cursor({"k": "x"})),
        ("name", _forged_cursor({"k": 1, "p": "x", "b": False, "o": "name"})),
        ("price", _forged_cursor({"k": "ten", "p": "x", "b": False, "o": "price_key"})),
        ("-created_at", _forged_cursor({"k": "yesterday", "p": "x", "b": 0, "o": "created_at"})),
        # Well-formed, but the tie-breaker is no product id.
        ("name", _forged_cursor({"k": "Kettle", "p": "zzz", "b": False, "o": "name"})),
        # Well-formed, but the time has no zone: which instant is meant?
        (
            "-created_at",
            _forged_cursor(
                {
                    "k": "2030-01-01T00:00:00",
                    "p": "00000000-0000-0000-0000-000000000000",
                    "b": False,
                    "o": "created_at",
                }
            ),
        ),
    ],
    ids=[
        "garbage",
        "not-base64",
        "no-fields",
        "int-name",
        "str-price",
        "bad-time",
        "bad-pk",
        "naive-time",
    ],
)
def test_a_garbled_or_forged_cursor_is_a_problem_naming_the_cursor(
    api_client, shop, ordering, cursor
):
    response = api_client.get(PRODUCTS_URL, {"ordering": ordering, "cursor": cursor})

    assert_problem(response, 400, "invalid_cursor", field="cursor")


@pytest.mark.parametrize(
    ("made_for", "used_for"),
    [
        ({"ordering": "name"}, {"ordering": "price"}),
        ({"ordering": "price"}, {"ordering": "-created_at"}),
        ({}, {"ordering": "rating"}),
        ({"ordering": "name"}, {"ordering": "-name"}),
        ({"ordering": "-price"}, {"ordering": "price"}),
        ({"ordering": "created_at"}, {}),
        ({}, {"search": "kettle"}),
    ],
    ids=[
        "name>price",
        "price>-created",
        "default>rating",
        "name>-name",
        "-price>price",
        "created>-created",
        "created>relevance",
    ],
)
def test_a_cursor_from_another_ordering_is_refused(api_client, shop, made_for, used_for):
    first = api_client.get(PRODUCTS_URL, {"page_size": 1, **made_for})
    cursor = cursor_of(first.json()["next"])

    response = api_client.get(PRODUCTS_URL, {"page_size": 1, "cursor": cursor, **used_for})

    assert_problem(response, 400, "invalid_cursor", field="cursor")


# --- Ordering and pages ---------------------------------------------------------------------


@dataclass
class Row:
    slug: str
    pk: str
    created_at: datetime
    name: str
    price: Decimal
    rating: Decimal


@pytest.fixture
def ranked(db, time_machine) -> list[Row]:
    """Seven products with ties in every ordering key (creation time, name, price, rating)."""
    category = make_category()
    # (name, list price, product discount %, ratings, minutes after T0)
    spec = [
        ("Delta", "20.00", 0, [5], 0),
        ("Alpha", "15.00", 0, [3, 4], 0),
        ("Charlie", "20.00", 0, [], 1),
        ("Alpha", "5.00", 0, [5], 2),
        ("Bravo", "30.00", 50, [1], 2),
        ("Echo", "8.00", 0, [4, 3], 3),
        ("Foxtrot", "12.50", 20, [2, 2, 5], 4),
    ]
    rows = []
    for name, price, percent, ratings, minutes in spec:
        time_machine.move_to(T0 + timedelta(minutes=minutes), tick=False)
        product = make_product(name, category=category, price=price)
        if percent:
            services.create_discount(name="Off", percent=Decimal(percent), product=product)
        rate(product, *ratings)
        rows.append(
            Row(
                slug=product.slug,
                pk=str(product.pk),
                created_at=product.created_at,
                name=name,
                price=Decimal(price) * (100 - percent) / 100,
                rating=Decimal(sum(ratings)) / len(ratings) if ratings else Decimal(0),
            )
        )
    time_machine.move_to(T0 + timedelta(hours=1), tick=False)
    return rows


ORDERINGS = {
    "created_at": lambda row: (row.created_at, row.pk),
    "name": lambda row: (row.name, row.pk),
    "price": lambda row: (row.price, row.pk),
    "rating": lambda row: (round(row.rating, 3), row.pk),
}


def expected_order(rows: list[Row], ordering: str) -> list[str]:
    """Sort by the key then the id, both reversed for a descending ordering."""
    key = ORDERINGS[ordering.lstrip("-")]
    ordered = sorted(rows, key=key, reverse=ordering.startswith("-"))
    return [row.slug for row in ordered]


EVERY_ORDERING = [
    "created_at",
    "-created_at",
    "name",
    "-name",
    "price",
    "-price",
    "rating",
    "-rating",
]


def test_the_data_has_ties_in_every_ordering_key(ranked):
    for key in ORDERINGS.values():
        values = [key(row)[0] for row in ranked]
        assert len(set(values)) < len(values)


@pytest.mark.parametrize("ordering", EVERY_ORDERING)
def test_every_ordering_sorts_by_its_key_then_by_id(api_client, ranked, ordering):
    response = api_client.get(PRODUCTS_URL, {"ordering": ordering})

    assert slugs(response) == expected_order(ranked, ordering)


def test_the_default_ordering_is_newest_first(api_client, ranked):
    assert slugs(api_client.get(PRODUCTS_URL)) == expected_order(ranked, "-created_at")


@pytest.mark.parametrize("ordering", EVERY_ORDERING)
@pytest.mark.parametrize("page_size", [1, 2, 3])
def test_walking_next_links_returns_every_product_once_in_order(
    api_client, ranked, ordering, page_size
):
    pages = walk_pages(api_client, PRODUCTS_URL, {"ordering": ordering, "page_size": page_size})

    walked = [slug for page in pages for slug in page]
    assert walked == expected_order(ranked, ordering)
    assert all(len(page) == page_size for page in pages[:-1])
    assert 1 <= len(pages[-1]) <= page_size


@pytest.mark.parametrize("ordering", ["-created_at", "name", "-price", "rating"])
def test_previous_from_page_two_returns_page_one(api_client, ranked, ordering):
    first = api_client.get(PRODUCTS_URL, {"ordering": ordering, "page_size": 3})
    assert first.json()["previous"] is None
    second = api_client.get(PRODUCTS_URL, query_of(first.json()["next"]))
    assert slugs(second) == expected_order(ranked, ordering)[3:6]

    back = api_client.get(PRODUCTS_URL, query_of(second.json()["previous"]))

    assert slugs(back) == slugs(first)
    assert back.json()["previous"] is None
    assert slugs(api_client.get(PRODUCTS_URL, query_of(back.json()["next"]))) == slugs(second)


def test_walking_previous_links_from_the_last_page_returns_every_page(api_client, ranked):
    forward = walk_pages(api_client, PRODUCTS_URL, {"ordering": "price", "page_size": 2})
    response = api_client.get(PRODUCTS_URL, {"ordering": "price", "page_size": 2})
    while response.json()["next"]:
        response = api_client.get(PRODUCTS_URL, query_of(response.json()["next"]))

    backward = [slugs(response)]
    while response.json()["previous"]:
        response = api_client.get(PRODUCTS_URL, query_of(response.json()["previous"]))
        backward.append(slugs(response))

    assert backward == forward[::-1]


def test_page_links_keep_the_filters(api_client, shop):
    response = api_client.get(PRODUCTS_URL, {"category": "clothing", "page_size": 1})

    link = response.json()["next"]
    assert query_of(link)["category"] == "clothing"
    assert query_of(link)["page_size"] == "1"
    pages = walk_pages(api_client, PRODUCTS_URL, {"category": "clothing", "page_size": 1})
    assert sorted(slug for page in pages for slug in page) == ["jacket", "runner", "sneaker"]


def test_a_page_is_24_products_by_default_and_at_most_100(api_client):
    category = make_category()
    for _ in range(26):
        make_product(category=category)

    assert len(slugs(api_client.get(PRODUCTS_URL))) == 24
    assert len(slugs(api_client.get(PRODUCTS_URL, {"page_size": 100}))) == 26


# --- Search ---------------------------------------------------------------------------------


@pytest.fixture
def searchable(db):
    category = make_category()
    return {
        "name": make_product("Runner Jacket", category=category, description="Warm and dry."),
        "description": make_product(
            "Wool Socks", category=category, description="Soft socks for every runner."
        ),
        "other": make_product("Kettle", category=category, description="Boils water fast."),
        "stem": make_product("Trail Cap", category=category, description="For long runs."),
    }


def test_search_finds_by_name_and_description_words_and_ranks_name_matches_first(
    api_client, searchable
):
    # Created after the name match, so newest-first would put it first.
    assert slugs(api_client.get(PRODUCTS_URL, {"search": "runner"})) == [
        "runner-jacket",
        "wool-socks",
    ]
    assert slugs(api_client.get(PRODUCTS_URL, {"search": "Boils"})) == ["kettle"]
    assert slugs(api_client.get(PRODUCTS_URL, {"search": "  kettle  "})) == ["kettle"]
    assert slugs(api_client.get(PRODUCTS_URL, {"search": "toaster"})) == []
    # An explicit ordering wins over relevance.
    ordered = slugs(api_client.get(PRODUCTS_URL, {"search": "runner", "ordering": "-name"}))
    assert ordered == ["wool-socks", "runner-jacket"]

    if connection.vendor == "postgresql":
        # Full-text search with English stemming: "running" is "run", as in "runs".
        assert slugs(api_client.get(PRODUCTS_URL, {"search": "running"})) == ["trail-cap"]
        assert slugs(api_client.get(PRODUCTS_URL, {"search": "sock"})) == ["wool-socks"]


def test_search_combines_with_filters_and_pages(api_client, searchable):
    socks = searchable["description"]
    services.create_discount(name="Off", percent=Decimal(50), product=socks)

    assert slugs(api_client.get(PRODUCTS_URL, {"search": "runner", "price_max": "6"})) == [
        "wool-socks"
    ]
    pages = walk_pages(api_client, PRODUCTS_URL, {"search": "runner", "page_size": 1})
    assert pages == [["runner-jacket"], ["wool-socks"]]


# --- What is shown --------------------------------------------------------------------------


def _hide(kind: str, product: Product) -> None:
    if kind == "inactive product":
        product.is_active = False
        product.save()
    elif kind == "inactive category":
        Category.objects.filter(pk=product.category_id).update(is_active=False)
    elif kind == "inactive parent category":
        parent = product.category.parent
        assert parent is not None
        parent.is_active = False
        parent.save()
    elif kind == "no active variant":
        for each in product.variants.all():
            each.is_active = False
            each.save()
    elif kind == "no variant at all":
        product.variants.all().delete()


HIDDEN_KINDS = [
    "inactive product",
    "inactive category",
    "inactive parent category",
    "no active variant",
    "no variant at all",
]


@pytest.mark.parametrize("kind", HIDDEN_KINDS)
def test_a_hidden_product_is_never_listed_nor_shown(api_client, kind):
    parent = make_category("Outdoor")
    category = make_category("Tents", parent=parent)
    shown = make_product("Shown", category=make_category("Other"), is_featured=True)
    hidden = make_product("Hidden", category=category, is_featured=True)
    rate(hidden, 5)
    _hide(kind, hidden)

    assert slugs(api_client.get(PRODUCTS_URL)) == [shown.slug]
    assert slugs(api_client.get(PRODUCTS_URL, {"search": "hidden"})) == []
    assert slugs(api_client.get(PRODUCTS_URL, {"rating_min": "1"})) == []
    assert [card["slug"] for card in api_client.get(FEATURED_URL).json()] == [shown.slug]
    assert_problem(api_client.get(product_url(hidden.slug)), 404, "not_found")
    assert_problem(api_client.get(reviews_url(hidden.slug)), 404, "not_found")
    assert api_client.get(product_url(shown.slug)).status_code == 200


def test_inactive_variants_are_left_out_of_prices_and_the_detail(api_client):
    product = make_product(
        "Lamp",
        category=make_category(),
        variants=[
            variant("LAMP-S", price="12.00", stock=0),
            variant("LAMP-L", price="3.00", stock=9, is_active=False),
            variant("LAMP-M", price="15.00", stock=2),
        ],
    )

    [card] = results(api_client.get(PRODUCTS_URL))
    assert card["price"] == "12.00"
    assert card["in_stock"] is True
    detail = api_client.get(product_url(product.slug)).json()
    assert [v["sku"] for v in detail["variants"]] == ["LAMP-S", "LAMP-M"]
    assert [v["in_stock"] for v in detail["variants"]] == [False, True]

    sold_out = ProductVariant.objects.get(sku="LAMP-M")
    sold_out.stock = 0
    sold_out.save()
    bump_catalog_version()  # what the save does once it commits
    [card] = results(api_client.get(PRODUCTS_URL))
    assert card["in_stock"] is False


# --- Prices on cards and the product page ---------------------------------------------------


def test_a_card_shows_money_as_strings_with_two_decimals(api_client):
    category = make_category("Lighting")
    lamp = make_product(
        "Lamp", category=category, variants=[variant(price="10"), variant(price="12.5")]
    )
    rate(lamp, 4, 5, 5)

    [card] = results(api_client.get(PRODUCTS_URL))

    assert card == {
        "id": str(lamp.pk),
        "slug": "lamp",
        "name": "Lamp",
        "category": {"slug": "lighting", "name": "Lighting"},
        "tags": [],
        "is_featured": False,
        "price": "10.00",
        "price_varies": True,
        "list_price": "10.00",
        "compare_at_price": None,
        "discount_percent": None,
        "currency": "EUR",
        "in_stock": True,
        "average_rating": 4.67,
        "review_count": 3,
        "created_at": lamp.created_at.isoformat().replace("+00:00", "Z"),
        "image": None,
    }


def test_the_best_discount_wins_and_a_parent_category_discount_covers_sub_categories(
    api_client,
):
    home = make_category("Home")
    lighting = make_category("Lighting", parent=home)
    lamp = make_product("Lamp", category=lighting, price="10.00")
    make_product("Bulb", category=lighting, price="10.00")
    chair = make_product("Chair", category=make_category("Office"), price="10.00")
    services.create_discount(name="Home week", percent=Decimal(15), category=home)
    services.create_discount(name="Lamp deal", percent=Decimal("32.5"), product=lamp)
    services.create_discount(name="Small", percent=Decimal(5), category=lighting)
    services.create_discount(name="Off", percent=Decimal(40), product=chair, is_active=False)

    cards = {card["slug"]: card for card in results(api_client.get(PRODUCTS_URL))}

    assert cards["lamp"]["price"] == "6.75"
    assert cards["lamp"]["discount_percent"] == "32.50"
    assert cards["bulb"]["price"] == "8.50"
    assert cards["bulb"]["discount_percent"] == "15.00"
    assert cards["bulb"]["compare_at_price"] == "10.00"
    assert cards["bulb"]["list_price"] == "10.00"
    assert cards["chair"]["price"] == "10.00"
    assert cards["chair"]["discount_percent"] is None
    assert cards["chair"]["compare_at_price"] is None


def test_the_product_page_prices_each_variant_and_shows_compare_at_prices(api_client):
    home = make_category("Home")
    lighting = make_category("Lighting", parent=home)
    lamp = make_product(
        "Lamp",
        category=lighting,
        description="A lamp.",
        variants=[
            variant("LAMP-S", price="19.99", options={"size": "S"}, name="Small"),
            variant("LAMP-L", price="29.99", compare_at_price=Decimal("45.00"), stock=0),
        ],
        tags=[services.create_tag(name="Cosy")],
    )
    services.create_discount(name="Home week", percent=Decimal(10), category=home)

    detail = api_client.get(product_url(lamp.slug)).json()

    assert detail["description"] == "A lamp."
    assert detail["tags"] == ["cosy"]
    assert detail["tag_refs"] == [{"slug": "cosy", "name": "Cosy"}]
    assert detail["breadcrumbs"] == [
        {"slug": "home", "name": "Home"},
        {"slug": "lighting", "name": "Lighting"},
    ]
    assert detail["price"] == "17.99"  # 19.99 less 10% = 17.991
    assert detail["variants"] == [
        {
            "sku": "LAMP-S",
            "name": "Small",
            "options": {"size": "S"},
            "price": "17.99",
            "list_price": "19.99",
            "compare_at_price": "19.99",
            "currency": "EUR",
            "in_stock": True,
            "image_id": None,
            "attributes": {},
        },
        {
            "sku": "LAMP-L",
            "name": "",
            "options": {},
            "price": "26.99",  # 29.99 less 10% = 26.991
            "list_price": "29.99",
            "compare_at_price": "45.00",
            "currency": "EUR",
            "in_stock": False,
            "image_id": None,
            "attributes": {},
        },
    ]


def test_a_compare_at_price_is_shown_without_a_discount_only_above_the_price(api_client):
    lamp = make_product(
        "Lamp",
        category=make_category(),
        variants=[
            variant("WAS-MORE", price="20.00", compare_at_price=Decimal("25.00")),
            variant("WAS-LESS", price="20.00", compare_at_price=Decimal("15.00")),
        ],
    )

    variants = api_client.get(product_url(lamp.slug)).json()["variants"]

    assert [v["compare_at_price"] for v in variants] == ["25.00", None]


def test_a_discount_applies_only_within_its_window(api_client, time_machine):
    lamp = make_product("Lamp", category=make_category(), price="40.00")
    start = T0 + timedelta(days=1)
    services.create_discount(
        name="Weekend",
        percent=Decimal(25),
        product=lamp,
        starts_at=start,
        ends_at=start + timedelta(days=2),
    )

    def price_at(moment: datetime) -> tuple[str, str]:
        time_machine.move_to(moment, tick=False)
        clear_cache()
        [card] = results(api_client.get(PRODUCTS_URL))
        detail = api_client.get(product_url(lamp.slug)).json()
        return card["price"], detail["variants"][0]["price"]

    assert price_at(start - timedelta(seconds=1)) == ("40.00", "40.00")
    assert price_at(start) == ("30.00", "30.00")
    assert price_at(start + timedelta(days=2) - timedelta(seconds=1)) == ("30.00", "30.00")
    assert price_at(start + timedelta(days=2)) == ("40.00", "40.00")


# --- Featured, categories, tags and reviews -------------------------------------------------


def test_featured_lists_featured_products_newest_first_up_to_the_limit(api_client, time_machine):
    category = make_category()
    for minute, featured in enumerate([True, False, True, True]):
        time_machine.move_to(T0 + timedelta(minutes=minute), tick=False)
        make_product(f"Item {minute}", category=category, is_featured=featured)

    cards = api_client.get(FEATURED_URL).json()
    assert [card["slug"] for card in cards] == ["item-3", "item-2", "item-0"]
    assert all(card["is_featured"] for card in cards)
    limited = api_client.get(FEATURED_URL, {"limit": 2}).json()
    assert [card["slug"] for card in limited] == ["item-3", "item-2"]
    for bad in ("0", "49", "many"):
        assert_problem(
            api_client.get(FEATURED_URL, {"limit": bad}), 400, "validation_error", field="limit"
        )


@pytest.fixture
def tree(db):
    """Home > (Lighting > Lamps, Kitchen); Garden (inactive) > Tools."""
    home = make_category("Home", position=1)
    lighting = make_category("Lighting", parent=home, position=2)
    make_category("Lamps", parent=lighting)
    make_category("Kitchen", parent=home, position=1)
    garden = make_category("Garden", is_active=False)
    make_category("Tools", parent=garden)
    make_category("Attic", position=0, description="Odds and ends.")


def test_categories_list_the_visible_categories_flat(api_client, tree):
    response = api_client.get(CATEGORIES_URL)

    assert response.status_code == 200
    assert response.json() == [
        # By position, then name; hidden ones (Garden and its Tools) left out.
        {"slug": "attic", "name": "Attic", "description": "Odds and ends.", "parent": None},
        {"slug": "lamps", "name": "Lamps", "description": "", "parent": "lighting"},
        {"slug": "home", "name": "Home", "description": "", "parent": None},
        {"slug": "kitchen", "name": "Kitchen", "description": "", "parent": "home"},
        {"slug": "lighting", "name": "Lighting", "description": "", "parent": "home"},
    ]


def test_categories_as_a_tree(api_client, tree):
    response = api_client.get(CATEGORIES_URL, {"tree": "true"})

    def shape(nodes: list[dict]) -> list:
        return [(node["slug"], node["parent"], shape(node["children"])) for node in nodes]

    assert shape(response.json()) == [
        ("attic", None, []),
        (
            "home",
            None,
            [("kitchen", "home", []), ("lighting", "home", [("lamps", "lighting", [])])],
        ),
    ]
    assert_problem(
        api_client.get(CATEGORIES_URL, {"tree": "maybe"}), 400, "validation_error", field="tree"
    )


def test_a_category_page_has_breadcrumbs_and_children(api_client, tree):
    response = api_client.get(category_url("lighting"))

    assert response.json() == {
        "slug": "lighting",
        "name": "Lighting",
        "description": "",
        "parent": "home",
        "breadcrumbs": [{"slug": "home", "name": "Home"}],
        "children": [{"slug": "lamps", "name": "Lamps"}],
    }
    home = api_client.get(category_url("home")).json()
    assert home["breadcrumbs"] == []
    assert home["children"] == [
        {"slug": "kitchen", "name": "Kitchen"},
        {"slug": "lighting", "name": "Lighting"},
    ]


@pytest.mark.parametrize("slug", ["garden", "tools", "nothing"])
def test_a_hidden_or_unknown_category_is_not_found(api_client, tree, slug):
    assert_problem(api_client.get(category_url(slug)), 404, "not_found")


def test_tags_are_listed_by_name(api_client):
    for name in ("Sale", "Eco", "New in"):
        services.create_tag(name=name)

    assert api_client.get(TAGS_URL).json() == [
        {"slug": "eco", "name": "Eco"},
        {"slug": "new-in", "name": "New in"},
        {"slug": "sale", "name": "Sale"},
    ]


def test_reviews_are_listed_newest_first_without_hidden_ones(api_client, time_machine):
    lamp = make_product("Lamp", category=make_category())
    authors = [
        UserFactory.create(full_name="Ada Lovelace"),
        UserFactory.create(full_name="Grace"),
        UserFactory.create(full_name="", email="zed@example.com"),
        UserFactory.create(full_name="Hidden Person"),
    ]
    reviews = []
    for minute, author in enumerate(authors):
        time_machine.move_to(T0 + timedelta(minutes=minute), tick=False)
        reviews.append(
            services.create_review(
                product=lamp, user=author, rating=minute + 1, title=f"T{minute}", body="B"
            )
        )
    services.update_review(review=reviews[3], is_visible=False)

    page = api_client.get(reviews_url(lamp.slug), {"page_size": 2}).json()
    assert [(r["author"], r["rating"]) for r in page["results"]] == [("Z.", 3), ("Grace", 2)]
    assert page["results"][0] == {
        "id": str(reviews[2].pk),
        "rating": 3,
        "title": "T2",
        "body": "B",
        "verified_purchase": False,
        "author": "Z.",
        "created_at": "2030-03-01T12:02:00Z",
        "updated_at": "2030-03-01T12:02:00Z",
    }
    assert page["previous"] is None
    rest = api_client.get(reviews_url(lamp.slug), query_of(page["next"])).json()
    assert [(r["author"], r["rating"]) for r in rest["results"]] == [("Ada L.", 1)]
    assert rest["next"] is None
    assert_problem(
        api_client.get(reviews_url(lamp.slug), {"cursor": "nonsense"}), 400, "invalid_cursor"
    )
    assert_problem(api_client.get(reviews_url("nothing")), 404, "not_found")

"""Related products ("customers also bought", then more of the category) and "from" prices."""

import io
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from apps.catalog import selectors
from apps.catalog.cache import bump_catalog_version
from apps.catalog.models import Category, Product, ProductAssociation
from apps.catalog.tests.factories import (
    CategoryFactory,
    DiscountFactory,
    ProductFactory,
    ProductVariantFactory,
    ReviewFactory,
    make_product,
)
from apps.core.errors import NotFound

pytestmark = pytest.mark.django_db

AssertQueries = Callable[..., AbstractContextManager[Any]]


def related_url(slug: str) -> str:
    return f"/api/v1/products/{slug}/related/"


def associate(product: Product, *related: Product, top: int = 10) -> None:
    """Record `related` as bought with `product`, the first most often."""
    ProductAssociation.objects.bulk_create(
        ProductAssociation(
            product=product, related=other, score=top - n, computed_at=timezone.now()
        )
        for n, other in enumerate(related)
    )


def aged(product: Product, days: int) -> Product:
    Product.objects.filter(pk=product.pk).update(created_at=timezone.now() - timedelta(days=days))
    return product


def names(cards: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(card["name"], card["reason"]) for card in cards]


@pytest.fixture
def teas() -> Category:
    return CategoryFactory.create(name="Teas")


@pytest.fixture
def kettle(teas: Category) -> Product:
    return make_product(name="Kettle", category=CategoryFactory.create(name="Kitchen"))


# --- The selector ---------------------------------------------------------------------------


def test_bought_together_come_first_by_orders_then_the_category_fills_in(
    teas: Category,
) -> None:
    kitchen = CategoryFactory.create(name="Kitchen")
    kettle = make_product(name="Kettle", category=kitchen)
    teapot, mugs = make_product(name="Teapot"), make_product(name="Mugs")
    associate(kettle, teapot, mugs)
    toaster = aged(make_product(name="Toaster", category=kitchen), days=3)
    blender = aged(make_product(name="Blender", category=kitchen), days=1)
    loved = aged(make_product(name="Loved grinder", category=kitchen), days=9)
    ReviewFactory.create(product=loved, rating=5)
    ReviewFactory.create(product=toaster, rating=2)

    cards = selectors.related_products(slug=kettle.slug, limit=4)

    assert names(cards) == [
        ("Teapot", "bought_together"),
        ("Mugs", "bought_together"),
        ("Loved grinder", "same_category"),  # best rated first
        ("Toaster", "same_category"),  # then rated before unrated
    ]
    assert blender.name not in {card["name"] for card in cards}
    assert set(cards[0]) >= {"id", "slug", "price", "price_varies", "image", "in_stock"}


def test_unrated_products_of_the_category_come_newest_first(teas: Category) -> None:
    product = make_product(name="Green tea", category=teas)
    aged(make_product(name="Old tea", category=teas), days=30)
    aged(make_product(name="New tea", category=teas), days=1)

    cards = selectors.related_products(slug=product.slug, limit=4)

    assert names(cards) == [("New tea", "same_category"), ("Old tea", "same_category")]


def test_no_product_is_shown_twice_nor_the_product_itself(teas: Category) -> None:
    green = make_product(name="Green tea", category=teas)
    black = make_product(name="Black tea", category=teas)
    associate(green, black)
    associate(black, green)

    cards = selectors.related_products(slug=green.slug, limit=8)

    assert names(cards) == [("Black tea", "bought_together")]


def test_products_customers_cannot_see_or_buy_are_never_shown(
    teas: Category, kettle: Product
) -> None:
    hidden_category = CategoryFactory.create(is_active=False)
    under_hidden = CategoryFactory.create(parent=hidden_category)
    inactive = make_product(name="Inactive", is_active=False, category=teas)
    in_hidden = make_product(name="In a hidden category", category=hidden_category)
    below_hidden = make_product(name="Below a hidden category", category=under_hidden)
    unsellable = ProductFactory.create(name="No variant for sale", category=teas)
    ProductVariantFactory.create(product=unsellable, is_active=False)
    shown = make_product(name="Teapot", category=teas)
    associate(kettle, inactive, in_hidden, below_hidden, unsellable, shown)
    # The same kinds in the kettle's own category, for the fallback.
    make_product(name="Inactive toaster", is_active=False, category=kettle.category)
    unsellable_toaster = ProductFactory.create(name="No toaster", category=kettle.category)
    ProductVariantFactory.create(product=unsellable_toaster, is_active=False)

    cards = selectors.related_products(slug=kettle.slug, limit=8)

    assert names(cards) == [("Teapot", "bought_together")]


def test_the_list_stops_at_the_limit(teas: Category) -> None:
    product = make_product(name="Green tea", category=teas)
    others = [make_product(name=f"Tea {n}", category=teas) for n in range(6)]
    associate(product, *others[:3])

    cards = selectors.related_products(slug=product.slug, limit=2)

    assert names(cards) == [("Tea 0", "bought_together"), ("Tea 1", "bought_together")]


def test_a_lone_product_has_nothing_related(kettle: Product) -> None:
    assert selectors.related_products(slug=kettle.slug) == []


def test_a_hidden_or_unknown_product_is_not_found(teas: Category) -> None:
    hidden = make_product(category=teas, is_active=False)
    for slug in (hidden.slug, "no-such-product"):
        with pytest.raises(NotFound):
            selectors.related_products(slug=slug)


@pytest.mark.parametrize("related", [2, 8])
def test_a_fixed_number_of_queries_and_none_when_warm(
    related: int, teas: Category, kettle: Product, django_assert_num_queries: AssertQueries
) -> None:
    others = [make_product(name=f"Tea {n}", category=teas) for n in range(related)]
    for other in others:
        ProductVariantFactory.create(product=other, price=Decimal("99.00"))
    associate(kettle, *others)
    for n in range(related):
        make_product(name=f"Toaster {n}", category=kettle.category)
    selectors.get_product(kettle.slug)  # read by the product page already

    # The candidates, then the cards (tags and first image are card columns).
    with django_assert_num_queries(2):
        cards = selectors.related_products(slug=kettle.slug, limit=8)
    with django_assert_num_queries(0):
        assert selectors.related_products(slug=kettle.slug, limit=8) == cards
    assert len(cards) == min(8, 2 * related)


def test_the_cached_list_follows_catalog_writes(teas: Category, kettle: Product) -> None:
    teapot = make_product(name="Teapot", category=teas)
    assert selectors.related_products(slug=kettle.slug) == []

    associate(kettle, teapot)
    bump_catalog_version()  # what a recomputation does once it commits

    assert names(selectors.related_products(slug=kettle.slug)) == [("Teapot", "bought_together")]


# --- "from" prices --------------------------------------------------------------------------


def card_of(product: Product) -> dict[str, Any]:
    return selectors.get_product(product.slug)


def test_price_varies_only_when_active_variants_prices_differ(teas: Category) -> None:
    same = make_product(name="Same", category=teas, price=Decimal("10.00"))
    ProductVariantFactory.create(product=same, price=Decimal("10.00"))
    differ = make_product(name="Differ", category=teas, price=Decimal("10.00"))
    ProductVariantFactory.create(product=differ, price=Decimal("12.00"))
    dearer_inactive = make_product(name="Inactive dearer", category=teas, price=Decimal("10.00"))
    ProductVariantFactory.create(product=dearer_inactive, price=Decimal("30.00"), is_active=False)
    single = make_product(name="Single", category=teas)
    DiscountFactory.create(product=same, percent=Decimal(20))

    assert card_of(same)["price_varies"] is False
    assert card_of(differ)["price_varies"] is True
    assert card_of(dearer_inactive)["price_varies"] is False
    assert card_of(single)["price_varies"] is False
    listed = selectors.list_products(
        filters=selectors.ProductFilters(), ordering="name", cursor=None, page_size=10
    )
    assert {card["name"]: card["price_varies"] for card in listed["results"]} == {
        "Differ": True,
        "Inactive dearer": False,
        "Same": False,
        "Single": False,
    }


# --- The API --------------------------------------------------------------------------------


def test_the_api_lists_related_cards_with_their_reason(
    api_client: APIClient, teas: Category, kettle: Product
) -> None:
    teapot = make_product(name="Teapot", category=teas, price=Decimal("25.00"))
    ProductVariantFactory.create(product=teapot, price=Decimal("30.00"))
    make_product(name="Toaster", category=kettle.category)
    associate(kettle, teapot)

    response = api_client.get(related_url(kettle.slug))

    assert response.status_code == 200, response.content
    body = response.json()
    assert names(body) == [("Teapot", "bought_together"), ("Toaster", "same_category")]
    assert body[0]["price"] == "25.00"
    assert body[0]["price_varies"] is True
    assert body[1]["price_varies"] is False
    assert response["Cache-Control"].startswith("public")


def test_the_api_takes_a_limit_of_1_to_12(
    api_client: APIClient, teas: Category, kettle: Product
) -> None:
    associate(kettle, *(make_product(name=f"Tea {n}", category=teas) for n in range(3)))

    assert len(api_client.get(related_url(kettle.slug), {"limit": 2}).json()) == 2
    assert len(api_client.get(related_url(kettle.slug)).json()) == 3  # default 4
    for bad in ("0", "13", "many"):
        response = api_client.get(related_url(kettle.slug), {"limit": bad})
        assert response.status_code == 400, bad
        assert response["Content-Type"] == "application/problem+json"
        assert [error["field"] for error in response.json()["errors"]] == ["limit"]


def test_the_api_answers_404_for_a_product_customers_cannot_see(
    api_client: APIClient, teas: Category
) -> None:
    hidden = make_product(category=teas, is_active=False)
    for slug in (hidden.slug, "no-such-product"):
        response = api_client.get(related_url(slug))
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"


def test_a_warm_api_read_runs_no_query(
    api_client: APIClient,
    teas: Category,
    kettle: Product,
    django_assert_num_queries: AssertQueries,
) -> None:
    associate(kettle, make_product(name="Teapot", category=teas))
    first = api_client.get(related_url(kettle.slug)).json()

    with django_assert_num_queries(0):
        again = api_client.get(related_url(kettle.slug))

    assert again.json() == first


def test_the_schema_documents_the_endpoint_and_price_varies() -> None:
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    schema = yaml.safe_load(out.getvalue())

    operation = schema["paths"]["/api/v1/products/{slug}/related/"]["get"]
    assert [p["name"] for p in operation["parameters"] if p["in"] == "query"] == ["limit"]
    components = schema["components"]["schemas"]
    assert components["RelatedReasonEnum"]["enum"] == ["bought_together", "same_category"]
    assert "reason" in components["RelatedProduct"]["required"]
    assert components["ProductCard"]["properties"]["price_varies"]["type"] == "boolean"

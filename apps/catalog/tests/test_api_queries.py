"""Query counts of every catalog GET: a small constant, whatever the size of the catalog or page.

A cold read (empty cache) runs the same number of queries for 5 products as for 300 (each with
two variants, two tags and reviews), and for a page of 100 as for a page of 5; a warm repeat of
an anonymous read runs none.
"""

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from apps.catalog import services
from apps.catalog.cache import bump_catalog_version
from apps.catalog.listing import refresh_all_listings
from apps.catalog.models import Category, Discount, Product, ProductVariant, Review, Tag
from apps.catalog.tests.test_api_support import (
    CATEGORIES_URL,
    DISCOUNTS_URL,
    FEATURED_URL,
    PRODUCTS_URL,
    TAGS_URL,
    category_url,
    clear_cache,
    client_for,
    discount_url,
    product_url,
    query_of,
    reviews_url,
    variants_url,
)
from apps.users.models import User
from apps.users.tests.factories import SuperUserFactory

pytestmark = pytest.mark.django_db

SMALL, LARGE = 5, 300
# A list of cards: discounts, categories, and the products with everything their cards show
# (the listing read model: prices, stock, rating, tags and first image are columns).
CARDS = 3
# A search reads the same, and, without PostgreSQL's trigram matching, the search vocabulary
# its spelling help corrects misspelt words towards (names of products and tags, in one query).
SEARCHED = CARDS if connection.vendor == "postgresql" else CARDS + 1


class Catalog:
    """A small category tree and tag set, and products added to it in bulk.

    Each product has 2 variants, 2 tags and a review; the first product also has a review from
    every other reviewer. Rows are bulk-inserted for speed, and the cache version is bumped by
    hand, as the services do after bulk writes.
    """

    def __init__(self) -> None:
        home = services.create_category(name="Home")
        self.rooms = [services.create_category(name=f"Room {n}", parent=home) for n in range(3)]
        self.tags = [services.create_tag(name=f"Tag {n}") for n in range(5)]
        self.size = 0

    def grow_to(self, size: int) -> None:
        numbers = range(self.size, size)
        products = Product.objects.bulk_create(
            Product(
                name=f"Product {n:04d}",
                slug=f"product-{n}",
                description=f"Useful thing number {n}.",
                category=self.rooms[n % 3],
                is_featured=n % 3 == 0,
            )
            for n in numbers
        )
        ProductVariant.objects.bulk_create(
            ProductVariant(
                product=product,
                sku=f"P{n}-{v}",
                price=Decimal(10 + n % 50) + Decimal(v),
                stock=(n + v) % 4,
                position=v,
            )
            for n, product in zip(numbers, products, strict=True)
            for v in range(2)
        )
        Product.tags.through.objects.bulk_create(
            Product.tags.through(product_id=product.pk, tag_id=self.tags[(n + t) % 5].pk)
            for n, product in zip(numbers, products, strict=True)
            for t in range(2)
        )
        reviewers = User.objects.bulk_create(
            User(email=f"reviewer{n}@example.com", password="!") for n in numbers
        )
        Review.objects.bulk_create(
            Review(product=product, user=user, rating=1 + n % 5)
            for n, product, user in zip(numbers, products, reviewers, strict=True)
        )
        first = Product.objects.get(slug="product-0")
        reviewed = set(first.reviews.values_list("user_id", flat=True))
        Review.objects.bulk_create(
            Review(product=first, user=user, rating=4)
            for user in reviewers
            if user.pk not in reviewed
        )
        if self.size == 0:
            Discount.objects.bulk_create(
                [
                    Discount(name="Room sale", percent=Decimal(10), category=self.rooms[0]),
                    Discount(name="Deal", percent=Decimal(25), product=products[1]),
                ]
            )
        self.size = size
        refresh_all_listings()  # bulk_create sends no signals
        bump_catalog_version()


@pytest.fixture
def catalog(db) -> Catalog:
    catalog = Catalog()
    catalog.grow_to(SMALL)
    return catalog


def count_cold_queries(client: APIClient, path: str, params: dict[str, Any]) -> int:
    """Return how many queries a read runs with an empty cache (and check it answered)."""
    clear_cache()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params)
    assert response.status_code == 200, response.content
    return len(queries)


# Anonymous reads: (path, query) → cold query count.
PUBLIC_READS: dict[str, tuple[str, dict[str, Any], int]] = {
    # 1: every category row.
    "categories": (CATEGORIES_URL, {}, 1),
    "category tree": (CATEGORIES_URL, {"tree": "true"}, 1),
    "category": (category_url("home"), {}, 1),
    # 1: every tag.
    "tags": (TAGS_URL, {}, 1),
    # discounts, categories, products with their card annotations, their tags, their first
    # images (CARDS).
    "products": (PRODUCTS_URL, {}, CARDS),
    "products by category": (PRODUCTS_URL, {"category": "home"}, CARDS),
    # + the tags, to find the one named.
    "products by tag": (PRODUCTS_URL, {"tag": "tag-1"}, CARDS + 1),
    "products filtered": (
        PRODUCTS_URL,
        {"price_min": "5", "price_max": "60", "in_stock": "true", "rating_min": "1"},
        CARDS,
    ),
    "products by price": (PRODUCTS_URL, {"ordering": "-price"}, CARDS),
    "products by rating": (PRODUCTS_URL, {"ordering": "rating"}, CARDS),
    "products by name": (PRODUCTS_URL, {"ordering": "name"}, CARDS),
    "products searched": (PRODUCTS_URL, {"search": "product"}, SEARCHED),
    "featured": (FEATURED_URL, {}, CARDS),
    # + the gallery, the variants and the attribute values.
    "product": (product_url("product-0"), {}, CARDS + 3),
    # the category tree, the product's id, a page of reviews with their authors.
    "reviews": (reviews_url("product-0"), {}, 3),
}


def cold_read(client: APIClient, django_assert_num_queries, path, params, expected: int):
    clear_cache()
    with django_assert_num_queries(expected):
        response = client.get(path, params)
    assert response.status_code == 200, response.content
    return response


@pytest.mark.parametrize("name", PUBLIC_READS)
def test_a_cold_public_read_runs_a_fixed_number_of_queries(
    api_client, django_assert_num_queries, catalog, name
):
    path, params, expected = PUBLIC_READS[name]
    with_few = count_cold_queries(api_client, path, params)

    catalog.grow_to(LARGE)
    with_many = count_cold_queries(api_client, path, params)

    assert with_many == with_few
    cold_read(api_client, django_assert_num_queries, path, params, expected)


@pytest.mark.parametrize("name", PUBLIC_READS)
def test_a_warm_public_read_runs_no_query(api_client, django_assert_num_queries, catalog, name):
    path, params, _ = PUBLIC_READS[name]
    first = api_client.get(path, params)

    with django_assert_num_queries(0):
        again = api_client.get(path, params)

    assert again.status_code == 200
    assert again.json() == first.json()


@pytest.mark.parametrize("page_size", [5, 100])
@pytest.mark.parametrize(
    "params",
    [{}, {"ordering": "price"}, {"ordering": "-rating"}, {"search": "product"}],
    ids=["newest", "price", "rating", "search"],
)
def test_a_page_of_100_runs_as_many_queries_as_a_page_of_5(
    api_client, django_assert_num_queries, catalog, page_size, params
):
    catalog.grow_to(LARGE)

    expected = SEARCHED if "search" in params else CARDS
    first = cold_read(
        api_client,
        django_assert_num_queries,
        PRODUCTS_URL,
        {**params, "page_size": page_size},
        expected,
    )
    assert len(first.json()["results"]) == page_size
    # A later page, reached by cursor, costs the same.
    second = cold_read(
        api_client,
        django_assert_num_queries,
        PRODUCTS_URL,
        query_of(first.json()["next"]),
        expected,
    )
    assert len(second.json()["results"]) == page_size


@pytest.mark.parametrize("page_size", [5, 100])
def test_a_page_of_100_reviews_runs_as_many_queries_as_a_page_of_5(
    api_client, django_assert_num_queries, catalog, page_size
):
    catalog.grow_to(LARGE)

    response = cold_read(
        api_client,
        django_assert_num_queries,
        reviews_url("product-0"),
        {"page_size": page_size},
        3,
    )

    assert len(response.json()["results"]) == page_size
    assert len({review["author"] for review in response.json()["results"]}) == 1


# Staff reads: JWT user (1) and its last-seen stamp (1) come first.
STAFF_READS: dict[str, tuple[Any, int]] = {
    # + the product, its variants.
    "variants": (lambda: variants_url("product-1"), 4),
    # + the discounts with their product and category.
    "discounts": (lambda: DISCOUNTS_URL, 3),
    # + the discount, its product or category.
    "discount": (lambda: discount_url(Discount.objects.get(name="Deal").pk), 4),
}


@pytest.mark.parametrize("name", STAFF_READS)
def test_a_staff_read_runs_a_fixed_number_of_queries(django_assert_num_queries, catalog, name):
    url, expected = STAFF_READS[name]
    client = client_for(SuperUserFactory.create())
    with_few = count_cold_queries(client, url(), {})

    catalog.grow_to(LARGE)
    with_many = count_cold_queries(client, url(), {})

    assert with_many == with_few
    cold_read(client, django_assert_num_queries, url(), {}, expected)


def test_the_catalog_built_for_counting_is_what_it_claims(api_client, catalog):
    catalog.grow_to(LARGE)

    assert Product.objects.count() == LARGE
    assert ProductVariant.objects.count() == 2 * LARGE
    assert Product.tags.through.objects.count() == 2 * LARGE
    assert Review.objects.filter(product__slug="product-0").count() == LARGE
    assert Category.objects.count() == 4
    assert Tag.objects.count() == 5
    body = api_client.get(product_url("product-0")).json()
    assert body["review_count"] == LARGE
    assert len(body["variants"]) == 2
    assert len(body["tags"]) == 2

"""Builders and assertions shared by the catalog API tests (this module holds no tests).

Test data is made through `apps.catalog.services`, the way the API and the admin make it, so
every product has a real slug, variants and a consistent cache version.
"""

import itertools
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlparse

from django.core.cache import cache
from rest_framework.test import APIClient

from apps.catalog import services
from apps.catalog.models import Category, Discount, Product, ProductVariant, Review, Tag
from apps.catalog.services import VariantInput
from apps.core.tests.helpers import client_for
from apps.users.tests.factories import SuperUserFactory, UserFactory

API = "/api/v1/"
CATEGORIES_URL = f"{API}categories/"
TAGS_URL = f"{API}tags/"
PRODUCTS_URL = f"{API}products/"
FEATURED_URL = f"{API}products/featured/"
BULK_URL = f"{API}variants/bulk-update/"
DISCOUNTS_URL = f"{API}discounts/"

_serial = itertools.count(1)
# Every product column but the search document (a database-maintained derivative).
PRODUCT_COLUMNS = [f.attname for f in Product._meta.concrete_fields if f.name != "search_vector"]


def category_url(slug: str) -> str:
    return f"{CATEGORIES_URL}{slug}/"


def tag_url(slug: str) -> str:
    return f"{TAGS_URL}{slug}/"


def product_url(slug: str) -> str:
    return f"{PRODUCTS_URL}{slug}/"


def variants_url(slug: str) -> str:
    return f"{PRODUCTS_URL}{slug}/variants/"


def variant_url(slug: str, sku: str) -> str:
    return f"{PRODUCTS_URL}{slug}/variants/{sku}/"


def reviews_url(slug: str) -> str:
    return f"{PRODUCTS_URL}{slug}/reviews/"


def review_url(slug: str, pk: object) -> str:
    return f"{PRODUCTS_URL}{slug}/reviews/{pk}/"


def discount_url(pk: int) -> str:
    return f"{DISCOUNTS_URL}{pk}/"


# --- Clients --------------------------------------------------------------------------------


def staff_client() -> APIClient:
    return client_for(SuperUserFactory.create())


def customer_client() -> APIClient:
    return client_for(UserFactory.create())


# --- Catalog data ---------------------------------------------------------------------------


def make_category(
    name: str | None = None,
    *,
    parent: Category | None = None,
    is_active: bool = True,
    position: int = 0,
    description: str = "",
) -> Category:
    return services.create_category(
        name=name or f"Category {next(_serial)}",
        parent=parent,
        is_active=is_active,
        position=position,
        description=description,
    )


def variant(sku: str | None = None, price: str = "10.00", stock: int = 5, **fields: Any):
    """Return a VariantInput with a unique SKU unless one is given."""
    return VariantInput(
        sku=sku or f"SKU-{next(_serial)}", price=Decimal(price), stock=stock, **fields
    )


def make_product(
    name: str | None = None,
    *,
    category: Category,
    price: str = "10.00",
    stock: int = 5,
    variants: Sequence[VariantInput] | None = None,
    tags: Iterable[Tag] = (),
    description: str = "",
    is_active: bool = True,
    is_featured: bool = False,
) -> Product:
    """Create a product; a simple one (one variant at `price`) unless `variants` are given."""
    return services.create_product(
        name=name or f"Product {next(_serial)}",
        category=category,
        variants=variants if variants is not None else [variant(price=price, stock=stock)],
        tags=tags,
        description=description,
        is_active=is_active,
        is_featured=is_featured,
    )


def rate(product: Product, *ratings: int, is_visible: bool = True) -> list[Review]:
    """Add one review per rating, each by a new customer."""
    reviews = []
    for rating in ratings:
        review = services.create_review(product=product, user=UserFactory.create(), rating=rating)
        if not is_visible:
            review.is_visible = False
            review.save(update_fields=["is_visible"])
        reviews.append(review)
    return reviews


def catalog_state() -> dict[str, list[Any]]:
    """Return every stored catalog row: what a refused write must leave exactly as it was."""
    through = Product.tags.through
    return {
        "categories": list(Category.objects.order_by("pk").values()),
        "tags": list(Tag.objects.order_by("pk").values()),
        "products": list(Product.objects.order_by("pk").values(*PRODUCT_COLUMNS)),
        "product_tags": list(through.objects.order_by("pk").values("product_id", "tag_id")),
        "variants": list(ProductVariant.objects.order_by("pk").values()),
        "discounts": list(Discount.objects.order_by("pk").values()),
        "reviews": list(Review.objects.order_by("pk").values()),
    }


# --- Reading answers ------------------------------------------------------------------------


def results(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def slugs(response: Any) -> list[str]:
    """Return the slugs of a product page, in order."""
    return [card["slug"] for card in results(response)]


def cursor_of(link: str) -> str:
    return parse_qs(urlparse(link).query)["cursor"][0]


def query_of(link: str) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(urlparse(link).query).items()}


def walk_pages(client: APIClient, url: str, params: dict[str, Any]) -> list[list[str]]:
    """Follow `next` links from the first page to the last; return each page's slugs."""
    pages: list[list[str]] = []
    response = client.get(url, params)
    while True:
        pages.append(slugs(response))
        link = response.json()["next"]
        if link is None:
            return pages
        assert link.startswith("http://testserver" + url), link
        response = client.get(url, query_of(link))


def clear_cache() -> None:
    """Forget every cached answer (the next read is cold)."""
    cache.clear()


# A Redis nobody listens on: every cache call fails, fast, and is swallowed.
UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {
            "IGNORE_EXCEPTIONS": True,
            "SOCKET_CONNECT_TIMEOUT": 0.2,
            "SOCKET_TIMEOUT": 0.2,
        },
    }
}

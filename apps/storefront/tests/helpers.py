"""Helpers for the storefront tests: signed-in browsers, products for sale, form posts."""

from decimal import Decimal
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.catalog.cache import bump_catalog_version
from apps.catalog.models import Category, Product, ProductVariant
from apps.catalog.tests.factories import CategoryFactory, ProductFactory, ProductVariantFactory
from apps.users.models import User
from apps.users.tests.factories import DEFAULT_PASSWORD

ADDRESS_FORM: dict[str, str] = {
    "name": "Ada Lovelace",
    "line1": "12 Analytical Row",
    "line2": "",
    "city": "London",
    "postal_code": "N1 9GU",
    "country": "gb",
    "phone": "",
}


def browser_for(user: User) -> Client:
    """Return a test browser signed in as `user` through the storefront's login form."""
    client = Client()
    response = client.post("/account/login/", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302, response.content
    return client


def stock_product(
    *,
    category: Category | None = None,
    price: str = "19.99",
    stock: int = 10,
    variants: int = 1,
    **product_fields: Any,
) -> Product:
    """Create a product for sale with `variants` variants and make the catalog see it."""
    product = ProductFactory.create(category=category or CategoryFactory.create(), **product_fields)
    for position in range(variants):
        ProductVariantFactory.create(
            product=product,
            price=Decimal(price),
            stock=stock,
            position=position,
            name=f"Size {position + 1}",
        )
    bump_catalog_version()
    return product


def first_variant(product: Product) -> ProductVariant:
    return product.variants.order_by("position", "id").first()  # type: ignore[return-value]


def add_to_cart(
    client: Client, product: Product, *, quantity: int = 1, sku: str | None = None
) -> Any:
    return client.post(
        f"/p/{product.slug}/add/",
        {"sku": sku or first_variant(product).sku, "quantity": quantity},
    )


def catalog_queries(capture: CaptureQueriesContext) -> list[str]:
    """Return the captured SQL statements that read catalog tables."""
    return [q["sql"] for q in capture.captured_queries if "catalog_" in q["sql"]]


def capture() -> CaptureQueriesContext:
    return CaptureQueriesContext(connection)

"""Helpers for the report tests: orders written directly, placed at a given moment."""

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from apps.catalog.models import Product
from apps.catalog.tests.factories import ProductVariantFactory
from apps.orders.models import Order, OrderStatus
from apps.orders.tests.factories import OrderFactory, OrderLineFactory, set_created_at
from apps.users.models import User

SALES_URL = "/api/v1/staff/reports/sales/"
TOP_PRODUCTS_URL = "/api/v1/staff/reports/top-products/"


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def order(
    when: datetime,
    total: str | Decimal = "10.00",
    *,
    status: str = OrderStatus.PAID,
    user: User | None = None,
    email: str | None = None,
    lines: list[tuple[Product, int, str]] | None = None,
) -> Order:
    """Create an order of `total` placed at `when`, with (product, quantity, unit price) lines."""
    fields: dict[str, Any] = {"status": status, "total": Decimal(total), "user": user}
    if email is not None:
        fields["email"] = email
    created = OrderFactory.create(**fields)
    for product, quantity, unit_price in lines or []:
        variant = ProductVariantFactory.create(product=product)
        OrderLineFactory.create(
            order=created,
            variant=variant,
            quantity=quantity,
            unit_price=Decimal(unit_price),
            unit_list_price=Decimal(unit_price),
        )
    return set_created_at(created, when)

"""The one place catalog prices are computed: a variant's list price less its live discount.

Live discounts are loaded once per request (or from the catalog cache) into a `DiscountMap`;
`effective_price` applies one to a price. `DiscountMap.percent_sql()` and
`effective_price_minor_sql()` are the same rules as database expressions, used only to filter
and order products by price inside the query.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from django.db.models import (
    BigIntegerField,
    Case,
    DecimalField,
    ExpressionWrapper,
    Q,
    Value,
    When,
)
from django.db.models.expressions import Combinable
from django.db.models.functions import Cast, Greatest, Round

from apps.core.money import quantize

HUNDRED = Decimal(100)
ZERO = Decimal(0)
PERCENT_FIELD: "DecimalField[Decimal, Decimal]" = DecimalField(max_digits=5, decimal_places=2)


def effective_price(price: Decimal, discount_percent: Decimal, currency: str) -> Decimal:
    """Return the price a customer pays: `price` less `discount_percent`, in minor units."""
    if not discount_percent:
        return quantize(price, currency)
    return quantize(price * (HUNDRED - discount_percent) / HUNDRED, currency)


def compare_at_price(
    list_price: Decimal, compare_at: Decimal | None, discount_percent: Decimal
) -> Decimal | None:
    """Return the struck-through price shown next to the effective one, if there is one.

    A live discount strikes through the list price; a variant's own compare-at price counts
    only when it is higher than the list price.
    """
    candidates = [list_price] if discount_percent else []
    if compare_at is not None and compare_at > list_price:
        candidates.append(compare_at)
    return max(candidates) if candidates else None


@dataclass(frozen=True)
class DiscountMap:
    """The best live discount per product and per category (sub-categories included)."""

    by_product: dict[UUID, Decimal] = field(default_factory=dict)
    by_category: dict[int, Decimal] = field(default_factory=dict)
    # When the next discount starts or ends: answers computed from this map expire then.
    next_change: datetime | None = None

    def percent_for(self, *, product_id: UUID, category_id: int) -> Decimal:
        """Return the discount percent that applies to a product of this category."""
        return max(self.by_product.get(product_id, ZERO), self.by_category.get(category_id, ZERO))

    def percent_sql(self) -> Combinable:
        """Return `percent_for` as an SQL expression over a product row."""
        on_product = _case("pk", self.by_product.items())
        on_category = _case("category_id", self.by_category.items())
        if on_product is None and on_category is None:
            return Value(ZERO, output_field=PERCENT_FIELD)
        if on_product is None or on_category is None:
            return on_product or on_category  # type: ignore[return-value]
        return Greatest(on_product, on_category, output_field=PERCENT_FIELD)


def _case(column: str, items: Iterable[tuple[object, Decimal]]) -> Case | None:
    by_percent: dict[Decimal, list[object]] = {}
    for key, percent in items:
        by_percent.setdefault(percent, []).append(key)
    if not by_percent:
        return None
    return Case(
        *[
            When(Q(**{f"{column}__in": keys}), then=Value(percent))
            for percent, keys in sorted(by_percent.items(), reverse=True)
        ],
        default=Value(ZERO),
        output_field=PERCENT_FIELD,
    )


def effective_price_minor_sql(price: Combinable, discount_percent: Combinable) -> Combinable:
    """Return `effective_price` in minor units (cents) as an exact SQL integer expression.

    Integer arithmetic only, so the database rounds exactly as `effective_price` does
    (half up) on every backend: filters and orderings agree to the cent with displayed prices.
    """
    cents = Cast(Round(price * 100), BigIntegerField())
    basis_points = Cast(Round(discount_percent * 100), BigIntegerField())
    return ExpressionWrapper(
        (cents * (Value(10000) - basis_points) + Value(5000)) / Value(10000),
        output_field=BigIntegerField(),
    )

"""Sales figures for staff, each computed by the database in one query.

Every figure is by the order's `created_at` day in UTC (the day the order was placed, not the
day its payment arrived), over an inclusive range of days `start`..`end`. Revenue and units
count orders that are paid or (partly) shipped, less what was refunded of them (money and
units); wholly refunded orders count as refunds, never as revenue; pending and cancelled
orders count nowhere.
"""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal, TypedDict

from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import (
    Cast,
    Coalesce,
    Concat,
    Lower,
    TruncDay,
    TruncMonth,
    TruncWeek,
)

from apps.catalog.models import ProductVariant
from apps.core.money import quantize
from apps.orders.models import (
    SHIPPABLE_STATUSES,
    SOLD_STATUSES,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
)
from apps.orders.selectors import refunded_money

Interval = Literal["day", "week", "month"]
INTERVALS: tuple[Interval, ...] = ("day", "week", "month")

# Orders whose money the shop keeps.
SOLD = SOLD_STATUSES

# Customer tiers by total spent (paid and fulfilled orders, all time): below SILVER_FROM is
# bronze, below GOLD_FROM silver, from GOLD_FROM on gold.
SILVER_FROM = Decimal(100)
GOLD_FROM = Decimal(500)
TIERS = ("bronze", "silver", "gold")

_TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}
_MONEY: "DecimalField[Any, Any]" = DecimalField(max_digits=14, decimal_places=2)
_ZERO = Decimal("0.00")


class SalesRow(TypedDict):
    period: date
    orders: int
    revenue: Decimal
    average_order_value: Decimal
    refunds: Decimal


class ProductRow(TypedDict):
    product_id: Any
    product_name: str
    units: int
    revenue: Decimal


class CategoryRow(TypedDict):
    category_id: int
    category_name: str
    units: int
    revenue: Decimal


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """Return the UTC instants [start 00:00, the day after end 00:00)."""
    return (
        datetime.combine(start, time.min, tzinfo=UTC),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC),
    )


def _placed_between(start: date, end: date) -> Q:
    since, until = _bounds(start, end)
    return Q(created_at__gte=since, created_at__lt=until)


def _money(value: Decimal | None) -> Decimal:
    return quantize(value) if value is not None else _ZERO


def average(revenue: Decimal, orders: int) -> Decimal:
    """Return the average order value (zero without orders), to the cent."""
    return quantize(revenue / orders) if orders else _ZERO


def period_start(day: date, interval: Interval) -> date:
    """Return the first day of the period holding `day` (weeks start on Monday, ISO 8601)."""
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day


def _next_period(day: date, interval: Interval) -> date:
    if interval == "week":
        return day + timedelta(weeks=1)
    if interval == "month":
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return day + timedelta(days=1)


def periods(*, start: date, end: date, interval: Interval) -> list[date]:
    """Return the first day of every period touching start..end, in order."""
    days = []
    current = period_start(start, interval)
    while current <= end:
        days.append(current)
        current = _next_period(current, interval)
    return days


def sales_by_period(*, start: date, end: date, interval: Interval) -> list[SalesRow]:
    """Return orders, revenue, average order value and refunds per day, week or month.

    One query. Orders are grouped by their `created_at` truncated in UTC; only orders placed
    between `start` and `end` (inclusive, UTC days) count, so the first and last week or month
    may be partial. `orders` and `revenue` are paid and (partly) shipped orders (their
    totals less what was refunded of them); `refunds` is the money refunded of orders placed
    in the period: part of a sold order's total, or all of a refunded order's. Every period of
    the range is present: those without orders with zeros.
    """
    trunc = _TRUNC[interval]("created_at", tzinfo=UTC)
    rows = (
        Order.objects.filter(_placed_between(start, end), status__in=(*SOLD, OrderStatus.REFUNDED))
        .annotate(period=trunc, refunded_money=refunded_money())
        .values("period")
        .annotate(
            orders=Count("pk", filter=Q(status__in=SOLD)),
            revenue=Sum(F("total") - F("refunded_money"), filter=Q(status__in=SOLD)),
            refunded=Sum(
                Case(
                    When(status=OrderStatus.REFUNDED, then=F("total")),
                    default=F("refunded_money"),
                    output_field=_MONEY,
                )
            ),
        )
        .order_by("period")
    )
    found = {_as_date(row["period"]): row for row in rows}
    result: list[SalesRow] = []
    for day in periods(start=start, end=end, interval=interval):
        row = found.get(day)
        orders = int(row["orders"]) if row else 0
        revenue = _money(row["revenue"]) if row else _ZERO
        result.append(
            {
                "period": day,
                "orders": orders,
                "revenue": revenue,
                "average_order_value": average(revenue, orders),
                "refunds": _money(row["refunded"]) if row else _ZERO,
            }
        )
    return result


def _as_date(value: datetime | date) -> date:
    return value.astimezone(UTC).date() if isinstance(value, datetime) else value


def sales_totals(rows: list[SalesRow]) -> dict[str, Any]:
    """Return the totals of `sales_by_period` rows (no query)."""
    orders = sum(row["orders"] for row in rows)
    revenue = sum((row["revenue"] for row in rows), _ZERO)
    return {
        "orders": orders,
        "revenue": revenue,
        "average_order_value": average(revenue, orders),
        "refunds": sum((row["refunds"] for row in rows), _ZERO),
    }


def _sold_lines(start: date, end: date) -> "QuerySet[OrderLine]":
    """Return the lines of orders sold in the period, with the units kept (not refunded)."""
    since, until = _bounds(start, end)
    return OrderLine.objects.filter(
        order__status__in=SOLD, order__created_at__gte=since, order__created_at__lt=until
    ).annotate(kept=F("quantity") - F("refunded_quantity"))


# Units and revenue of the lines of `_sold_lines`: what was sold and not refunded.
_KEPT_UNITS = Sum("kept")
_KEPT_REVENUE = Sum(F("unit_price") * F("kept"), output_field=_MONEY)


def top_products(*, start: date, end: date, limit: int) -> list[ProductRow]:
    """Return the best-selling products by revenue, then units, in one query.

    Revenue is the lines' totals (unit price after catalog discounts, before vouchers, without
    shipping), for the units not refunded. Lines are grouped by product and the name they were
    sold under; a product since deleted is listed with `product_id` None.
    """
    rows = (
        _sold_lines(start, end)
        .values("product_id", "product_name")
        .annotate(units=_KEPT_UNITS, revenue=_KEPT_REVENUE)
        .order_by("-revenue", "-units", "product_name")[:limit]
    )
    return [
        {
            "product_id": row["product_id"],
            "product_name": row["product_name"],
            "units": int(row["units"]),
            "revenue": _money(row["revenue"]),
        }
        for row in rows
    ]


def top_categories(*, start: date, end: date, limit: int) -> list[CategoryRow]:
    """Return the best-selling categories (of the products' current category), in one query.

    As `top_products`; lines of deleted products are left out (their category is unknown).
    """
    rows = (
        _sold_lines(start, end)
        .filter(product__isnull=False)
        .values(category_id=F("product__category_id"), category_name=F("product__category__name"))
        .annotate(units=_KEPT_UNITS, revenue=_KEPT_REVENUE)
        .order_by("-revenue", "-units", "category_name")[:limit]
    )
    return [
        {
            "category_id": row["category_id"],
            "category_name": row["category_name"],
            "units": int(row["units"]),
            "revenue": _money(row["revenue"]),
        }
        for row in rows
    ]


def _customer_key() -> Case:
    """Who a customer is: their user id, or for guests their lower-cased e-mail address."""
    return Case(
        When(user__isnull=False, then=Concat(Value("user:"), Cast("user_id", CharField()))),
        default=Concat(Value("guest:"), Lower("email")),
        output_field=CharField(),
    )


def _customers() -> QuerySet[Order, dict[str, Any]]:
    return (
        Order.objects.filter(status__in=SOLD)
        .annotate(customer=_customer_key())
        .order_by()
        .values("customer")
    )


def customer_stats(*, start: date, end: date) -> dict[str, int]:
    """Return how many customers bought in the period, split into new and returning, in one query.

    A customer (a user, or a guest by lower-cased e-mail) bought in the period when they have a
    paid or fulfilled order placed in it; they are new when their first such order ever is in
    the period, returning when they had one before.
    """
    since, until = _bounds(start, end)
    per_customer = (
        _customers()
        .filter(created_at__lt=until)
        .annotate(
            first_order_at=Min("created_at"),
            in_period=Count("pk", filter=Q(created_at__gte=since)),
        )
        .filter(in_period__gt=0)
    )
    counts = per_customer.aggregate(
        new=Count("customer", filter=Q(first_order_at__gte=since)),
        returning=Count("customer", filter=Q(first_order_at__lt=since)),
    )
    new, returning = int(counts["new"] or 0), int(counts["returning"] or 0)
    return {"customers": new + returning, "new": new, "returning": returning}


def customer_tiers() -> dict[str, int]:
    """Return how many customers are in each tier by total spent, in one query.

    Customers as in `customer_stats`; only customers with a paid or fulfilled order count.
    """
    per_customer = (
        _customers()
        .annotate(
            spent=Coalesce(Sum(F("total") - refunded_money()), Value(_ZERO), output_field=_MONEY)
        )
        .annotate(
            tier=Case(
                When(spent__lt=SILVER_FROM, then=Value("bronze")),
                When(spent__lt=GOLD_FROM, then=Value("silver")),
                default=Value("gold"),
                output_field=CharField(),
            )
        )
    )
    counts = per_customer.aggregate(
        **{tier: Count("customer", filter=Q(tier=tier)) for tier in TIERS}
    )
    return {tier: int(counts[tier] or 0) for tier in TIERS}


# --- Back-office dashboard ------------------------------------------------------------------


class LowStockRow(TypedDict):
    sku: str
    product_name: str
    variant_name: str
    stock: int


class AttentionRow(TypedDict):
    id: Any
    number: str
    email: str
    status: str
    total: Decimal
    since: datetime
    reason: str


def low_stock_variants(*, threshold: int, limit: int) -> list[LowStockRow]:
    """Return active variants of active products with stock at or below `threshold`, in one
    query, the emptiest first."""
    rows = (
        ProductVariant.objects.filter(is_active=True, product__is_active=True, stock__lte=threshold)
        .order_by("stock", "sku")
        .values("sku", "name", "stock", product_name=F("product__name"))[:limit]
    )
    return [
        {
            "sku": row["sku"],
            "product_name": row["product_name"],
            "variant_name": row["name"],
            "stock": int(row["stock"]),
        }
        for row in rows
    ]


_ATTENTION_REASONS = {
    OrderStatus.PENDING: "Not paid yet",
    OrderStatus.PAID: "Not shipped yet",
    OrderStatus.PARTIALLY_FULFILLED: "Not shipped in full yet",
}


def orders_needing_attention(
    *, now: datetime, unpaid_for: timedelta, unfulfilled_for: timedelta, limit: int
) -> list[AttentionRow]:
    """Return orders staff should look at, the oldest first, in one query.

    Those still unpaid `unpaid_for` after they were placed, and those paid more than
    `unfulfilled_for` ago (by their "paid" event; placed, for orders without one) and not yet
    fulfilled.
    """
    paid_at = Subquery(
        OrderEvent.objects.filter(order=OuterRef("pk"), to_status=OrderStatus.PAID)
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    rows = (
        Order.objects.annotate(since=Coalesce(paid_at, F("created_at")))
        .filter(
            Q(status=OrderStatus.PENDING, created_at__lt=now - unpaid_for)
            | Q(status__in=SHIPPABLE_STATUSES, since__lt=now - unfulfilled_for)
        )
        .order_by("since", "number")
        .values("id", "number", "email", "status", "total", "since")[:limit]
    )
    return [
        {
            "id": row["id"],
            "number": row["number"],
            "email": row["email"],
            "status": row["status"],
            "total": row["total"],
            "since": row["since"],
            "reason": _ATTENTION_REASONS[row["status"]],
        }
        for row in rows
    ]

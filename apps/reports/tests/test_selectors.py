"""Sales figures: the right numbers, by UTC day of placing, in a fixed number of queries."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from apps.catalog.tests.factories import CategoryFactory, ProductFactory
from apps.orders.models import OrderStatus
from apps.payments.models import Payment, PaymentStatus
from apps.reports import selectors
from apps.reports.tests.helpers import at, order
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

D = date(2031, 3, 3)  # a Monday
ZERO = Decimal("0.00")


def test_sales_by_day_counts_paid_and_fulfilled_and_fills_empty_days():
    order(at(D, 0, 0), "10.00", status=OrderStatus.PAID)
    order(at(D, 23, 59), "20.00", status=OrderStatus.FULFILLED)
    order(at(D), "99.00", status=OrderStatus.PENDING)
    order(at(D), "98.00", status=OrderStatus.CANCELLED)
    order(at(D), "7.50", status=OrderStatus.REFUNDED)
    order(at(D + timedelta(days=2), 1), "5.00")
    order(at(D - timedelta(days=1), 23, 59), "1000.00")  # before the range
    order(at(D + timedelta(days=3), 0, 0), "1000.00")  # after it

    rows = selectors.sales_by_period(start=D, end=D + timedelta(days=2), interval="day")

    assert rows == [
        {
            "period": D,
            "orders": 2,
            "revenue": Decimal("30.00"),
            "average_order_value": Decimal("15.00"),
            "refunds": Decimal("7.50"),
        },
        {
            "period": D + timedelta(days=1),
            "orders": 0,
            "revenue": ZERO,
            "average_order_value": ZERO,
            "refunds": ZERO,
        },
        {
            "period": D + timedelta(days=2),
            "orders": 1,
            "revenue": Decimal("5.00"),
            "average_order_value": Decimal("5.00"),
            "refunds": ZERO,
        },
    ]
    assert selectors.sales_totals(rows) == {
        "orders": 3,
        "revenue": Decimal("35.00"),
        "average_order_value": Decimal("11.67"),
        "refunds": Decimal("7.50"),
    }


def test_a_day_with_only_refunds_has_zero_orders():
    order(at(D), "12.00", status=OrderStatus.REFUNDED)

    [row] = selectors.sales_by_period(start=D, end=D, interval="day")

    assert (row["orders"], row["revenue"], row["refunds"]) == (0, ZERO, Decimal("12.00"))
    assert row["average_order_value"] == ZERO


def test_sales_by_week_start_on_monday():
    order(at(D), "10.00")  # Monday, week 1
    order(at(D + timedelta(days=6), 23), "10.00")  # Sunday, week 1
    order(at(D + timedelta(days=7)), "30.00")  # Monday, week 2
    order(at(D + timedelta(days=21)), "1.00")  # week 4

    rows = selectors.sales_by_period(start=D, end=D + timedelta(days=27), interval="week")

    assert [(r["period"], r["orders"], r["revenue"]) for r in rows] == [
        (D, 2, Decimal("20.00")),
        (D + timedelta(days=7), 1, Decimal("30.00")),
        (D + timedelta(days=14), 0, ZERO),
        (D + timedelta(days=21), 1, Decimal("1.00")),
    ]


def test_a_partial_first_week_is_labelled_by_its_monday_but_counts_only_the_range():
    order(at(D), "10.00")  # Monday, before the range
    order(at(D + timedelta(days=2)), "4.00")  # Wednesday, in it

    rows = selectors.sales_by_period(
        start=D + timedelta(days=2), end=D + timedelta(days=3), interval="week"
    )

    assert [(r["period"], r["orders"], r["revenue"]) for r in rows] == [(D, 1, Decimal("4.00"))]


def test_sales_by_month():
    order(at(date(2031, 1, 31), 23, 59), "10.00")
    order(at(date(2031, 1, 1), 0, 0), "5.00", status=OrderStatus.FULFILLED)
    order(at(date(2031, 3, 1)), "3.00", status=OrderStatus.REFUNDED)
    order(at(date(2031, 3, 31)), "8.00")

    rows = selectors.sales_by_period(
        start=date(2031, 1, 1), end=date(2031, 3, 31), interval="month"
    )

    assert [(r["period"], r["orders"], r["revenue"], r["refunds"]) for r in rows] == [
        (date(2031, 1, 1), 2, Decimal("15.00"), ZERO),
        (date(2031, 2, 1), 0, ZERO, ZERO),
        (date(2031, 3, 1), 1, Decimal("8.00"), Decimal("3.00")),
    ]
    assert rows[0]["average_order_value"] == Decimal("7.50")


def test_months_across_a_year_end():
    rows = selectors.sales_by_period(
        start=date(2030, 11, 15), end=date(2031, 2, 1), interval="month"
    )

    assert [r["period"] for r in rows] == [
        date(2030, 11, 1),
        date(2030, 12, 1),
        date(2031, 1, 1),
        date(2031, 2, 1),
    ]


@pytest.mark.parametrize("count", [1, 12])
@pytest.mark.parametrize("interval", ["day", "week", "month"])
def test_sales_by_period_is_one_query(count, interval, django_assert_num_queries):
    for index in range(count):
        order(at(D + timedelta(days=index)), "10.00")

    with django_assert_num_queries(1):
        rows = selectors.sales_by_period(start=D, end=D + timedelta(days=40), interval=interval)

    assert sum(row["orders"] for row in rows) == count


def test_top_products_by_revenue_then_units_from_sold_orders_only():
    cheap, dear, tied, unsold = ProductFactory.create_batch(4)
    order(at(D), lines=[(cheap, 5, "2.00"), (dear, 1, "50.00")])
    order(at(D + timedelta(days=1)), status=OrderStatus.FULFILLED, lines=[(dear, 2, "50.00")])
    order(at(D), lines=[(tied, 1, "10.00")])
    order(at(D), status=OrderStatus.PENDING, lines=[(unsold, 100, "99.00")])
    order(at(D), status=OrderStatus.REFUNDED, lines=[(unsold, 100, "99.00")])
    order(at(D - timedelta(days=1)), lines=[(unsold, 100, "99.00")])

    rows = selectors.top_products(start=D, end=D + timedelta(days=1), limit=10)

    assert [(r["product_id"], r["product_name"], r["units"], r["revenue"]) for r in rows] == [
        (dear.pk, dear.name, 3, Decimal("150.00")),
        (cheap.pk, cheap.name, 5, Decimal("10.00")),
        (tied.pk, tied.name, 1, Decimal("10.00")),
    ]
    assert len(selectors.top_products(start=D, end=D + timedelta(days=1), limit=2)) == 2


def test_top_categories_through_the_lines_products():
    shoes, hats, _unsold = CategoryFactory.create_batch(3)
    boot, sandal = ProductFactory.create_batch(2, category=shoes)
    cap = ProductFactory.create(category=hats)
    order(at(D), lines=[(boot, 1, "80.00"), (sandal, 2, "15.00"), (cap, 4, "30.00")])

    rows = selectors.top_categories(start=D, end=D, limit=10)

    assert [(r["category_id"], r["category_name"], r["units"], r["revenue"]) for r in rows] == [
        (hats.pk, hats.name, 4, Decimal("120.00")),
        (shoes.pk, shoes.name, 3, Decimal("110.00")),
    ]


@pytest.mark.parametrize("count", [1, 10])
def test_top_products_and_categories_are_one_query_each(count, django_assert_num_queries):
    for _ in range(count):
        order(at(D), lines=[(ProductFactory.create(), 1, "3.00")])

    with django_assert_num_queries(1):
        products = selectors.top_products(start=D, end=D, limit=50)
    with django_assert_num_queries(1):
        categories = selectors.top_categories(start=D, end=D, limit=50)

    assert len(products) == len(categories) == count


def test_new_and_returning_customers_by_user_and_guest_email():
    old, fresh, lapsed, pending_only = UserFactory.create_batch(4)
    start, end = D, D + timedelta(days=6)
    # Returning: bought before the period and in it.
    order(at(D - timedelta(days=30)), user=old)
    order(at(D + timedelta(days=1)), user=old)
    # New: first order in the period (twice in it still counts once).
    order(at(D), user=fresh)
    order(at(D + timedelta(days=2)), user=fresh)
    # Not in the period at all: bought only before it.
    order(at(D - timedelta(days=3)), user=lapsed)
    # A pending order before the period does not make the customer returning.
    order(at(D - timedelta(days=3)), user=pending_only, status=OrderStatus.PENDING)
    order(at(D), user=pending_only)
    # Guests, by lower-cased e-mail: one returning, one new.
    order(at(D - timedelta(days=10)), email="Guest@Example.com")
    order(at(D + timedelta(days=3)), email="guest@example.COM")
    order(at(D + timedelta(days=3)), email="new@example.com")
    # After the period: ignored.
    order(at(end + timedelta(days=1)), email="later@example.com")

    assert selectors.customer_stats(start=start, end=end) == {
        "customers": 5,
        "new": 3,
        "returning": 2,
    }


@pytest.mark.parametrize("count", [1, 8])
def test_customer_stats_is_one_query(count, django_assert_num_queries):
    for index in range(count):
        order(at(D), email=f"c{index}@example.com")

    with django_assert_num_queries(1):
        stats = selectors.customer_stats(start=D, end=D)

    assert stats["new"] == count


def test_customer_tiers_by_total_spent():
    bronze, silver, gold, refunded = UserFactory.create_batch(4)
    order(at(D), "99.99", user=bronze)
    order(at(D), "60.00", user=silver)
    order(at(D + timedelta(days=40)), "40.00", user=silver)  # exactly 100: silver
    order(at(D), "499.99", user=gold)
    order(at(D), "0.01", user=gold, status=OrderStatus.FULFILLED)  # exactly 500: gold
    order(at(D), "900.00", user=refunded, status=OrderStatus.REFUNDED)
    order(at(D), "5.00", user=refunded)
    order(at(D), "700.00", email="Big@Spender.com")
    order(at(D), "1.00", email="nobody@example.com", status=OrderStatus.PENDING)

    assert selectors.customer_tiers() == {"bronze": 2, "silver": 1, "gold": 2}


@pytest.mark.parametrize("count", [1, 8])
def test_customer_tiers_is_one_query(count, django_assert_num_queries):
    for index in range(count):
        order(at(D), "10.00", email=f"c{index}@example.com")

    with django_assert_num_queries(1):
        tiers = selectors.customer_tiers()

    assert tiers == {"bronze": count, "silver": 0, "gold": 0}


def _captured(placed, amount: str, refunded: str) -> None:
    """A captured payment of the order, `refunded` of it given back."""
    Payment.objects.create(
        order=placed, provider="sandbox", provider_id=f"pi_{placed.pk}",
        amount=Decimal(amount), currency=placed.currency, refunded_amount=Decimal(refunded),
        status=PaymentStatus.PARTIALLY_REFUNDED if Decimal(refunded) else PaymentStatus.SUCCEEDED,
    )  # fmt: skip


def test_partial_refunds_come_off_revenue_and_count_as_refunds():
    kept_in_part = order(at(D), "100.00", status=OrderStatus.PARTIALLY_FULFILLED)
    _captured(kept_in_part, "100.00", refunded="30.00")
    kept = order(at(D), "50.00", status=OrderStatus.FULFILLED)
    _captured(kept, "50.00", refunded="0.00")
    refunded = order(at(D), "20.00", status=OrderStatus.REFUNDED)
    _captured(refunded, "20.00", refunded="20.00")

    [row] = selectors.sales_by_period(start=D, end=D, interval="day")

    assert (row["orders"], row["revenue"], row["refunds"]) == (
        2,
        Decimal("120.00"),  # 100 - 30 + 50
        Decimal("50.00"),  # 30 of one order, all 20 of another
    )
    assert row["average_order_value"] == Decimal("60.00")


def test_refunded_units_do_not_count_as_sold():
    lamp = ProductFactory.create()
    placed = order(at(D), lines=[(lamp, 3, "10.00")])
    placed.lines.update(refunded_quantity=1)

    [row] = selectors.top_products(start=D, end=D, limit=10)

    assert (row["units"], row["revenue"]) == (2, Decimal("20.00"))


def test_a_customers_tier_counts_what_they_kept():
    customer = UserFactory.create()
    big = order(at(D), "600.00", user=customer)
    _captured(big, "600.00", refunded="150.00")

    tiers = selectors.customer_tiers()

    assert tiers["silver"] == 1  # 450 spent once the refund is taken off, not gold
    assert tiers["gold"] == 0

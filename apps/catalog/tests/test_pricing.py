"""Catalog pricing: effective and struck-through prices; the discount map in Python and in SQL."""

import uuid
from decimal import Decimal

import pytest
from django.db.models import DecimalField, F, Value

from apps.catalog.models import Product
from apps.catalog.pricing import (
    DiscountMap,
    compare_at_price,
    effective_price,
    effective_price_minor_sql,
)
from apps.catalog.tests.test_api_support import make_category, make_product

D = Decimal


@pytest.mark.parametrize(
    ("price", "percent", "currency", "expected"),
    [
        ("10.00", "0", "EUR", "10.00"),
        ("10", "0", "EUR", "10.00"),
        ("10.00", "15", "EUR", "8.50"),
        ("10.01", "15", "EUR", "8.51"),  # 8.5085
        ("0.05", "50", "EUR", "0.03"),  # 0.025: half-up, not half-even (0.02)
        ("0.25", "50", "EUR", "0.13"),  # 0.125
        ("0.45", "90", "EUR", "0.05"),  # 0.045
        ("19.99", "33.33", "EUR", "13.33"),  # 13.327333
        ("7.00", "33", "EUR", "4.69"),
        ("100.00", "90", "EUR", "10.00"),
        ("1000", "33", "JPY", "670"),
        ("999", "15", "JPY", "849"),  # 849.15
        ("1", "50", "JPY", "1"),  # 0.5 rounds up
        ("1.000", "50", "KWD", "0.500"),
        ("0.00", "50", "EUR", "0.00"),
    ],
)
def test_effective_price_takes_the_percent_off_and_rounds_half_up(
    price, percent, currency, expected
):
    result = effective_price(D(price), D(percent), currency)

    assert result == D(expected)
    assert str(result) == expected  # quantized to the currency's minor unit


def test_no_discount_at_all_is_the_list_price_quantized():
    assert str(effective_price(D("9.5"), None, "EUR")) == "9.50"  # type: ignore[arg-type]
    assert str(effective_price(D("9.5"), D(0), "EUR")) == "9.50"


@pytest.mark.parametrize(
    ("list_price", "compare_at", "percent", "expected"),
    [
        ("20.00", None, "0", None),  # nothing to strike through
        ("20.00", None, "10", "20.00"),  # a discount strikes the list price
        ("20.00", "25.00", "0", "25.00"),  # a higher compare-at price is shown
        ("20.00", "25.00", "10", "25.00"),  # the higher of the two
        ("20.00", "15.00", "10", "20.00"),  # a lower compare-at loses to the list price
        ("20.00", "15.00", "0", None),  # a compare-at below the price means nothing
        ("20.00", "20.00", "0", None),  # nor one equal to it
        ("20.00", "0.00", "0", None),
        ("20.00", "0.00", "10", "20.00"),
    ],
)
def test_compare_at_price_rules(list_price, compare_at, percent, expected):
    result = compare_at_price(D(list_price), D(compare_at) if compare_at else None, D(percent))

    assert result == (D(expected) if expected else None)


# --- The discount map -----------------------------------------------------------------------

P1, P2, P3 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


@pytest.mark.parametrize(
    ("by_product", "by_category", "product_id", "category_id", "expected"),
    [
        ({}, {}, P1, 1, "0"),
        ({P1: D(10)}, {}, P1, 1, "10"),
        ({P1: D(10)}, {}, P2, 1, "0"),
        ({}, {1: D(20)}, P1, 1, "20"),
        ({}, {1: D(20)}, P1, 2, "0"),
        ({P1: D(10)}, {1: D(20)}, P1, 1, "20"),
        ({P1: D(30)}, {1: D(20)}, P1, 1, "30"),
        ({P1: D(30)}, {1: D(20)}, P2, 1, "20"),
    ],
)
def test_percent_for_is_the_better_of_the_product_and_category_discounts(
    by_product, by_category, product_id, category_id, expected
):
    discounts = DiscountMap(by_product=by_product, by_category=by_category)

    assert discounts.percent_for(product_id=product_id, category_id=category_id) == D(expected)


@pytest.mark.django_db
@pytest.mark.parametrize("shape", ["empty", "products only", "categories only", "both"])
def test_percent_sql_agrees_with_percent_for_on_every_product(shape):
    categories = [make_category() for _ in range(3)]
    products = [make_product(category=categories[n % 3]) for n in range(9)]
    by_product = {
        products[0].pk: D("12.50"),
        products[1].pk: D("12.50"),  # two products sharing a percent
        products[3].pk: D(40),
        products[4].pk: D(5),
    }
    by_category = {categories[0].pk: D(20), categories[1].pk: D("33.33")}
    discounts = DiscountMap(
        by_product=by_product if shape in ("products only", "both") else {},
        by_category=by_category if shape in ("categories only", "both") else {},
    )

    annotated = Product.objects.annotate(percent=discounts.percent_sql())

    in_sql = {product.pk: product.percent for product in annotated}  # type: ignore[attr-defined]
    in_python = {
        p.pk: discounts.percent_for(product_id=p.pk, category_id=p.category_id) for p in products
    }
    assert in_sql == in_python
    assert len(set(in_python.values())) > 1 or shape == "empty"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("price", "percent"),
    [
        ("7.00", "33"),
        ("7.00", "33.00"),
        ("10", "0"),
        ("9.99", "33"),
        ("13.39", "50"),  # 6.695: half up
        ("19.99", "12.5"),
        ("19.99", "33.33"),
        ("100.00", "90"),
        ("0.05", "50"),  # 0.025: half up
        ("0.01", "0.01"),
        ("9999999999.99", "0.01"),
    ],
)
def test_effective_price_minor_sql_is_the_effective_price_in_cents(price, percent):
    product = make_product(category=make_category(), price=price)
    percent_value = Value(D(percent), output_field=DecimalField(max_digits=5, decimal_places=2))

    cents = (
        Product.objects.filter(pk=product.pk)
        .annotate(
            low=F("variants__price"),
            cents=effective_price_minor_sql(F("low"), percent_value),
        )
        .values_list("cents", flat=True)
        .get()
    )

    assert cents == effective_price(D(price), D(percent), "EUR") * 100

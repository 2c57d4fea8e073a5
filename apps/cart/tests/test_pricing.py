"""The pricing module, pure: lines, catalog discounts, vouchers, shipping and tax add up.

No database: every input is a dataclass built here. Exact examples are worked out by hand in
the comments; the property tests check, over awkward prices, that the parts always reconcile.
"""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.cart.pricing import (
    LineInfo,
    ShippingInfo,
    Totals,
    VoucherInfo,
    calculate,
    free_shipping_shortfall,
    price_line,
    shipping_price,
    voucher_discount,
)
from apps.cart.tests.factories import line_info as line

D = Decimal
CENT = D("0.01")
EUR = "EUR"


def voucher(
    kind: str = "percent", value: str = "10", min_subtotal: str | None = None
) -> VoucherInfo:
    return VoucherInfo(
        id=1,
        code="SAVE",
        kind=kind,
        value=D(value),
        min_subtotal=D(min_subtotal) if min_subtotal is not None else None,
    )


def shipping(price: str = "4.90", free_above: str | None = None) -> ShippingInfo:
    return ShippingInfo(
        id=1,
        name="Standard",
        price=D(price),
        free_above=D(free_above) if free_above is not None else None,
    )


def price(
    lines: list[LineInfo],
    *,
    with_voucher: VoucherInfo | None = None,
    with_shipping: ShippingInfo | None = None,
    tax_rate: str = "0.20",
    inclusive: bool = True,
) -> Totals:
    return calculate(
        lines=lines,
        voucher=with_voucher,
        shipping=with_shipping,
        currency=EUR,
        tax_rate=D(tax_rate),
        prices_include_tax=inclusive,
    )


def amounts(totals: Totals) -> dict[str, str]:
    """Return every money amount of the totals as the strings a customer would read."""
    return {
        name: str(getattr(totals, name))
        for name in (
            "subtotal",
            "discount_total",
            "goods_total",
            "voucher_discount",
            "shipping_total",
            "tax_total",
            "total",
        )
    }


# --- Lines ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("list_price", "percent", "quantity", "unit", "list_total", "discount", "total"),
    [
        ("10.00", "0", 2, "10.00", "20.00", "0.00", "20.00"),
        ("19.99", "15", 3, "16.99", "59.97", "9.00", "50.97"),  # 16.9915 a unit
        ("9.99", "33.33", 7, "6.66", "69.93", "23.31", "46.62"),  # 6.660333 a unit
        # The unit price is rounded first (0.025 -> 0.03, half up), then multiplied: the line
        # is what the customer can check with the unit price shown, not 0.075 -> 0.08.
        ("0.05", "50", 3, "0.03", "0.15", "0.06", "0.09"),
        ("9999.99", "90", 99, "1000.00", "989999.01", "890999.01", "99000.00"),
        ("0.01", "90", 1, "0.00", "0.01", "0.01", "0.00"),  # 0.001: nothing left to pay
    ],
)
def test_price_line_applies_the_catalog_discount_to_the_unit_then_multiplies(
    list_price, percent, quantity, unit, list_total, discount, total
):
    priced = price_line(line(list_price, percent, quantity))

    assert (
        str(priced.unit_price),
        str(priced.line_list_total),
        str(priced.line_discount),
        str(priced.line_total),
    ) == (unit, list_total, discount, total)


def test_subtotal_discount_and_goods_add_up_over_the_lines():
    totals = price([line("19.99", "15", 3), line("5.00", "0", 2), line("0.99", "50", 1)])

    # 59.97 + 10.00 + 0.99 at list prices; 50.97 + 10.00 + 0.50 paid (0.495 -> 0.50).
    assert (str(totals.subtotal), str(totals.discount_total), str(totals.goods_total)) == (
        "70.96",
        "9.49",
        "61.47",
    )
    assert [p.line_total for p in totals.lines] == [D("50.97"), D("10.00"), D("0.50")]


# --- Vouchers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "min_subtotal", "goods", "expected"),
    [
        ("percent", "10", None, "50.97", "5.10"),  # 5.097
        ("percent", "12.5", None, "0.04", "0.01"),  # 0.005, half up
        ("percent", "33.33", None, "10.00", "3.33"),
        ("percent", "100", None, "50.97", "50.97"),
        ("fixed", "5", None, "50.97", "5.00"),
        ("fixed", "80", None, "50.97", "50.97"),  # never more than the goods
        ("fixed", "50.97", None, "50.97", "50.97"),
        ("fixed", "5", "50.97", "50.97", "5.00"),  # the minimum reached exactly
        ("percent", "10", "0.01", "0.01", "0.00"),  # 0.001 of a cent: nothing
        ("fixed", "5", None, "0.00", "0.00"),  # an empty cart gets nothing off
    ],
)
def test_voucher_discount(kind, value, min_subtotal, goods, expected):
    amount, problem = voucher_discount(voucher(kind, value, min_subtotal), D(goods), EUR)

    assert (str(amount), problem) == (expected, None)


def test_no_voucher_takes_nothing_off():
    assert voucher_discount(None, D("50.00"), EUR) == (D(0), None)


@pytest.mark.parametrize("kind", ["percent", "fixed"])
def test_a_voucher_below_its_minimum_takes_nothing_and_says_why(kind):
    amount, problem = voucher_discount(voucher(kind, "10", "60.00"), D("59.99"), EUR)

    assert amount == 0
    assert problem == "The code SAVE needs an order of at least 60.00."


def test_the_voucher_minimum_is_compared_with_the_goods_after_catalog_discounts():
    # 2 x 40.00 = 80.00 at list prices, 64.00 after 20% off: below a 70.00 minimum.
    totals = price([line("40.00", "20", 2)], with_voucher=voucher("fixed", "10", "70.00"))

    assert totals.voucher_discount == 0
    assert totals.voucher_problem is not None
    assert totals.total == D("64.00")


# --- Shipping -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "goods_after_voucher", "expected"),
    [
        (None, "10.00", "0"),
        (shipping("4.90"), "0.00", "4.90"),
        (shipping("4.90"), "100000.00", "4.90"),  # flat: no threshold
        (shipping("4.90", free_above="50.00"), "49.99", "4.90"),
        (shipping("4.90", free_above="50.00"), "50.00", "0"),  # "at least" the threshold
        (shipping("4.90", free_above="50.00"), "50.01", "0"),
        (shipping("0.00"), "10.00", "0.00"),
    ],
)
def test_shipping_price(method, goods_after_voucher, expected):
    assert shipping_price(method, D(goods_after_voucher)) == D(expected)


@pytest.mark.parametrize(
    ("voucher_value", "expected_shipping"),
    [("5.00", "0.00"), ("5.01", "4.90")],  # 55.00 - 5.01 = 49.99 is below the threshold
)
def test_the_free_shipping_threshold_is_compared_with_the_goods_after_the_voucher(
    voucher_value, expected_shipping
):
    totals = price(
        [line("55.00")],
        with_voucher=voucher("fixed", voucher_value),
        with_shipping=shipping("4.90", free_above="50.00"),
    )

    assert totals.shipping_total == D(expected_shipping)


@pytest.mark.parametrize(
    ("method", "voucher_value", "expected"),
    [
        (shipping("4.90", free_above="50.00"), "0", None),  # 55.00: free already
        (shipping("4.90", free_above="50.00"), "5.00", None),  # 50.00: "at least"
        (shipping("4.90", free_above="50.00"), "5.01", "0.01"),  # after the voucher
        (shipping("4.90", free_above="80.00"), "0", "25.00"),
        (shipping("4.90"), "0", None),  # never free
        (None, "0", None),
    ],
)
def test_the_shortfall_for_free_shipping_is_what_the_goods_after_the_voucher_lack(
    method, voucher_value, expected
):
    totals = price(
        [line("55.00")], with_voucher=voucher("fixed", voucher_value), with_shipping=method
    )

    shortfall = free_shipping_shortfall(method, totals)

    assert shortfall == (D(expected) if expected else None)
    if shortfall is not None:  # that much more makes it free
        assert shipping_price(method, totals.goods_total - totals.voucher_discount + shortfall) == 0


def test_an_empty_cart_has_no_shortfall_for_free_shipping():
    method = shipping("4.90", free_above="50.00")

    assert free_shipping_shortfall(method, price([], with_shipping=method)) is None


def test_an_empty_cart_pays_no_shipping_and_no_tax():
    totals = price([], with_voucher=voucher(), with_shipping=shipping("4.90"))

    assert {D(amount) for amount in amounts(totals).values()} == {D(0)}


# --- Tax and the whole bill -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("inclusive", "tax", "total"),
    [
        # Goods 50.97, voucher 5.10, shipping 4.90: 50.77 taxable.
        (True, "8.46", "50.77"),  # 50.77 - 50.77 / 1.20 = 8.4616...; the total stays 50.77
        (False, "10.15", "60.92"),  # 50.77 x 0.20 = 10.154, added on top
    ],
)
def test_the_worked_example(inclusive, tax, total):
    """3 x 19.99 with 15% off, a 10% voucher, 4.90 shipping, 20% tax."""
    totals = price(
        [line("19.99", "15", 3)],
        with_voucher=voucher("percent", "10"),
        with_shipping=shipping("4.90"),
        inclusive=inclusive,
    )

    assert amounts(totals) == {
        "subtotal": "59.97",
        "discount_total": "9.00",
        "goods_total": "50.97",
        "voucher_discount": "5.10",
        "shipping_total": "4.90",
        "tax_total": tax,
        "total": total,
    }
    assert (totals.voucher_problem, totals.prices_include_tax) == (None, inclusive)
    assert (totals.currency, totals.tax_rate) == (EUR, D("0.20"))


@pytest.mark.parametrize(
    ("tax_rate", "inclusive", "tax", "total"),
    [
        ("0", True, "0.00", "12.00"),
        ("0", False, "0.00", "12.00"),
        ("0.07", True, "0.79", "12.00"),  # 12 - 12 / 1.07 = 0.785...
        ("0.07", False, "0.84", "12.84"),
        ("0.25", True, "2.40", "12.00"),  # 12 - 9.60
        ("0.25", False, "3.00", "15.00"),
    ],
)
def test_tax_is_part_of_an_inclusive_total_and_on_top_of_an_exclusive_one(
    tax_rate, inclusive, tax, total
):
    totals = price([line("4.00", quantity=3)], tax_rate=tax_rate, inclusive=inclusive)

    assert (str(totals.tax_total), str(totals.total)) == (tax, total)


def test_shipping_is_taxed_with_the_goods():
    without = price([line("10.00")], inclusive=False)
    with_shipping = price([line("10.00")], with_shipping=shipping("5.00"), inclusive=False)

    assert (without.tax_total, with_shipping.tax_total) == (D("2.00"), D("3.00"))


# --- Properties -----------------------------------------------------------------------------

# Deterministic (the same examples on every run) and leaving no example database behind.
reconciling = settings(max_examples=400, deadline=None, database=None, derandomize=True)

money = st.decimals(min_value=D("0.01"), max_value=D("9999.99"), places=2)
lines_strategy = st.lists(
    st.builds(
        line,
        price=money.map(str),
        percent=st.decimals(min_value=D(0), max_value=D(90), places=2).map(str),
        quantity=st.integers(min_value=1, max_value=99),
    ),
    max_size=6,
)
vouchers = (
    st.none()
    | st.builds(
        voucher,
        kind=st.sampled_from(["percent", "fixed"]),
        value=st.decimals(min_value=CENT, max_value=D(100), places=2).map(str),
        min_subtotal=st.none() | money.map(str),
    )
    | st.builds(
        voucher,
        kind=st.just("fixed"),
        value=st.decimals(min_value=CENT, max_value=D("99999.99"), places=2).map(str),
    )
)
shippings = st.none() | st.builds(
    shipping,
    price=st.decimals(min_value=D(0), max_value=D("99.99"), places=2).map(str),
    free_above=st.none() | st.decimals(min_value=D(0), max_value=D(20000), places=2).map(str),
)
tax_rates = st.decimals(min_value=D(0), max_value=D("0.25"), places=4).map(str)


def _bill(lines, with_voucher, with_shipping, tax_rate, inclusive) -> Totals:
    return price(
        lines,
        with_voucher=with_voucher,
        with_shipping=with_shipping,
        tax_rate=tax_rate,
        inclusive=inclusive,
    )


@reconciling
@given(lines_strategy, vouchers, shippings, tax_rates, st.booleans())
def test_the_parts_always_add_up_to_the_total(
    lines, with_voucher, with_shipping, tax_rate, inclusive
):
    totals = _bill(lines, with_voucher, with_shipping, tax_rate, inclusive)

    assert totals.subtotal - totals.discount_total == totals.goods_total
    paid_before_tax = totals.goods_total - totals.voucher_discount + totals.shipping_total
    expected_total = paid_before_tax if inclusive else paid_before_tax + totals.tax_total
    assert totals.total == expected_total
    assert totals.subtotal == sum((p.line_list_total for p in totals.lines), D(0))
    assert totals.goods_total == sum((p.line_total for p in totals.lines), D(0))
    for priced in totals.lines:
        assert priced.line_total == priced.unit_price * priced.line.quantity
        assert priced.line_list_total - priced.line_discount == priced.line_total


@reconciling
@given(lines_strategy, vouchers, shippings, tax_rates, st.booleans())
def test_every_amount_is_whole_cents_and_never_negative(
    lines, with_voucher, with_shipping, tax_rate, inclusive
):
    totals = _bill(lines, with_voucher, with_shipping, tax_rate, inclusive)

    line_amounts = [
        amount
        for p in totals.lines
        for amount in (p.unit_price, p.line_list_total, p.line_discount, p.line_total)
    ]
    for amount in [*map(D, amounts(totals).values()), *line_amounts]:
        assert amount >= 0
        assert amount == amount.quantize(CENT), amount


@reconciling
@given(lines_strategy, vouchers, shippings, tax_rates, st.booleans())
def test_voucher_shipping_and_tax_follow_their_rules(
    lines, with_voucher, with_shipping, tax_rate, inclusive
):
    totals = _bill(lines, with_voucher, with_shipping, tax_rate, inclusive)
    rate = D(tax_rate)

    # The voucher: never more than the goods; nothing, with a reason, below its minimum.
    assert totals.voucher_discount <= totals.goods_total
    below_minimum = (
        with_voucher is not None
        and with_voucher.min_subtotal is not None
        and totals.goods_total < with_voucher.min_subtotal
    )
    assert (totals.voucher_problem is not None) == below_minimum
    if below_minimum or with_voucher is None:
        assert totals.voucher_discount == 0

    # Shipping: the method's price, unless the cart is empty or the goods reach the threshold.
    after_voucher = totals.goods_total - totals.voucher_discount
    free = (
        with_shipping is None
        or not lines
        or (with_shipping.free_above is not None and after_voucher >= with_shipping.free_above)
    )
    assert totals.shipping_total == (D(0) if free else with_shipping.price)

    # Tax: the rate's share of what is paid, to the nearest cent.
    taxable = after_voucher + totals.shipping_total
    exact_tax = taxable * rate / (1 + rate) if inclusive else taxable * rate
    assert abs(totals.tax_total - exact_tax) <= D("0.005")
    assert totals.tax_total <= totals.total

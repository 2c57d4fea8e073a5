"""The one pricing module for carts and checkout: lines, discounts, voucher, shipping, tax.

Everything is computed from small dataclasses loaded once (see `apps.cart.fetch`); nothing
here runs a query. Amounts are `Decimal`, rounded to the currency's minor unit at each step a
customer sees (unit price, line, voucher, shipping, tax), so the parts always add up to the
total.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from apps.catalog.pricing import effective_price
from apps.core.money import quantize

ZERO = Decimal(0)
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class LineInfo:
    """A cart line with what pricing and display need of its variant and product."""

    line_id: int
    variant_id: int
    sku: str
    variant_name: str
    options: dict[str, Any]
    product_id: UUID
    product_slug: str
    product_name: str
    currency: str
    unit_list_price: Decimal
    discount_percent: Decimal
    quantity: int
    stock: int
    available: bool  # product and variant active, category visible


@dataclass(frozen=True)
class VoucherInfo:
    id: int
    code: str
    kind: str  # "percent" | "fixed"
    value: Decimal
    min_subtotal: Decimal | None
    problem: str | None = None  # why it cannot be used now (inactive, expired, used up)


@dataclass(frozen=True)
class ShippingInfo:
    id: int
    name: str
    price: Decimal
    free_above: Decimal | None


@dataclass(frozen=True)
class LineTotals:
    line: LineInfo
    unit_price: Decimal
    line_list_total: Decimal
    line_discount: Decimal
    line_total: Decimal


@dataclass(frozen=True)
class Totals:
    currency: str
    lines: list[LineTotals]
    subtotal: Decimal  # goods at list prices
    discount_total: Decimal  # catalog discounts
    goods_total: Decimal  # subtotal - discount_total
    voucher_discount: Decimal
    voucher_problem: str | None  # why the applied voucher gives nothing, if it does not
    shipping_total: Decimal
    tax_total: Decimal
    total: Decimal
    prices_include_tax: bool
    tax_rate: Decimal


def price_line(line: LineInfo) -> LineTotals:
    """Return a line's unit price after the catalog discount and its totals."""
    unit_price = effective_price(line.unit_list_price, line.discount_percent, line.currency)
    list_total = quantize(line.unit_list_price * line.quantity, line.currency)
    total = quantize(unit_price * line.quantity, line.currency)
    return LineTotals(
        line=line,
        unit_price=unit_price,
        line_list_total=list_total,
        line_discount=list_total - total,
        line_total=total,
    )


def voucher_discount(
    voucher: VoucherInfo | None, goods_total: Decimal, currency: str
) -> tuple[Decimal, str | None]:
    """Return what the voucher takes off the goods, and why it takes nothing if it does not."""
    if voucher is None:
        return ZERO, None
    if voucher.problem:
        return ZERO, voucher.problem
    if voucher.min_subtotal is not None and goods_total < voucher.min_subtotal:
        return ZERO, f"The code {voucher.code} needs an order of at least {voucher.min_subtotal}."
    if voucher.kind == "percent":
        amount = quantize(goods_total * voucher.value / HUNDRED, currency)
    else:
        amount = quantize(voucher.value, currency)
    return min(amount, goods_total), None


def shipping_price(shipping: ShippingInfo | None, goods_after_voucher: Decimal) -> Decimal:
    """Return the shipping price: flat, or free above the method's threshold."""
    if shipping is None:
        return ZERO
    if shipping.free_above is not None and goods_after_voucher >= shipping.free_above:
        return ZERO
    return shipping.price


def free_shipping_shortfall(shipping: ShippingInfo | None, totals: Totals) -> Decimal | None:
    """Return how much more the goods must cost for `shipping` to be free, None if it can't be.

    None as well when there is nothing to ship yet, or when it is free already.
    """
    if shipping is None or shipping.free_above is None or not totals.lines:
        return None
    shortfall = shipping.free_above - (totals.goods_total - totals.voucher_discount)
    return shortfall if shortfall > 0 else None


def tax_on(amount: Decimal, *, tax_rate: Decimal, inclusive: bool, currency: str) -> Decimal:
    """Return the tax of an amount: the part of it that is tax, or what is added on top."""
    if inclusive:
        return quantize(amount - amount / (1 + tax_rate), currency)
    return quantize(amount * tax_rate, currency)


def calculate(
    *,
    lines: Sequence[LineInfo],
    voucher: VoucherInfo | None,
    shipping: ShippingInfo | None,
    currency: str,
    tax_rate: Decimal,
    prices_include_tax: bool,
) -> Totals:
    """Return every amount of a cart or an order from its lines, voucher and shipping.

    Tax applies to the goods after discounts plus shipping. With tax-inclusive prices it is
    the part of that amount that is tax; otherwise it is added on top.
    """
    priced = [price_line(line) for line in lines]
    subtotal = sum((p.line_list_total for p in priced), ZERO)
    goods_total = sum((p.line_total for p in priced), ZERO)
    discount_total = subtotal - goods_total
    voucher_amount, voucher_problem = voucher_discount(voucher, goods_total, currency)
    goods_after_voucher = goods_total - voucher_amount
    shipping_total = shipping_price(shipping, goods_after_voucher) if priced else ZERO
    taxable = goods_after_voucher + shipping_total
    tax_total = tax_on(taxable, tax_rate=tax_rate, inclusive=prices_include_tax, currency=currency)
    total = taxable if prices_include_tax else taxable + tax_total
    return Totals(
        currency=currency,
        lines=priced,
        subtotal=subtotal,
        discount_total=discount_total,
        goods_total=goods_total,
        voucher_discount=voucher_amount,
        voucher_problem=voucher_problem,
        shipping_total=shipping_total,
        tax_total=tax_total,
        total=total,
        prices_include_tax=prices_include_tax,
        tax_rate=tax_rate,
    )


def paid_for_units(
    *,
    unit_price: Decimal,
    quantity: int,
    goods_total: Decimal,
    voucher_discount: Decimal,
    tax_rate: Decimal,
    prices_include_tax: bool,
    currency: str,
) -> Decimal:
    """Return what the customer paid for `quantity` units of a line, as `calculate` charged it.

    The voucher came off the goods in proportion to their value, so each unit bears its share;
    tax added on top of the prices is added back.
    """
    value = unit_price * quantity
    if goods_total > 0 and voucher_discount:
        value -= value * voucher_discount / goods_total
    if not prices_include_tax:
        value += value * tax_rate
    return quantize(value, currency)


def shipping_charged(
    *, shipping_total: Decimal, tax_rate: Decimal, prices_include_tax: bool, currency: str
) -> Decimal:
    """Return what the customer paid for shipping, its tax included."""
    if prices_include_tax:
        return shipping_total
    return shipping_total + tax_on(
        shipping_total, tax_rate=tax_rate, inclusive=False, currency=currency
    )

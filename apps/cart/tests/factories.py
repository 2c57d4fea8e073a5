"""Factories for carts: shipping methods, vouchers, carts, their lines and voucher uses.

`line_info` builds the pricing module's plain `LineInfo`, for pricing without a database.
"""

import itertools
import uuid
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from apps.cart.models import Cart, CartLine, ShippingMethod, Voucher, VoucherUsage
from apps.cart.pricing import LineInfo
from apps.catalog.tests.factories import ProductVariantFactory
from apps.core.money import default_currency
from apps.orders.models import Order


class ShippingMethodFactory(DjangoModelFactory[ShippingMethod]):
    """A flat-rate method; pass `free_above=` for one that is free above an amount."""

    class Meta:
        model = ShippingMethod

    name = factory.Sequence(lambda n: f"Shipping {n}")
    price = Decimal("4.90")
    free_above = None
    is_active = True


class VoucherFactory(DjangoModelFactory[Voucher]):
    """A live 10% voucher with no limits; `kind=Voucher.Kind.FIXED` for an amount off."""

    class Meta:
        model = Voucher

    code = factory.Sequence(lambda n: f"CODE{n}")
    kind = Voucher.Kind.PERCENT
    value = Decimal("10.00")
    min_subtotal = None
    starts_at = None
    ends_at = None
    usage_limit = None
    per_customer_limit = None
    used_count = 0
    is_active = True


class CartFactory(DjangoModelFactory[Cart]):
    """An anonymous, empty cart; pass `user=` for a customer's."""

    class Meta:
        model = Cart

    user = None
    voucher = None
    shipping_method = None


class CartLineFactory(DjangoModelFactory[CartLine]):
    """A line of one unit of a new variant (stock 10) in a new cart."""

    class Meta:
        model = CartLine

    cart = factory.SubFactory(CartFactory)
    variant = factory.SubFactory(ProductVariantFactory)
    quantity = 1


class PlacedOrderFactory(DjangoModelFactory[Order]):
    """The least an order needs, so that a voucher use has one to point at."""

    class Meta:
        model = Order

    number = factory.Sequence(lambda n: f"CART-TEST-{n:06d}")
    user = None
    email = factory.Sequence(lambda n: f"buyer{n}@example.com")
    currency = factory.LazyFunction(default_currency)
    subtotal = Decimal("10.00")
    discount_total = Decimal("0.00")
    voucher_discount = Decimal("0.00")
    shipping_total = Decimal("0.00")
    tax_total = Decimal("1.67")
    total = Decimal("10.00")
    prices_include_tax = True
    tax_rate = Decimal("0.2000")
    shipping_name = "Ada Lovelace"
    shipping_line1 = "1 Analytical Way"
    shipping_city = "London"
    shipping_postal_code = "N1 1AA"
    shipping_country = "GB"


class VoucherUsageFactory(DjangoModelFactory[VoucherUsage]):
    """One earlier use of a voucher, by `user` and/or `email`, on an order of theirs."""

    class Meta:
        model = VoucherUsage

    voucher = factory.SubFactory(VoucherFactory)
    user = None
    email = factory.Sequence(lambda n: f"buyer{n}@example.com")
    order = factory.SubFactory(
        PlacedOrderFactory,
        user=factory.SelfAttribute("..user"),
        email=factory.SelfAttribute("..email"),
    )


_line_numbers = itertools.count(1)


def line_info(
    price: str | Decimal, percent: str | Decimal = "0", quantity: int = 1, *, currency: str = "EUR"
) -> LineInfo:
    """Return a priceable line: `quantity` units at list `price`, `percent` off in the catalog."""
    n = next(_line_numbers)
    return LineInfo(
        line_id=n,
        variant_id=n,
        sku=f"SKU-{n}",
        variant_name="",
        options={},
        product_id=uuid.uuid4(),
        product_slug=f"product-{n}",
        product_name=f"Product {n}",
        currency=currency,
        unit_list_price=Decimal(price),
        discount_percent=Decimal(percent),
        quantity=quantity,
        stock=100,
        available=True,
    )

"""Factories and helpers for the order tests.

`OrderFactory` and `OrderLineFactory` write order rows directly, for tests about reading and
moving orders. Tests about placing orders go the real way instead: `make_variant` for stock,
`fill_cart` through the cart services, then `place_order` (or the checkout API).
"""

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import factory
from django.conf import settings
from factory.django import DjangoModelFactory
from rest_framework.test import APIClient

from apps.cart import services as cart_services
from apps.cart.models import Cart, CartLine, ShippingMethod, Voucher, VoucherUsage
from apps.catalog.cache import bump_catalog_version
from apps.catalog.models import ProductVariant
from apps.catalog.tests.factories import DiscountFactory, ProductFactory, ProductVariantFactory
from apps.core.tests.helpers import client_for
from apps.orders.models import (
    IdempotencyKey,
    Order,
    OrderEvent,
    OrderLine,
    OrderNumberCounter,
    OrderStatus,
)
from apps.orders.services.checkout import ShippingAddress, place_order
from apps.users.models import User
from apps.users.tests.factories import SuperUserFactory

CHECKOUT_URL = "/api/v1/checkout/"
ORDERS_URL = "/api/v1/orders/"
SUMMARY_URL = "/api/v1/orders/summary/"
LOOKUP_URL = "/api/v1/orders/lookup/"
STAFF_ORDERS_URL = "/api/v1/staff/orders/"

ADDRESS: dict[str, str] = {
    "name": "Ada Lovelace",
    "line1": "12 Analytical Row",
    "city": "London",
    "postal_code": "N1 9GU",
    "country": "gb",
}


def order_url(order: Order) -> str:
    return f"{ORDERS_URL}{order.pk}/"


def cancel_url(order: Order) -> str:
    return f"{ORDERS_URL}{order.pk}/cancel/"


def staff_order_url(order: Order) -> str:
    return f"{STAFF_ORDERS_URL}{order.pk}/"


def transition_url(order: Order) -> str:
    return f"{STAFF_ORDERS_URL}{order.pk}/transition/"


# --- Clients --------------------------------------------------------------------------------


def staff_client() -> tuple[APIClient, User]:
    """Return a client for a superuser: staff API calls need a role's permissions."""
    staff = SuperUserFactory.create()
    return client_for(staff), staff


# --- Real checkouts -------------------------------------------------------------------------


def make_variant(
    *,
    price: str | Decimal = "19.99",
    stock: int = 10,
    discount: str | Decimal | None = None,
    product_name: str | None = None,
    **variant_fields: Any,
) -> ProductVariant:
    """Create a product with one variant for sale (and a live discount on it, if given).

    Bumps the catalog version as the commit of these writes would (tests never commit), so the
    cached discounts and visible categories include them.
    """
    product = ProductFactory.create(**({"name": product_name} if product_name else {}))
    variant = ProductVariantFactory.create(
        product=product, price=Decimal(price), stock=stock, **variant_fields
    )
    if discount is not None:
        DiscountFactory.create(product=product, percent=Decimal(discount))
    bump_catalog_version()
    return variant


def make_voucher(code: str = "SAVE10", **fields: Any) -> Voucher:
    values: dict[str, Any] = {"kind": Voucher.Kind.PERCENT, "value": Decimal(10), **fields}
    return Voucher.objects.create(code=code, **values)


def make_shipping(name: str = "Standard", price: str = "4.95", **fields: Any) -> ShippingMethod:
    return ShippingMethod.objects.create(name=name, price=Decimal(price), **fields)


def new_cart(user: User | None = None) -> Cart:
    return cart_services.get_or_create_cart(user_id=user.pk if user else None, token=None)


def fill_cart(cart: Cart, items: Mapping[ProductVariant, int]) -> Cart:
    """Add each variant's quantity to the cart through the cart service."""
    for variant, quantity in items.items():
        cart_services.add_to_cart(cart=cart, sku=variant.sku, quantity=quantity)
    return cart


def shipping_address(**overrides: str) -> ShippingAddress:
    return ShippingAddress(**{**ADDRESS, **overrides})


def checkout(cart: Cart, *, user: User | None = None, email: str | None = None) -> Order:
    """Place the cart's order as `user` (or a guest with `email`) at the standard address."""
    return place_order(
        cart=cart,
        user=user,
        email=email or (user.email if user else "guest@example.com"),
        address=shipping_address(),
    )


def buy(
    items: Mapping[ProductVariant, int], *, user: User | None = None, email: str | None = None
) -> Order:
    """Fill a fresh cart (the user's own, or a guest's) and place its order."""
    return checkout(fill_cart(new_cart(user), items), user=user, email=email)


# --- Orders written directly ----------------------------------------------------------------


class OrderFactory(DjangoModelFactory[Order]):
    """A pending order of 19.99 without lines; add them with OrderLineFactory.

    Numbers are of the year 2000, which no real checkout in these tests reaches.
    """

    class Meta:
        model = Order

    number = factory.Sequence(lambda n: f"EMP-2000-{n + 1:06d}")
    user = None
    email = factory.LazyAttribute(
        lambda o: o.user.email if o.user is not None else "guest@example.com"
    )
    status = OrderStatus.PENDING
    currency = factory.LazyFunction(lambda: settings.DEFAULT_CURRENCY)
    subtotal = Decimal("19.99")
    discount_total = Decimal(0)
    voucher_discount = Decimal(0)
    shipping_total = Decimal(0)
    tax_total = Decimal("3.33")
    total = Decimal("19.99")
    prices_include_tax = True
    tax_rate = Decimal("0.2000")
    shipping_name = ADDRESS["name"]
    shipping_line1 = ADDRESS["line1"]
    shipping_city = ADDRESS["city"]
    shipping_postal_code = ADDRESS["postal_code"]
    shipping_country = "GB"


class OrderLineFactory(DjangoModelFactory[OrderLine]):
    """A line of one unit of a fresh variant, at its list price."""

    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    variant = factory.SubFactory(ProductVariantFactory)
    product = factory.SelfAttribute("variant.product")
    sku = factory.SelfAttribute("variant.sku")
    product_name = factory.SelfAttribute("variant.product.name")
    variant_name = factory.SelfAttribute("variant.name")
    quantity = 1
    unit_list_price = factory.SelfAttribute("variant.price")
    discount_percent = Decimal(0)
    unit_price = factory.SelfAttribute("variant.price")


def set_created_at(order: Order, moment: datetime) -> Order:
    """Backdate an order (created_at is set on insert, so it is changed afterwards)."""
    Order.objects.filter(pk=order.pk).update(created_at=moment)
    order.refresh_from_db()
    return order


def world() -> dict[str, Any]:
    """Return everything a checkout may change, to show that a refused one changed nothing."""
    return {
        "stock": dict(ProductVariant.objects.values_list("pk", "stock")),
        "vouchers": dict(Voucher.objects.values_list("pk", "used_count")),
        "voucher_usages": VoucherUsage.objects.count(),
        "orders": Order.objects.count(),
        "order_lines": OrderLine.objects.count(),
        "order_events": OrderEvent.objects.count(),
        "order_numbers": dict(OrderNumberCounter.objects.values_list("year", "last")),
        "idempotency_keys": IdempotencyKey.objects.count(),
        "carts": {str(pk): voucher for pk, voucher in Cart.objects.values_list("pk", "voucher_id")},
        "cart_lines": sorted(
            (str(cart), variant, quantity)
            for cart, variant, quantity in CartLine.objects.values_list(
                "cart_id", "variant_id", "quantity"
            )
        ),
    }

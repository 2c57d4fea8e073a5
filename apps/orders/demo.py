"""Demo orders over the last months, placed and paid through the real services.

They give the sales dashboard and the order admin something to show on `make run`: orders
by the demo shoppers of `seed_demo`, most paid in the sandbox, some shipped, a few cancelled
or left unpaid — then dated back over the period, since the services stamp "now".
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from apps.cart import services as cart_services
from apps.cart.models import ShippingMethod
from apps.catalog.associations import recompute_product_associations
from apps.catalog.models import ProductVariant
from apps.core.errors import DomainError
from apps.orders.models import Order, OrderEvent, Shipment
from apps.orders.services.checkout import ShippingAddress, place_order
from apps.orders.services.lifecycle import cancel_order
from apps.orders.services.shipments import create_shipment
from apps.payments.gateways.sandbox import SUCCEEDING_CARD, sandbox_pay
from apps.payments.models import Payment
from apps.payments.services import start_payment
from apps.users.models import User

CITIES = (("Lyon", "69002", "FR"), ("Berlin", "10115", "DE"), ("Leeds", "LS1 4AP", "GB"))


@dataclass
class DemoOrdersReport:
    placed: int = 0
    paid: int = 0
    fulfilled: int = 0
    cancelled: int = 0
    skipped: int = 0
    # "Customers also bought" rows recomputed from the orders there are afterwards.
    associations: int = 0


def _shoppers() -> list[User]:
    return list(User.objects.filter(email__startswith="shopper", is_staff=False).order_by("email"))


def _address(shopper: User, rng: random.Random) -> ShippingAddress:
    city, postal_code, country = rng.choice(CITIES)
    return ShippingAddress(
        name=shopper.get_full_name(),
        line1=f"{rng.randint(1, 120)} Market Street",
        city=city,
        postal_code=postal_code,
        country=country,
    )


def _backdate(order: Order, placed_at: datetime) -> None:
    """Move an order, its events, payments and parcels to `placed_at` (events 20 hours apart)."""
    Order.objects.filter(pk=order.pk).update(created_at=placed_at)
    Payment.objects.filter(order=order).update(created_at=placed_at)
    Shipment.objects.filter(order=order).update(created_at=placed_at + timedelta(hours=40))
    for step, event in enumerate(OrderEvent.objects.filter(order=order).order_by("created_at")):
        OrderEvent.objects.filter(pk=event.pk).update(
            created_at=placed_at + timedelta(hours=step * 20)
        )


def _place(shopper: User, variants: list[ProductVariant], rng: random.Random) -> Order:
    cart = cart_services.get_or_create_cart(user_id=shopper.pk, token=None)
    cart_services.clear_cart(cart=cart)
    for variant in rng.sample(variants, k=rng.randint(1, 3)):
        cart_services.add_to_cart(cart=cart, sku=variant.sku, quantity=rng.randint(1, 2))
    method = rng.choice(list(ShippingMethod.objects.filter(is_active=True)))
    cart_services.set_shipping_method(cart=cart, shipping_method_id=method.pk)
    return place_order(cart=cart, user=shopper, email=shopper.email, address=_address(shopper, rng))


def seed_demo_orders(*, count: int = 80, days: int = 365, seed: int = 7) -> DemoOrdersReport:
    """Place `count` demo orders spread over the last `days` days (none if some exist), then
    recompute the "customers also bought" lists from the orders there are.

    Payments go through the sandbox, whose webhook must be handed over in this process
    (SANDBOX_WEBHOOK_URL empty), as when no web server is running.
    """
    report = DemoOrdersReport()
    shoppers = _shoppers()
    if Order.objects.filter(email__in=[s.email for s in shoppers]).exists() or not shoppers:
        report.skipped = count
        report.associations = recompute_product_associations().rows
        return report
    rng = random.Random(seed)  # noqa: S311 - made-up demo data, not secrets
    variants = list(ProductVariant.objects.filter(is_active=True, stock__gte=20)[:300])
    now = timezone.now()
    # More recent days get more orders, as in a growing shop.
    ages = sorted((days * rng.random() ** 1.6 for _ in range(count)), reverse=True)
    for age in ages:
        shopper = rng.choice(shoppers)
        try:
            with transaction.atomic():
                order = _place(shopper, variants, rng)
        except DomainError:
            report.skipped += 1  # out of stock, say: a demo order less
            continue
        report.placed += 1
        fate = rng.random()
        if fate < 0.85:
            payment = start_payment(order=order)
            sandbox_pay(
                intent_id=payment.provider_id,
                client_secret=payment.client_secret,
                card_number=SUCCEEDING_CARD,
            )
            report.paid += 1
            # Recent paid orders stay to be shipped; older ones have gone out.
            if age > 3 and fate < 0.8:
                create_shipment(
                    order=order,
                    items=None,
                    actor=None,
                    carrier="DHL",
                    tracking_number=f"00340434{rng.randrange(10**10):010d}",
                )
                report.fulfilled += 1
        elif fate < 0.93 and age > 1:
            cancel_order(order=order, actor=None, note="Changed my mind")
            report.cancelled += 1
        _backdate(order, now - timedelta(days=age))
    report.associations = recompute_product_associations().rows
    return report

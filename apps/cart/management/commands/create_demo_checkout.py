"""Create demo shipping methods and a demo voucher code (re-runnable)."""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.cart.models import ShippingMethod, Voucher

SHIPPING_METHODS = (
    # (name, price, free above)
    ("Standard", Decimal("4.90"), Decimal("50.00")),
    ("Express", Decimal("12.90"), None),
)
VOUCHER = {
    "code": "WELCOME10",
    "kind": Voucher.Kind.PERCENT,
    "value": Decimal("10"),
    "per_customer_limit": 1,
}


class Command(BaseCommand):
    help = "Create the demo shipping methods and the WELCOME10 voucher if they are missing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")

    def handle(self, *args: Any, force: bool = False, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError("Demo data is for development; refusing with DEBUG off.")
        for name, price, free_above in SHIPPING_METHODS:
            ShippingMethod.objects.get_or_create(
                name=name, defaults={"price": price, "free_above": free_above}
            )
        code = str(VOUCHER["code"])
        if not Voucher.objects.filter(code__iexact=code).exists():
            Voucher.objects.create(**VOUCHER)
        methods = ", ".join(name for name, _, _ in SHIPPING_METHODS)
        self.stdout.write(f"Shipping methods: {methods}. Voucher code: {code} (10% off, once).")

"""Place demo orders over the last year, so the dashboard and the order admin have data."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.orders.demo import seed_demo_orders


class Command(BaseCommand):
    help = (
        "Place demo orders by the demo shoppers of seed_demo, paid in the sandbox and dated "
        "back over the last year (nothing if they exist already)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--orders", type=int, default=80, help="How many (default 80).")
        parser.add_argument("--days", type=int, default=365, help="Over how many days.")
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")

    def handle(self, *args: Any, orders: int, days: int, force: bool, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError("Demo data is for development; refusing with DEBUG off.")
        if settings.SANDBOX_WEBHOOK_URL or not settings.CELERY_TASK_ALWAYS_EAGER:
            raise CommandError(
                "Demo payments are settled in this process: run with SANDBOX_WEBHOOK_URL= "
                "(empty) and eager tasks (CELERY_TASK_ALWAYS_EAGER=true, the local default)."
            )
        report = seed_demo_orders(count=orders, days=days)
        if report.placed == 0:
            self.stdout.write("Demo orders exist already (or no demo shoppers): nothing placed.")
        else:
            self.stdout.write(
                f"Demo orders: {report.placed} placed, {report.paid} paid, "
                f"{report.fulfilled} fulfilled, {report.cancelled} cancelled."
            )
        self.stdout.write(f"Customers also bought: {report.associations} associations.")

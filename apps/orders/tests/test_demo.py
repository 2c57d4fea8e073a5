"""Demo orders: placed, paid and dated back through the real services; seeded once."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from apps.catalog.demo import seed_demo_catalog
from apps.orders.demo import seed_demo_orders
from apps.orders.models import Order, OrderStatus
from apps.payments.models import Payment, PaymentStatus

# Payments settle on commit (the sandbox webhook), so these tests really commit.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo_catalog() -> None:
    seed_demo_catalog(products=30, seed=3)
    call_command("create_demo_checkout", "--force", stdout=StringIO())


def test_demo_orders_are_paid_fulfilled_and_spread_over_the_period(demo_catalog: None) -> None:
    report = seed_demo_orders(count=20, days=60)

    orders = Order.objects.all()
    assert report.placed == orders.count() > 0
    assert report.placed + report.skipped == 20
    oldest = timezone.now() - timedelta(days=60, minutes=1)
    assert all(order.created_at >= oldest for order in orders)
    assert len({order.created_at.date() for order in orders}) > 5
    paid_statuses = (OrderStatus.PAID, OrderStatus.FULFILLED)
    paid = orders.filter(status__in=paid_statuses)
    assert paid.count() == report.paid
    assert orders.filter(status=OrderStatus.FULFILLED).count() == report.fulfilled
    assert orders.filter(status=OrderStatus.CANCELLED).count() == report.cancelled
    assert Payment.objects.filter(status=PaymentStatus.SUCCEEDED).count() == report.paid


def test_demo_orders_are_seeded_once(demo_catalog: None) -> None:
    seed_demo_orders(count=5, days=10)
    again = seed_demo_orders(count=5, days=10)

    assert again.placed == 0
    assert Order.objects.count() <= 5


@override_settings(SANDBOX_WEBHOOK_URL="http://127.0.0.1:8000/api/v1/payments/webhooks/sandbox/")
def test_the_command_refuses_to_pay_over_http(demo_catalog: None) -> None:
    with pytest.raises(CommandError, match="SANDBOX_WEBHOOK_URL"):
        call_command("seed_demo_orders", "--force")
    assert not Order.objects.exists()

"""A dead broker never fails an order or a payment, and nothing it should have carried is lost.

The Celery app is pointed at a closed port (a real connection refusal, not a mock) while a
customer checks out and pays; afterwards the broker is "back" and the periodic sweep sends
the e-mails and fans out the webhook events that could not be enqueued.
"""

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from apps.catalog import services as catalog_services
from apps.orders import tasks as order_tasks
from apps.orders.models import Order, OrderEmail, OrderStatus
from apps.orders.services.lifecycle import mark_order_paid
from apps.orders.tests.factories import buy
from apps.webhooks import tasks as webhook_tasks
from apps.webhooks.models import OutboxEvent
from config.celery import app as celery_app

pytestmark = pytest.mark.django_db

CLOSED_PORT_BROKER = "redis://127.0.0.1:1/0"


def _use_broker(url: str | None) -> None:
    # The write URL wins over broker_url, which a CELERY_BROKER_URL variable would pin.
    celery_app.conf["broker_write_url"] = url
    # Drop the cached connection and producer pools so the next publish uses `url`.
    celery_app._pool = None  # type: ignore[attr-defined]
    celery_app.amqp._producer_pool = None  # type: ignore[attr-defined]


@pytest.fixture
def dead_broker() -> Iterator[None]:
    conf = celery_app.conf
    saved = (conf.get("broker_write_url"), conf.task_always_eager, conf.task_publish_retry_policy)
    conf.task_always_eager = False
    conf.task_publish_retry_policy = {"max_retries": 1, "interval_start": 0}
    _use_broker(CLOSED_PORT_BROKER)
    try:
        yield
    finally:
        conf.task_always_eager, conf.task_publish_retry_policy = saved[1], saved[2]
        _use_broker(saved[0])


def test_orders_and_payments_succeed_without_a_broker_and_the_sweep_catches_up(
    dead_broker, django_capture_on_commit_callbacks, time_machine, caplog
):
    category = catalog_services.create_category(name="Lamps")
    product = catalog_services.create_product(
        name="Desk lamp",
        category=category,
        variants=[catalog_services.VariantInput(sku="LAMP-1", price=Decimal("25.00"), stock=3)],
    )
    lamp = product.variants.get()

    with django_capture_on_commit_callbacks(execute=True):
        order = buy({lamp: 1}, email="ada@example.com")
        mark_order_paid(order=order, actor=None, note="Paid while the broker was down.")

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID  # nothing failed for the customer
    assert mail.outbox == []
    assert not OrderEmail.objects.filter(sent_at__isnull=False).exists()
    # The failed enqueues (order received, payment confirmed, and the webhook fan-outs of
    # order.created and order.paid) were logged, not raised.
    refused = [r for r in caplog.records if "on_commit" in r.getMessage()]
    assert len(refused) == 4
    assert all("Connection refused" in str(r.exc_info[1]) for r in refused if r.exc_info)

    # The broker is back (eager here); ten minutes on, the sweep sends what was owed, once.
    celery_app.conf.task_always_eager = True
    time_machine.move_to(timezone.now() + timedelta(minutes=11), tick=False)
    assert order_tasks.send_missing_order_emails() == 2
    assert order_tasks.send_missing_order_emails() == 0
    subjects = sorted(message.subject for message in mail.outbox)
    assert subjects == [
        f"Payment received for order {order.number}",
        f"We have your order {order.number}",
    ]
    assert Order.objects.get(pk=order.pk).emails.filter(sent_at__isnull=False).count() == 2
    # The webhook sweep fans out the events (product, order created, order paid) once.
    assert webhook_tasks.sweep()["events"] == 3
    assert webhook_tasks.sweep()["events"] == 0
    assert not OutboxEvent.objects.filter(dispatched_at__isnull=True).exists()

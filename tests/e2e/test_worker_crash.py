"""A worker killed while sending an order e-mail: the task is redelivered and sent exactly once."""

import os
import signal
import time
from decimal import Decimal

import pytest

from apps.catalog import services as catalog_services
from apps.orders.models import OrderEmail
from apps.orders.tests.factories import buy
from tests.e2e.conftest import PublishedTasks, WorkerProcess, start_worker, stop_worker

pytestmark = pytest.mark.e2e

# Redelivery after a second, checked every second, so the test waits seconds, not an hour.
FAST_REDELIVERY = (
    '{"visibility_timeout": 2, "unacked_restore_interval": 1, "unacked_restore_throttle": 1}'
)


def wait_until(condition, *, timeout: float, what: str, worker: WorkerProcess) -> None:
    """Poll `condition` (bounded) while another process works towards it."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            rows = list(OrderEmail.objects.values())
            pytest.fail(f"timed out waiting for {what} ({rows}); worker log:\n{worker.log()}")
        time.sleep(0.1)


def test_a_killed_worker_s_email_is_redelivered_and_sent_once(
    non_eager, published_tasks: PublishedTasks, tmp_path
):
    category = catalog_services.create_category(name="Lamps")
    product = catalog_services.create_product(
        name="Desk lamp",
        category=category,
        variants=[catalog_services.VariantInput(sku="LAMP-1", price=Decimal("25.00"), stock=3)],
    )
    doomed = start_worker(
        tmp_path / "doomed",
        EMAIL_BACKEND="tests.e2e.blocking_mail.BlockingEmailBackend",
        CELERY_BROKER_TRANSPORT_OPTIONS=FAST_REDELIVERY,
    )
    try:
        # Checkout enqueues the "order received" e-mail on commit; the first worker takes it.
        order = buy({product.variants.get(): 1}, email="ada@example.com")
        email = OrderEmail.objects.filter(order=order, kind=OrderEmail.Kind.RECEIVED)
        [task_id] = published_tasks.of("orders.send_order_email")
        wait_until(
            lambda: email.filter(claimed_at__isnull=False).exists(),
            timeout=60,
            what="the first worker to claim the e-mail",
            worker=doomed,
        )
        os.kill(doomed.process.pid, signal.SIGKILL)  # mid-send, the message unacknowledged
        doomed.process.wait(timeout=10)
    finally:
        stop_worker(doomed)

    rescuer = start_worker(tmp_path / "rescuer", CELERY_BROKER_TRANSPORT_OPTIONS=FAST_REDELIVERY)
    try:
        wait_until(
            lambda: email.filter(sent_at__isnull=False).exists(),
            timeout=60,
            what="the redelivered task to send the e-mail",
            worker=rescuer,
        )
    finally:
        stop_worker(rescuer)

    record = email.get()
    assert record.claimed_by == task_id  # the same task, redelivered
    messages = list(rescuer.mail_dir.iterdir())
    assert len(messages) == 1
    assert f"Subject: We have your order {order.number}" in messages[0].read_text()
    assert not list(doomed.mail_dir.iterdir())

"""Concurrent sends of one delivery (a duplicate task, the sweep and a redelivery at once):
exactly one makes the request. Real threads on PostgreSQL."""

from collections.abc import Callable

import pytest

from apps.core.tests.concurrency import require_postgresql, run_at_once
from apps.webhooks import delivery as sender
from apps.webhooks import services
from apps.webhooks.models import DeliveryStatus, EventType, OutboxEvent, WebhookDelivery

pytestmark = pytest.mark.django_db(transaction=True)


def test_of_many_tasks_sending_one_delivery_at_once_one_sends_it(receiver):
    require_postgresql()
    endpoint = services.create_endpoint(url=receiver.url, event_types=[EventType.STOCK_LOW])
    # Written directly, as a dispatch leaves it: due, unclaimed (no on-commit send).
    event = OutboxEvent.objects.create(type=EventType.STOCK_LOW, data={"sku": "A"})
    item = WebhookDelivery.objects.create(endpoint=endpoint, event=event)

    def send_as(claim: str) -> Callable[[], WebhookDelivery | None]:
        return lambda: sender.send_delivery(delivery_id=item.pk, claim=claim)

    outcomes = run_at_once([send_as(claim) for claim in ("task-a", "task-b", "task-c", "task-d")])

    assert sum(outcome is not None for outcome in outcomes) == 1
    assert len(receiver.requests) == 1
    item.refresh_from_db()
    assert (item.status, item.attempt_log.count()) == (DeliveryStatus.SUCCEEDED, 1)

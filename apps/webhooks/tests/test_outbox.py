"""The outbox: events commit or roll back with their change, fan out to the endpoints that
subscribe, and are found again by the sweep when their on-commit enqueue was lost."""

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from apps.webhooks import services, tasks
from apps.webhooks.models import DeliveryStatus, EventType, OutboxEvent, WebhookDelivery

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_an_event_published_in_a_rolled_back_transaction_leaves_nothing_and_sends_nothing(
    receiver, make_endpoint
):
    make_endpoint()

    def change_then_fail() -> None:
        with transaction.atomic():
            services.publish_event(type=EventType.ORDER_PAID, data={"id": "1"})
            raise Boom

    with pytest.raises(Boom):
        change_then_fail()

    assert not OutboxEvent.objects.exists()
    assert not WebhookDelivery.objects.exists()
    assert receiver.requests == []


@pytest.mark.django_db(transaction=True)
def test_an_event_committed_is_fanned_out_and_sent_once_committed(receiver, make_endpoint):
    endpoint = make_endpoint()

    with transaction.atomic():
        event = services.publish_event(type=EventType.ORDER_PAID, data={"id": "1"})
        assert receiver.requests == []  # nothing leaves before the commit

    [request] = receiver.requests
    assert request.event_id == str(event.pk)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.endpoint, delivery.event_id, delivery.status) == (
        endpoint,
        event.pk,
        DeliveryStatus.SUCCEEDED,
    )
    event.refresh_from_db()
    assert event.dispatched_at is not None


def test_fan_out_reaches_only_active_endpoints_subscribed_to_the_type(
    receiver, make_endpoint, django_capture_on_commit_callbacks
):
    subscribed = make_endpoint("subscribed", [EventType.ORDER_PAID, EventType.STOCK_LOW])
    make_endpoint("inactive", [EventType.ORDER_PAID], is_active=False)
    make_endpoint("other", [EventType.PRODUCT_UPDATED])

    with django_capture_on_commit_callbacks(execute=True):
        services.publish_event(type=EventType.ORDER_PAID, data={"id": "1"})

    assert [request.path for request in receiver.requests] == ["/hooks/subscribed"]
    assert list(WebhookDelivery.objects.values_list("endpoint", flat=True)) == [subscribed.pk]


def test_unknown_event_types_are_refused_before_anything_is_written():
    with pytest.raises(ValueError, match=r"order\.exploded"):
        services.publish_event(type="order.exploded", data={})
    assert not OutboxEvent.objects.exists()


def test_fanning_out_twice_makes_no_second_delivery(make_endpoint):
    make_endpoint()
    event = services.publish_event(type=EventType.ORDER_PAID, data={"id": "1"})

    first = services.dispatch_events(event_ids=[event.pk])
    OutboxEvent.objects.filter(pk=event.pk).update(dispatched_at=None)  # as if it died after
    second = services.dispatch_events(event_ids=[event.pk])

    assert len(first) == 1
    assert second == first
    assert WebhookDelivery.objects.count() == 1


def test_the_sweep_fans_out_an_event_whose_enqueue_was_lost(
    receiver, make_endpoint, django_capture_on_commit_callbacks
):
    make_endpoint()
    # Published without its on-commit callback ever running: the broker was down.
    event = services.publish_event(type=EventType.ORDER_PAID, data={"id": "1"})

    assert tasks.sweep() == {"events": 0, "deliveries": 0}  # not late yet: on-commit's job
    with (
        time_machine.travel(timezone.now() + timedelta(minutes=2)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        swept = tasks.sweep()

    assert swept == {"events": 1, "deliveries": 0}
    [request] = receiver.requests
    assert request.event_id == str(event.pk)
    assert WebhookDelivery.objects.get().status == DeliveryStatus.SUCCEEDED


def test_the_sweep_sends_a_first_attempt_that_was_never_made(receiver, make_endpoint):
    make_endpoint()
    event = services.publish_event(type=EventType.ORDER_PAID, data={"id": "1"})
    services.dispatch_events(event_ids=[event.pk])  # its sends' enqueue lost

    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert tasks.sweep() == {"events": 0, "deliveries": 1}
        assert tasks.sweep() == {"events": 0, "deliveries": 0}  # sent: nothing left

    assert [request.event_id for request in receiver.requests] == [str(event.pk)]


def test_old_events_are_purged_with_their_deliveries(make_endpoint):
    make_endpoint()
    with time_machine.travel(timezone.now() - timedelta(days=31)):
        old = services.publish_event(type=EventType.ORDER_PAID, data={"id": "old"})
        services.dispatch_events(event_ids=[old.pk])
    recent = services.publish_event(type=EventType.ORDER_PAID, data={"id": "new"})

    assert tasks.purge_old_events() == 1

    assert list(OutboxEvent.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not WebhookDelivery.objects.filter(event_id=old.pk).exists()

"""Sending a delivery to a real receiver: the signed request, failures and their backoff,
disabling an endpoint that keeps failing, replays, claims, redirects, timeouts, addresses."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from apps.webhooks import delivery as sender
from apps.webhooks import services, tasks
from apps.webhooks.errors import EndpointInactive
from apps.webhooks.models import DeliveryStatus, EventType, WebhookDelivery
from apps.webhooks.tests.receiver import Answer, verify_signature

pytestmark = pytest.mark.django_db

CLAIM = "task-1"


def new_delivery(endpoint, data=None, type=EventType.ORDER_PAID) -> WebhookDelivery:
    event = services.publish_event(type=type, data=data or {"id": "o-1", "total": "19.99"})
    services.dispatch_events(event_ids=[event.pk])
    return WebhookDelivery.objects.get(endpoint=endpoint, event=event)


def send(delivery: WebhookDelivery, claim: str = CLAIM) -> WebhookDelivery | None:
    return sender.send_delivery(delivery_id=delivery.pk, claim=claim)


def test_the_request_is_the_event_signed_with_the_endpoint_secret(receiver, make_endpoint):
    endpoint = make_endpoint()
    delivery = new_delivery(endpoint, {"id": "o-1", "total": "19.99"})

    send(delivery)

    [request] = receiver.requests
    headers = request.headers
    assert request.json == {
        "id": str(delivery.event_id),
        "type": "order.paid",
        "created_at": delivery.event.created_at.isoformat().replace("+00:00", "Z"),
        "data": {"id": "o-1", "total": "19.99"},
    }
    assert headers["Content-Type"] == "application/json"
    assert headers["Emporium-Event-Id"] == str(delivery.event_id)
    assert headers["Emporium-Delivery-Id"] == str(delivery.pk)
    signature = headers["Emporium-Signature"]
    assert signature.startswith(f"t={headers['Emporium-Timestamp']},v1=")
    assert verify_signature(request.body, signature, secret=endpoint.secret)
    assert not verify_signature(request.body, signature, secret="whsec_another")
    assert not verify_signature(request.body + b" ", signature, secret=endpoint.secret)


def test_a_2xx_answer_settles_the_delivery_and_logs_the_attempt(receiver, make_endpoint):
    delivery = new_delivery(make_endpoint())
    receiver.answer_next(Answer(status=204, body=b""))

    send(delivery)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert (delivery.attempts, delivery.last_status_code, delivery.next_attempt_at) == (
        1,
        204,
        None,
    )
    assert delivery.delivered_at is not None
    [attempt] = delivery.attempt_log.all()
    assert (attempt.number, attempt.succeeded, attempt.status_code) == (1, True, 204)
    assert send(delivery) is None  # done: a repeated task sends nothing
    assert len(receiver.requests) == 1


def test_failures_back_off_exponentially_then_the_delivery_gives_up(
    receiver, make_endpoint, settings
):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 60
    settings.WEBHOOK_RETRY_MAX_SECONDS = 300
    settings.WEBHOOK_MAX_ATTEMPTS = 5
    delivery = new_delivery(make_endpoint())
    receiver.fail_next(10, status=503, body=b"x" * 2000)
    waits = []

    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(5):
            assert send(delivery) is not None
            delivery.refresh_from_db()
            if delivery.next_attempt_at is None:
                break
            wait = delivery.next_attempt_at - timezone.now()
            waits.append(wait.total_seconds())
            assert send(delivery, claim="too-early") is None  # not due yet
            clock.shift(wait)

    assert waits == [60, 120, 240, 300]  # doubling, capped at the maximum
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (
        DeliveryStatus.FAILED,
        5,
        None,
    )
    assert delivery.last_status_code == 503
    assert delivery.last_error == "HTTP 503 Service Unavailable"
    attempts = list(delivery.attempt_log.all())
    assert [a.number for a in attempts] == [1, 2, 3, 4, 5]
    assert all(not a.succeeded and len(a.response_snippet) == 500 for a in attempts)
    assert len(receiver.requests) == 5


def test_the_retry_schedule():
    assert [sender.retry_delay(n).total_seconds() for n in range(1, 12)] == [
        60, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 21600, 21600,
    ]  # fmt: skip


def test_an_endpoint_failing_n_times_in_a_row_is_disabled_and_its_deliveries_wait(
    receiver, make_endpoint, settings
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    endpoint = make_endpoint()
    deliveries = [new_delivery(endpoint, {"n": n}) for n in range(4)]
    receiver.fail_next(3)

    for delivery in deliveries[:3]:  # three deliveries, one failure each
        send(delivery)

    endpoint.refresh_from_db()
    assert endpoint.is_active is False
    assert endpoint.consecutive_failures == 3
    assert endpoint.disabled_at is not None
    assert "3 failed attempts in a row" in endpoint.disabled_reason
    assert send(deliveries[3]) is None  # nothing goes to a disabled endpoint
    assert len(receiver.requests) == 3
    with pytest.raises(EndpointInactive):
        services.replay_delivery(delivery=deliveries[0])

    services.update_endpoint(endpoint=endpoint, is_active=True)  # staff switch it back on

    endpoint.refresh_from_db()
    assert (endpoint.is_active, endpoint.consecutive_failures, endpoint.disabled_at) == (
        True,
        0,
        None,
    )
    assert send(deliveries[3]) is not None
    assert WebhookDelivery.objects.get(pk=deliveries[3].pk).status == DeliveryStatus.SUCCEEDED


def test_a_success_resets_the_endpoint_s_failure_count(receiver, make_endpoint, settings):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    endpoint = make_endpoint()
    receiver.fail_next(2)
    for n in range(3):
        send(new_delivery(endpoint, {"n": n}))
    endpoint.refresh_from_db()
    assert (endpoint.consecutive_failures, endpoint.is_active) == (0, True)

    receiver.fail_next(2)
    for n in range(3, 5):
        send(new_delivery(endpoint, {"n": n}))
    endpoint.refresh_from_db()
    assert (endpoint.consecutive_failures, endpoint.is_active) == (2, True)  # not 4: reset


def test_a_replay_sends_the_same_event_and_delivery_again(
    receiver, make_endpoint, django_capture_on_commit_callbacks
):
    delivery = new_delivery(make_endpoint())
    send(delivery)

    with django_capture_on_commit_callbacks(execute=True):
        services.replay_delivery(delivery=delivery)

    first, again = receiver.requests
    assert again.event_id == first.event_id == str(delivery.event_id)
    assert again.headers["Emporium-Delivery-Id"] == first.headers["Emporium-Delivery-Id"]
    assert again.body == first.body
    assert len(receiver.events) == 1  # the receiver's deduplication keeps one
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempt_log.count() == 2


def test_the_sweep_resends_deliveries_once_their_retry_is_due(
    receiver, make_endpoint, django_capture_on_commit_callbacks
):
    delivery = new_delivery(make_endpoint())
    receiver.fail_next(1)
    send(delivery)
    delivery.refresh_from_db()
    assert delivery.next_attempt_at is not None

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.sweep()["deliveries"] == 0  # not due yet
    with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1)):
        assert tasks.sweep()["deliveries"] == 1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 2)
    assert [r.event_id for r in receiver.requests] == [str(delivery.event_id)] * 2


def test_a_delivery_claimed_by_a_live_task_is_left_to_it_and_a_stale_claim_is_taken_over(
    receiver, make_endpoint
):
    delivery = new_delivery(make_endpoint())
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        claimed_at=timezone.now(), claimed_by="other-task"
    )

    assert send(delivery) is None
    assert receiver.requests == []
    assert send(delivery, claim="other-task") is not None  # the same task, redelivered

    stale = new_delivery(make_endpoint("second"), {"id": "o-2"})
    WebhookDelivery.objects.filter(pk=stale.pk).update(
        claimed_at=timezone.now() - timedelta(minutes=10), claimed_by="dead-task"
    )
    assert send(stale) is not None
    assert len(receiver.requests) == 2


def test_redirects_are_not_followed(receiver, make_endpoint):
    delivery = new_delivery(make_endpoint())
    receiver.answer_next(Answer(status=302, body=b"", headers={"Location": receiver.url + "/x"}))

    send(delivery)

    assert [r.path for r in receiver.requests] == ["/hooks/main"]
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_status_code == 302
    assert "redirects are not followed" in delivery.last_error


def test_a_receiver_that_does_not_answer_in_time_is_a_failed_attempt(
    receiver, make_endpoint, settings
):
    settings.WEBHOOK_READ_TIMEOUT = 0.3
    delivery = new_delivery(make_endpoint())
    release = receiver.hold_next()
    try:
        send(delivery)
    finally:
        release.set()

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_status_code is None
    assert "timed out" in delivery.last_error.lower()
    assert delivery.attempt_log.get().error == delivery.last_error


def test_private_addresses_are_refused_at_send_time_unless_allowed(
    receiver, make_endpoint, settings
):
    delivery = new_delivery(make_endpoint())  # registered while local URLs were allowed
    settings.WEBHOOK_ALLOW_INSECURE_URLS = False

    send(delivery)

    assert receiver.requests == []
    delivery.refresh_from_db()
    assert "non-public address" in delivery.last_error
    assert delivery.attempt_log.get().succeeded is False


def test_a_connection_refused_is_recorded_not_raised(make_endpoint, db):
    endpoint = services.create_endpoint(
        url="http://127.0.0.1:9/nothing", event_types=["order.paid"]
    )
    delivery = new_delivery(endpoint)

    send(delivery)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_error.startswith("ConnectionError")


def test_the_body_is_the_same_bytes_on_every_attempt(receiver, make_endpoint):
    delivery = new_delivery(make_endpoint(), {"b": 1, "a": "é"})
    receiver.fail_next(1)
    send(delivery)
    delivery.refresh_from_db()
    with time_machine.travel(delivery.next_attempt_at):
        send(delivery)

    first, second = receiver.requests
    assert first.body == second.body
    assert json.loads(first.body)["data"] == {"a": "é", "b": 1}

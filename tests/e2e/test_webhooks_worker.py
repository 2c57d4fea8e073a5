"""Outbound webhooks with a real worker: an order's events (placed, paid, shipped in two
parcels, a return refunded) reach an external receiver, each signed, none missing; a worker
killed mid-request has its delivery sent again by the next one, and the receiver,
deduplicating on the event id, records it once."""

import os
import signal
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from uuid import UUID

import pytest

from apps.cart import services as cart_services
from apps.catalog import services as catalog_services
from apps.invoices.tests.factories import pdf_text
from apps.orders.models import Order
from apps.orders.services import returns
from apps.orders.services.lifecycle import mark_order_paid
from apps.orders.services.returns import ReturnItem, request_return
from apps.orders.services.shipments import ShipmentItem, create_shipment
from apps.orders.tests.factories import (
    checkout,
    fill_cart,
    make_shipping,
    new_cart,
    staff_client,
)
from apps.payments import services as payment_services
from apps.payments.models import Payment, PaymentStatus, SandboxIntent
from apps.webhooks import services as webhook_services
from apps.webhooks.models import (
    DeliveryStatus,
    EventType,
    OutboxEvent,
    WebhookDelivery,
    WebhookEndpoint,
)
from apps.webhooks.tests.receiver import Receiver, verify_signature
from tests.e2e.conftest import WorkerProcess, start_worker, stop_worker
from tests.e2e.test_worker_crash import FAST_REDELIVERY

pytestmark = pytest.mark.e2e

# Workers publish the sends a fan-out enqueues, as in production, so each is a message of its
# own that a worker's death leaves unacknowledged and the broker hands to the next worker.
WORKER_SETTINGS = {"DJANGO_SETTINGS_MODULE": "tests.e2e.worker_settings"}


@pytest.fixture
def worker_env() -> dict[str, str]:
    return WORKER_SETTINGS


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    try:
        yield server
    finally:
        server.stop()


def wait_until(condition: Callable[[], bool], *, what: str, worker: WorkerProcess) -> None:
    """Poll `condition` (bounded) while the worker works towards it."""
    deadline = time.monotonic() + 60
    while not condition():
        if time.monotonic() > deadline:
            rows = list(WebhookDelivery.objects.values("event__type", "status", "last_error"))
            pytest.fail(f"timed out waiting for {what} ({rows}); worker log:\n{worker.log()}")
        time.sleep(0.1)


def order_flow(settings) -> Order:
    """The whole life of an order, seven events in seven commits: a product created, ordered
    into low stock, paid, shipped in two parcels, one lamp returned and refunded with part
    of the shipping fee."""
    settings.LOW_STOCK_THRESHOLD = 5
    category = catalog_services.create_category(name="Lamps")
    product = catalog_services.create_product(
        name="Desk lamp",
        category=category,
        variants=[catalog_services.VariantInput(sku="LAMP-1", price=Decimal("25.00"), stock=6)],
    )
    cart = fill_cart(new_cart(), {product.variants.get(): 2})
    cart_services.set_shipping_method(cart=cart, shipping_method_id=make_shipping(price="4.00").pk)
    order = checkout(cart, email="ada@example.com")
    payment = payment_services.start_payment(order=order)
    # Captured at the sandbox (its own webhook would say so; here the capture is a given).
    SandboxIntent.objects.filter(pk=payment.provider_id).update(
        status=SandboxIntent.Status.SUCCEEDED
    )
    Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.SUCCEEDED)
    mark_order_paid(order=order, actor=None)
    line = order.lines.get()
    for tracking in ("00340434-1", "00340434-2"):
        create_shipment(
            order=order, items=[ShipmentItem(line.pk, 1)], actor=None, tracking_number=tracking
        )
    request = request_return(
        order=order, items=[ReturnItem(line.pk, 1)], reason="damaged", actor=None
    )
    returns.approve_return(request=request, actor=None)
    returns.receive_return(request=request, restock=False, actor=None)
    payment_services.refund_return(request=request, shipping=Decimal("2.00"), actor=None)
    order.refresh_from_db()
    return order


def all_delivered() -> bool:
    deliveries = WebhookDelivery.objects.all()
    return (
        deliveries.count() == OutboxEvent.objects.count()
        and not deliveries.exclude(status=DeliveryStatus.SUCCEEDED).exists()
    )


def assert_received_every_event_once(receiver: Receiver, endpoint: WebhookEndpoint) -> None:
    published = {str(pk): kind for pk, kind in OutboxEvent.objects.values_list("pk", "type")}
    assert sorted(published.values()) == sorted(
        [
            EventType.PRODUCT_UPDATED,
            EventType.ORDER_CREATED,
            EventType.STOCK_LOW,
            EventType.ORDER_PAID,
            EventType.SHIPMENT_CREATED,
            EventType.SHIPMENT_CREATED,
            EventType.REFUND_CREATED,
        ]
    )
    assert set(receiver.events) == set(published)  # none missing, none made up
    for request in receiver.requests:
        assert verify_signature(
            request.body, request.headers["Emporium-Signature"], secret=endpoint.secret
        )
        assert request.json["id"] == request.event_id
        assert request.json["type"] == published[request.event_id]


def test_an_order_s_events_reach_the_receiver_signed_and_each_once(
    celery_worker: WorkerProcess, receiver: Receiver, settings
):
    endpoint = webhook_services.create_endpoint(
        url=receiver.url, event_types=list(EventType.values)
    )

    order = order_flow(settings)

    wait_until(all_delivered, what="every delivery to succeed", worker=celery_worker)
    assert_received_every_event_once(receiver, endpoint)
    assert len(receiver.requests) == 7  # nothing sent twice without a reason
    paid = receiver.events[str(OutboxEvent.objects.get(type=EventType.ORDER_PAID).pk)].json["data"]
    assert (paid["number"], paid["status"], paid["total"]) == (order.number, "paid", "54.00")
    parcels = [
        receiver.events[str(pk)].json["data"]
        for pk in OutboxEvent.objects.filter(type=EventType.SHIPMENT_CREATED)
        .order_by("created_at")
        .values_list("pk", flat=True)
    ]
    assert [(p["number"], p["tracking_number"], p["order_status"]) for p in parcels] == [
        (1, "00340434-1", "partially_fulfilled"),
        (2, "00340434-2", "fulfilled"),
    ]
    refund = receiver.events[str(OutboxEvent.objects.get(type=EventType.REFUND_CREATED).pk)]
    assert (refund.json["data"]["amount"], refund.json["data"]["shipping_amount"]) == (
        "27.00",
        "2.00",
    )
    assert_documents_download(order)


def assert_documents_download(order: Order) -> None:
    """The order's invoice and the return's credit note list and download as PDFs."""
    client, _ = staff_client()
    documents = client.get(f"/api/v1/staff/orders/{order.pk}/documents/").json()
    assert [d["kind"] for d in documents] == ["invoice", "credit_note"], documents
    totals = {}
    for document in documents:
        response = client.get(f"/api/v1/staff/orders/{order.pk}/documents/{document['number']}.pdf")
        assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
        text = pdf_text(response.content)
        assert document["number"] in text
        totals[document["kind"]] = document["total"]
    assert totals == {"invoice": "54.00", "credit_note": "27.00"}


def test_a_worker_killed_mid_delivery_has_it_sent_again_and_the_receiver_keeps_one(
    non_eager: None, receiver: Receiver, settings, tmp_path
):
    endpoint = webhook_services.create_endpoint(
        url=receiver.url, event_types=list(EventType.values)
    )
    release = receiver.hold_next()  # the first request waits for an answer that never comes
    doomed = start_worker(
        tmp_path / "doomed", CELERY_BROKER_TRANSPORT_OPTIONS=FAST_REDELIVERY, **WORKER_SETTINGS
    )
    try:
        order_flow(settings)
        receiver.wait_for(lambda r: len(r.requests) >= 1, timeout=60, what="the first request")
        [held] = receiver.requests
        os.kill(doomed.process.pid, signal.SIGKILL)  # mid-request, the task unacknowledged
        doomed.process.wait(timeout=10)
    finally:
        release.set()
        stop_worker(doomed)
    in_flight = WebhookDelivery.objects.get(event_id=UUID(held.event_id))
    assert in_flight.status == DeliveryStatus.PENDING
    assert in_flight.attempts == 0  # its answer was never recorded

    rescuer = start_worker(
        tmp_path / "rescuer", CELERY_BROKER_TRANSPORT_OPTIONS=FAST_REDELIVERY, **WORKER_SETTINGS
    )
    try:
        wait_until(all_delivered, what="every delivery to succeed", worker=rescuer)
    finally:
        stop_worker(rescuer)

    assert_received_every_event_once(receiver, endpoint)
    sent = [request.event_id for request in receiver.requests]
    assert sent.count(held.event_id) == 2  # at least once: the held one again
    assert len(sent) == 8  # every other event exactly once
    again = [r for r in receiver.requests if r.event_id == held.event_id][1]
    assert again.body == held.body
    assert again.headers["Emporium-Delivery-Id"] == held.headers["Emporium-Delivery-Id"]

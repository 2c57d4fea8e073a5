"""Checkout → pay with the sandbox → signed webhook over HTTP → paid → e-mail, with real processes.

A real Celery worker (another process) delivers the sandbox's webhook over HTTP to a live
server, which marks the order paid; the worker then sends the payment confirmation.
"""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from apps.catalog import services as catalog_services
from apps.core.tests.helpers import client_for
from apps.orders.models import Order, OrderEmail, OrderStatus
from apps.payments.models import Payment, PaymentStatus, WebhookEvent
from apps.users.tests.factories import UserFactory
from tests.e2e.conftest import PublishedTasks, WorkerProcess, task_result

pytestmark = pytest.mark.e2e

ADDRESS = {
    "name": "Ada",
    "line1": "1 Main St",
    "city": "Paris",
    "postal_code": "75001",
    "country": "FR",
}


@pytest.fixture
def worker_env(live_server) -> dict[str, str]:
    return {"SANDBOX_WEBHOOK_URL": f"{live_server.url}/api/v1/payments/webhooks/sandbox/"}


def wait(published: PublishedTasks, name: str, worker: WorkerProcess) -> object:
    ids = published.of(name)
    assert ids, f"{name} was never enqueued; worker log:\n{worker.log()}"
    return task_result(ids[-1])


def test_a_paid_order_is_confirmed_by_the_worker_after_the_webhook(
    celery_worker: WorkerProcess, published_tasks: PublishedTasks
):
    category = catalog_services.create_category(name="Lamps")
    catalog_services.create_product(
        name="Desk lamp",
        category=category,
        variants=[catalog_services.VariantInput(sku="LAMP-1", price=Decimal("25.00"), stock=3)],
    )
    customer = UserFactory.create(email="ada@example.com")
    client = client_for(customer)

    assert client.post("/api/v1/cart/items/", {"sku": "LAMP-1", "quantity": 2}).status_code == 201
    order = client.post("/api/v1/checkout/", {"shipping_address": ADDRESS}).json()
    payment = client.post(f"/api/v1/orders/{order['id']}/pay/").json()
    intent = payment["redirect_url"].rstrip("/").split("/")[-1]

    paid = APIClient().post(
        f"/api/v1/payments/sandbox/{intent}/pay/",
        {"client_secret": payment["client_secret"], "card_number": "4242 4242 4242 4242"},
    )
    assert paid.status_code == 200, paid.content

    # The worker delivers the signed webhook over HTTP to the live server...
    assert wait(published_tasks, "payments.deliver_sandbox_webhook", celery_worker) == 200
    # ...which marks the order paid and enqueues the confirmation, sent by the worker.
    assert wait(published_tasks, "orders.send_order_email", celery_worker) is True

    assert Order.objects.get(pk=order["id"]).status == OrderStatus.PAID
    assert Payment.objects.get(pk=payment["id"]).status == PaymentStatus.SUCCEEDED
    event = WebhookEvent.objects.get()
    assert (event.type, event.outcome) == ("payment.succeeded", "applied")
    confirmation = OrderEmail.objects.get(order_id=order["id"], kind="confirmed")
    assert confirmation.sent_at is not None
    subjects = [path.read_text() for path in celery_worker.mail_dir.iterdir()]
    assert sum(f"Subject: Payment received for order {order['number']}" in m for m in subjects) == 1
    delay = (confirmation.sent_at - event.received_at).total_seconds()
    print(f"webhook received → confirmation sent: {delay * 1000:.0f} ms")  # noqa: T201

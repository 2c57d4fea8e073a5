"""Concurrent deliveries of one webhook on PostgreSQL: stored once, applied once.

Each thread has a database connection of its own (closed when it ends) and all are released
together by a barrier, so the transactions really overlap; what keeps the result right is the
unique index on (provider, event id) and the lock on the event row.

SQLite serialises writers, so this skips there, and fails with REQUIRE_SERVICES=1 (CI).
"""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from apps.core.tests.concurrency import require_postgresql, run_at_once
from apps.orders.models import OrderEvent, OrderStatus
from apps.payments import services
from apps.payments.models import Payment, PaymentStatus, WebhookEvent
from apps.payments.tests.helpers import encode, payment_event, place, post_webhook, signature
from apps.users.models import User

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _real_postgresql() -> None:
    require_postgresql()


def test_one_event_delivered_by_ten_threads_at_once_is_applied_once(user: User) -> None:
    payment = services.start_payment(order=place(user))
    raw = encode(payment_event("payment.succeeded", payment))
    header = signature(raw)

    def deliver() -> tuple[int, Any]:
        response = post_webhook(raw, header=header, client=Client())
        return response.status_code, response.json()

    answers = run_at_once([deliver] * 10)

    assert [status for status, _ in answers] == [200] * 10, answers
    assert {body["outcome"] for _, body in answers} == {"applied"}
    assert WebhookEvent.objects.count() == 1
    record = WebhookEvent.objects.get()
    assert record.outcome == WebhookEvent.Outcome.APPLIED
    assert record.attempts == 1
    payment = Payment.objects.select_related("order").get(pk=payment.pk)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.order.status == OrderStatus.PAID
    assert OrderEvent.objects.filter(order=payment.order, to_status=OrderStatus.PAID).count() == 1


def test_success_and_refund_events_racing_end_consistent(user: User) -> None:
    """A success and a refund event of one payment at once: whichever goes first, a retry of
    the deferred events leaves the payment refunded and the order paid then refunded."""
    payment = services.start_payment(order=place(user))
    bodies = [
        encode(payment_event("payment.succeeded", payment)),
        encode(payment_event("refund.succeeded", payment, refunded=payment.amount)),
    ]

    def deliver(raw: bytes) -> Callable[[], int]:
        return lambda: post_webhook(raw, header=signature(raw), client=Client()).status_code

    assert run_at_once([deliver(raw) for raw in bodies]) == [200, 200]
    services.retry_deferred_events()

    payment = Payment.objects.select_related("order").get(pk=payment.pk)
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.order.status == OrderStatus.REFUNDED
    assert set(WebhookEvent.objects.values_list("outcome", flat=True)) == {
        WebhookEvent.Outcome.APPLIED
    }

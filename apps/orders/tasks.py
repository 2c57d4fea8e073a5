"""Background jobs for orders: e-mails sent exactly once, expiring unpaid orders, old keys."""

import logging
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.db import IntegrityError
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from apps.core.tasks import RETRY_OPTIONS

logger = logging.getLogger(__name__)


# A claim older than this is taken to belong to a worker that died before sending.
CLAIM_STALE_AFTER = timedelta(minutes=10)


def _claimable(now: Any, task_id: str | None = None) -> Q:
    free = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_STALE_AFTER)
    if task_id:
        free |= Q(claimed_by=task_id)  # this very task, redelivered after its worker died
    return Q(sent_at__isnull=True) & free


@shared_task(name="orders.send_order_email", bind=True, **RETRY_OPTIONS)
def send_order_email(self: Any, order_id: str, kind: str, shipment_id: str | None = None) -> bool:
    """Send one kind of e-mail about an order (or one of its shipments), once; False when
    sent or being sent already."""
    from apps.orders.emails import build_message
    from apps.orders.models import Order, OrderEmail, Shipment

    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        return False
    shipment = None
    if shipment_id is not None:
        shipment = Shipment.objects.filter(pk=shipment_id, order=order).first()
        if shipment is None:
            return False
    try:
        record, _ = OrderEmail.objects.get_or_create(order=order, kind=kind, shipment=shipment)
    except IntegrityError:  # a concurrent task made the record first
        record = OrderEmail.objects.get(order=order, kind=kind, shipment=shipment)
    now = timezone.now()
    task_id = self.request.id or ""
    claimed = OrderEmail.objects.filter(_claimable(now, task_id), pk=record.pk).update(
        claimed_at=now, claimed_by=task_id
    )
    if not claimed:
        return False
    try:
        build_message(order, kind, shipment=shipment).send()
    except Exception:
        OrderEmail.objects.filter(pk=record.pk).update(claimed_at=None, claimed_by="")
        raise
    OrderEmail.objects.filter(pk=record.pk).update(sent_at=timezone.now())
    logger.info("Order %s e-mail sent for %s", kind, order.number)
    return True


@shared_task(name="orders.send_missing_order_emails", acks_late=True)
def send_missing_order_emails() -> int:
    """Re-enqueue e-mails an order or a shipment is owed but never got (broker down, worker
    died)."""
    from apps.orders.emails import FOR_STATUS
    from apps.orders.models import Order, OrderEmail, Shipment

    now = timezone.now()
    window = Q(updated_at__lte=now - timedelta(minutes=10), updated_at__gte=now - timedelta(days=2))
    settled_shipment = OrderEmail.objects.filter(shipment=OuterRef("pk")).exclude(_claimable(now))
    enqueued = 0
    for shipment_id, order_id in (
        Shipment.objects.filter(window)
        .exclude(Exists(settled_shipment))
        .values_list("pk", "order_id")[:500]
    ):
        send_order_email.delay(str(order_id), OrderEmail.Kind.SHIPPED, shipment_id=str(shipment_id))
        enqueued += 1
    owed = [(OrderEmail.Kind.RECEIVED, Q())] + [
        (kind, Q(status=status)) for status, kind in FOR_STATUS.items()
    ]
    for kind, due in owed:
        settled = OrderEmail.objects.filter(
            order=OuterRef("pk"), kind=kind, shipment__isnull=True
        ).exclude(_claimable(now))
        for order_id in (
            Order.objects.filter(window, due)
            .exclude(Exists(settled))
            .values_list("pk", flat=True)[:500]
        ):
            send_order_email.delay(str(order_id), kind)
            enqueued += 1
    return enqueued


@shared_task(name="orders.expire_unpaid_orders", acks_late=True)
def expire_unpaid_orders() -> int:
    from apps.orders.services.lifecycle import expire_unpaid_orders as expire

    return expire()


@shared_task(name="orders.delete_expired_idempotency_keys", acks_late=True)
def delete_expired_idempotency_keys() -> int:
    from apps.orders.models import IdempotencyKey

    deleted, _ = IdempotencyKey.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted

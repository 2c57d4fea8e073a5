"""Background jobs for orders: confirmation e-mails, expiring unpaid orders, old keys."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from apps.users.tasks import RETRY_OPTIONS

logger = logging.getLogger(__name__)


# A claim older than this is taken to belong to a worker that died before sending.
CLAIM_STALE_AFTER = timedelta(minutes=10)


@shared_task(name="orders.send_order_confirmation", **RETRY_OPTIONS)
def send_order_confirmation(order_id: str) -> bool:
    """Send the order confirmation once; return False when it was sent or is being sent.

    A conditional update claims the e-mail (a redelivered or concurrent task finds it
    claimed); a failed send releases the claim before the retry, and a claim that never
    reached "sent" goes stale after CLAIM_STALE_AFTER for the sweep to send again.
    """
    from apps.orders.models import Order

    now = timezone.now()
    claimed = (
        Order.objects.filter(pk=order_id, confirmation_sent_at__isnull=True)
        .filter(
            Q(confirmation_claimed_at__isnull=True)
            | Q(confirmation_claimed_at__lt=now - CLAIM_STALE_AFTER)
        )
        .update(confirmation_claimed_at=now)
    )
    if not claimed:
        return False
    order = Order.objects.prefetch_related("lines").get(pk=order_id)
    try:
        send_mail(
            subject=f"Your Emporium order {order.number}",
            message=render_to_string("orders/email/confirmation.txt", {"order": order}),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[order.email],
        )
    except Exception:
        Order.objects.filter(pk=order_id).update(confirmation_claimed_at=None)
        raise
    Order.objects.filter(pk=order_id).update(confirmation_sent_at=timezone.now())
    logger.info("Order confirmation sent for %s", order.number)
    return True


@shared_task(name="orders.expire_unpaid_orders", acks_late=True)
def expire_unpaid_orders() -> int:
    from apps.orders.services.lifecycle import expire_unpaid_orders as expire

    return expire()


@shared_task(name="orders.send_missing_confirmations", acks_late=True)
def send_missing_confirmations() -> int:
    """Re-enqueue confirmations never sent (the broker was down, or a worker died mid-send)."""
    from apps.orders.models import Order

    now = timezone.now()
    ids = list(
        Order.objects.filter(
            Q(confirmation_claimed_at__isnull=True)
            | Q(confirmation_claimed_at__lt=now - CLAIM_STALE_AFTER),
            confirmation_sent_at__isnull=True,
            created_at__lte=now - timedelta(minutes=10),
            created_at__gte=now - timedelta(days=2),
        ).values_list("pk", flat=True)[:500]
    )
    for order_id in ids:
        send_order_confirmation.delay(str(order_id))
    return len(ids)


@shared_task(name="orders.delete_expired_idempotency_keys", acks_late=True)
def delete_expired_idempotency_keys() -> int:
    from apps.orders.models import IdempotencyKey

    deleted, _ = IdempotencyKey.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted

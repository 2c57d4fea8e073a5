"""Background jobs for outbound webhooks: fan events out, send deliveries, sweep, purge.

Every job is idempotent and takes ids; the sweep re-enqueues whatever the on-commit enqueue
missed (the broker was down, a worker died) and the retries whose time has come.
"""

import logging
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings

from apps.core.tasks import RETRY_OPTIONS

logger = logging.getLogger(__name__)


# Nobody reads these tasks' results: not asking for them keeps an enqueue from waiting on the
# result backend when Redis is down (the outbox and the sweep make up for the lost message).
@shared_task(name="webhooks.dispatch_events", ignore_result=True, **RETRY_OPTIONS)
def dispatch_events(event_ids: list[str]) -> int:
    """Make the deliveries of events (one per subscribed active endpoint); enqueue their sends."""
    from apps.webhooks import services

    return len(services.dispatch_events(event_ids=event_ids))


@shared_task(
    name="webhooks.send_delivery",
    bind=True,
    ignore_result=True,
    # Above the connect and read timeouts, below the claim's staleness (CLAIM_STALE_AFTER).
    soft_time_limit=90,
    time_limit=120,
    **RETRY_OPTIONS,
)
def send_delivery(self: Any, delivery_id: str) -> str:
    """Send one delivery if it is due and nobody else is sending it; return its status."""
    from apps.webhooks import delivery

    sent = delivery.send_delivery(delivery_id=delivery_id, claim=self.request.id or "")
    return sent.status if sent is not None else "skipped"


@shared_task(name="webhooks.sweep", acks_late=True)
def sweep() -> dict[str, int]:
    """Fan out events left undispatched and enqueue deliveries that are due."""
    from apps.webhooks import services

    events, deliveries = services.find_lost_work()
    if events:
        dispatch_events.delay([str(pk) for pk in events])
    for pk in deliveries:
        send_delivery.delay(str(pk))
    if events or deliveries:
        logger.info("Webhook sweep: %s events, %s deliveries", len(events), len(deliveries))
    return {"events": len(events), "deliveries": len(deliveries)}


@shared_task(name="webhooks.purge_old_events", acks_late=True)
def purge_old_events() -> int:
    """Delete events, deliveries and attempts older than WEBHOOK_RETENTION_DAYS."""
    from apps.webhooks import services

    return services.purge_events(older_than=timedelta(days=settings.WEBHOOK_RETENTION_DAYS))

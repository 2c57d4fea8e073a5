"""Webhook reads for the staff API and the admin, each in a fixed number of queries."""

from uuid import UUID

from django.db.models import Prefetch, QuerySet

from apps.core.errors import NotFound
from apps.core.keyset import KeysetOrder, KeysetPage, paginate_keyset
from apps.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

NEWEST_FIRST = KeysetOrder("created_at", descending=True, key_type="datetime")


def list_endpoints() -> QuerySet[WebhookEndpoint]:
    """Return every endpoint, newest first (a shop has a handful)."""
    return WebhookEndpoint.objects.order_by("-created_at", "pk")


def get_endpoint(*, endpoint_id: UUID) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound("No such webhook endpoint.")
    return endpoint


def _with_history(deliveries: QuerySet[WebhookDelivery]) -> QuerySet[WebhookDelivery]:
    return deliveries.select_related("event").prefetch_related(
        Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("started_at", "id"))
    )


def list_deliveries(
    *,
    endpoint: WebhookEndpoint,
    status: str | None = None,
    event_type: str | None = None,
    cursor: str | None = None,
    page_size: int = 24,
) -> KeysetPage[WebhookDelivery]:
    """Return a page of an endpoint's deliveries, newest first, each with its attempts."""
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint)
    if status:
        deliveries = deliveries.filter(status=status)
    if event_type:
        deliveries = deliveries.filter(event__type=event_type)
    return paginate_keyset(
        _with_history(deliveries), order=NEWEST_FIRST, cursor=cursor, page_size=page_size
    )


def get_delivery(*, endpoint_id: UUID, delivery_id: UUID) -> WebhookDelivery:
    """Return one delivery of the endpoint, with its event and attempts."""
    delivery = (
        _with_history(WebhookDelivery.objects.filter(endpoint_id=endpoint_id, pk=delivery_id))
        .select_related("endpoint")
        .first()
    )
    if delivery is None:
        raise NotFound("No such delivery for this webhook endpoint.")
    return delivery

"""Outbound webhooks: the outbox of events, the endpoints staff register, and each delivery of
an event to an endpoint with the log of its attempts."""

import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.core.models import PublicModel


class EventType(models.TextChoices):
    """The events an endpoint can subscribe to (the payloads are documented in docs/api.md)."""

    ORDER_CREATED = "order.created", "Order created"
    ORDER_PAID = "order.paid", "Order paid"
    SHIPMENT_CREATED = "shipment.created", "Shipment created"
    REFUND_CREATED = "refund.created", "Refund created"
    PRODUCT_UPDATED = "product.updated", "Product created or updated"
    STOCK_LOW = "stock.low", "Stock low"


class WebhookEndpoint(PublicModel):
    """A URL that receives the events it subscribes to, signed with its secret."""

    url = models.URLField(max_length=2000, unique=True)
    description = models.CharField(max_length=255, blank=True)
    event_types = models.JSONField(default=list, help_text="The event types it receives.")
    secret = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)
    # Failed attempts in a row, over all its deliveries; a success resets it.
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.url


class OutboxEvent(models.Model):
    """An event, written in the transaction of the change it reports; sent once committed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=40, choices=EventType.choices)
    data = models.JSONField(encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # When its deliveries were made (one per subscribed endpoint); NULL: not fanned out yet.
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(dispatched_at__isnull=True),
                name="webhooks_event_undispatched",
            )
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed (gave up)"


class WebhookDelivery(PublicModel):
    """One event for one endpoint: sent until it succeeds or runs out of attempts."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    # When it is due to be sent (again); NULL once it succeeded or was given up.
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    # The task sending it right now, and since when (a claim left by a dead worker goes stale).
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=255, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "webhook deliveries"
        permissions = [("replay_webhookdelivery", "Can replay webhook deliveries")]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event"], name="webhooks_delivery_one_per_endpoint_event"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="webhooks_delivery_due",
            ),
            models.Index(fields=["endpoint", "-created_at"], name="webhooks_delivery_by_endpoint"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id}"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery, as the endpoint answered it (or did not)."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    succeeded = models.BooleanField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    response_snippet = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"

"""Shapes of the staff webhook API: endpoints (with their secret), deliveries and attempts."""

from typing import Any

from rest_framework import serializers

from apps.webhooks.models import (
    DeliveryStatus,
    EventType,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

ENDPOINT_READ_ONLY = (
    "id",
    "secret",
    "consecutive_failures",
    "disabled_at",
    "disabled_reason",
    "created_at",
    "updated_at",
)


class EndpointSerializer(serializers.ModelSerializer[WebhookEndpoint]):
    """An endpoint as staff see it, secret included (give it to the receiver)."""

    event_types = serializers.ListField(child=serializers.ChoiceField(choices=EventType.choices))

    class Meta:
        model = WebhookEndpoint
        fields = ("url", "description", "event_types", "is_active", *ENDPOINT_READ_ONLY)
        read_only_fields = ENDPOINT_READ_ONLY


class EndpointListItemSerializer(EndpointSerializer):
    """An endpoint in the list: everything but the secret."""

    class Meta(EndpointSerializer.Meta):
        fields = tuple(  # type: ignore[assignment]
            name for name in EndpointSerializer.Meta.fields if name != "secret"
        )


class EndpointWriteSerializer(serializers.Serializer[Any]):
    """Input of create (url and event_types required) and update (any of the fields)."""

    # A plain string: the service checks the URL and says precisely what is wrong with it.
    url = serializers.CharField(max_length=2000)
    description = serializers.CharField(max_length=255, required=False, allow_blank=True)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices),
        allow_empty=False,
        max_length=len(EventType.choices),
    )
    is_active = serializers.BooleanField(required=False)


class AttemptSerializer(serializers.ModelSerializer[WebhookAttempt]):
    class Meta:
        model = WebhookAttempt
        fields = (
            "number",
            "started_at",
            "duration_ms",
            "succeeded",
            "status_code",
            "error",
            "response_snippet",
        )


class DeliverySerializer(serializers.ModelSerializer[WebhookDelivery]):
    event_id = serializers.UUIDField(source="event.id", read_only=True)
    event_type = serializers.CharField(source="event.type", read_only=True)
    attempt_log = AttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = (
            "id",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "delivered_at",
            "created_at",
            "attempt_log",
        )


class DeliveryListQuerySerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, required=False)
    event_type = serializers.ChoiceField(choices=EventType.choices, required=False)
    cursor = serializers.CharField(required=False, max_length=512)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=100, default=24)


class DeliveryPageSerializer(serializers.Serializer[Any]):
    results = DeliverySerializer(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)

"""Input and output shapes of the payments API."""

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from apps.payments.models import Payment


class PaymentSerializer(serializers.ModelSerializer[Payment]):
    """A payment, with what the client needs to complete it."""

    class Meta:
        model = Payment
        fields = [
            "id", "provider", "status", "amount", "currency", "refunded_amount",
            "client_secret", "redirect_url", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class SandboxPaySerializer(serializers.Serializer[Any]):
    client_secret = serializers.CharField(max_length=80)
    card_number = serializers.CharField(max_length=23)


class RefundRequestSerializer(serializers.Serializer[Any]):
    amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        help_text="Leave out to refund everything that is left.",
    )
    reason = serializers.CharField(max_length=255, required=False, default="", allow_blank=True)


class WebhookAckSerializer(serializers.Serializer[Any]):
    received = serializers.BooleanField()
    outcome = serializers.CharField()

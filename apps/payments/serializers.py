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


class RefundItemSerializer(serializers.Serializer[Any]):
    line = serializers.IntegerField(help_text="The order line's `id`.")
    quantity = serializers.IntegerField(min_value=1, max_value=100_000)


class RefundRequestSerializer(serializers.Serializer[Any]):
    amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        help_text="A free amount. Leave it, `items` and `shipping` out to refund everything "
        "that is left.",
    )
    items = RefundItemSerializer(  # type: ignore[call-arg]  # DRF 3.15 list max_length
        many=True,
        required=False,
        allow_empty=False,
        max_length=500,
        help_text="Items to refund, each at what the customer paid for it.",
    )
    shipping = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        help_text="How much of the shipping fee to refund.",
    )
    reason = serializers.CharField(max_length=255, required=False, default="", allow_blank=True)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if "amount" in data and ("items" in data or "shipping" in data):
            raise serializers.ValidationError(
                {"amount": ["Leave out the amount when naming items or shipping."]}
            )
        return data


class ReturnRefundSerializer(serializers.Serializer[Any]):
    shipping = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        help_text="How much of the shipping fee to refund with the items.",
    )
    reason = serializers.CharField(max_length=255, required=False, default="", allow_blank=True)


class WebhookAckSerializer(serializers.Serializer[Any]):
    received = serializers.BooleanField()
    outcome = serializers.CharField()

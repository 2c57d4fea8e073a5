"""Input and output shapes of checkout and the orders API."""

from typing import Any

from rest_framework import serializers

from apps.orders.models import (
    TRANSITIONS,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    ReturnLine,
    ReturnReason,
    ReturnRequest,
    Shipment,
    ShipmentLine,
)
from apps.payments.models import Refund, RefundLine


class ShippingAddressSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=150)
    line1 = serializers.CharField(max_length=200)
    line2 = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    city = serializers.CharField(max_length=100)
    postal_code = serializers.CharField(max_length=20)
    country = serializers.RegexField(r"^[A-Za-z]{2}$", help_text="ISO 3166-1 alpha-2 code.")
    phone = serializers.CharField(max_length=32, required=False, default="", allow_blank=True)


class CheckoutSerializer(serializers.Serializer[Any]):
    email = serializers.EmailField(
        max_length=254,
        required=False,
        help_text="Required for guests; defaults to the customer's e-mail.",
    )
    shipping_address = ShippingAddressSerializer()


class OrderLineSerializer(serializers.ModelSerializer[OrderLine]):
    line_total = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)

    class Meta:
        model = OrderLine
        fields = [
            "id", "sku", "product_name", "variant_name", "options", "quantity",
            "shipped_quantity", "refunded_quantity", "unit_list_price", "discount_percent",
            "unit_price", "line_total",
        ]  # fmt: skip
        read_only_fields = fields


class _OfOrderLine(serializers.Serializer[Any]):
    """A quantity of an order line (in a parcel, a refund, a return): the line, its SKU and
    name."""

    line = serializers.IntegerField(source="order_line_id", read_only=True)
    sku = serializers.CharField(source="order_line.sku", read_only=True)
    product_name = serializers.CharField(source="order_line.product_name", read_only=True)


class ShipmentLineSerializer(_OfOrderLine, serializers.ModelSerializer[ShipmentLine]):
    variant_name = serializers.CharField(source="order_line.variant_name", read_only=True)

    class Meta:
        model = ShipmentLine
        fields = ["line", "sku", "product_name", "variant_name", "quantity"]
        read_only_fields = fields


class ShipmentSerializer(serializers.ModelSerializer[Shipment]):
    """A parcel of an order: what it carries and how to track it."""

    items = ShipmentLineSerializer(source="lines", many=True, read_only=True)
    shipped_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Shipment
        fields = [
            "id", "number", "carrier", "tracking_number", "tracking_url", "note", "items",
            "shipped_at",
        ]  # fmt: skip
        read_only_fields = fields


class RefundLineSerializer(_OfOrderLine, serializers.ModelSerializer[RefundLine]):
    class Meta:
        model = RefundLine
        fields = ["line", "sku", "product_name", "quantity", "amount"]
        read_only_fields = fields


class OrderRefundSerializer(serializers.ModelSerializer[Refund]):
    """Money given back: for which items (and how many), for shipping, or a free amount."""

    items = RefundLineSerializer(source="lines", many=True, read_only=True)
    refunded_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Refund
        fields = ["id", "amount", "shipping_amount", "reason", "items", "refunded_at"]
        read_only_fields = fields


class ReturnLineSerializer(_OfOrderLine, serializers.ModelSerializer[ReturnLine]):
    class Meta:
        model = ReturnLine
        fields = ["line", "sku", "product_name", "quantity"]
        read_only_fields = fields


class ReturnSerializer(serializers.ModelSerializer[ReturnRequest]):
    """A return (RMA) of shipped items: why, what, and how far it has come."""

    items = ReturnLineSerializer(source="lines", many=True, read_only=True)
    requested_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = ReturnRequest
        fields = [
            "id", "number", "status", "reason", "comment", "staff_note", "restocked", "items",
            "requested_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class OrderEventSerializer(serializers.ModelSerializer[OrderEvent]):
    class Meta:
        model = OrderEvent
        fields = ["from_status", "to_status", "note", "created_at"]
        read_only_fields = fields


class OrderSummarySerializer(serializers.ModelSerializer[Order]):
    """An order in a list."""

    item_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Order
        fields = ["id", "number", "status", "total", "currency", "item_count", "created_at"]
        read_only_fields = fields


class OrderSerializer(serializers.ModelSerializer[Order]):
    """An order with its lines, amounts, address and history."""

    lines = OrderLineSerializer(many=True, read_only=True)
    shipments = ShipmentSerializer(many=True, read_only=True)
    refunds = OrderRefundSerializer(many=True, read_only=True)
    returns = ReturnSerializer(many=True, read_only=True)
    events = OrderEventSerializer(many=True, read_only=True)
    shipping_address = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [
            "id", "number", "status", "email", "currency", "subtotal", "discount_total",
            "voucher_code", "voucher_discount", "shipping_method_name", "shipping_total",
            "tax_total", "total", "prices_include_tax", "tax_rate", "shipping_address", "lines",
            "shipments", "refunds", "returns", "events", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_shipping_address(self, order: Order) -> dict[str, str]:
        return {
            "name": order.shipping_name,
            "line1": order.shipping_line1,
            "line2": order.shipping_line2,
            "city": order.shipping_city,
            "postal_code": order.shipping_postal_code,
            "country": order.shipping_country,
            "phone": order.shipping_phone,
        }


class OrderListQuerySerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=OrderStatus.choices, required=False)
    cursor = serializers.CharField(required=False, max_length=512)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=100, default=24)


class StaffOrderListQuerySerializer(OrderListQuerySerializer):
    search = serializers.CharField(
        required=False, max_length=100, help_text="Order number, e-mail or SKU."
    )


class OrderPageSerializer(serializers.Serializer[Any]):
    results = OrderSummarySerializer(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class OrderStatsSerializer(serializers.Serializer[Any]):
    order_count = serializers.IntegerField()
    total_spent = serializers.DecimalField(max_digits=14, decimal_places=2)
    by_status = serializers.DictField(child=serializers.IntegerField())


class GuestLookupSerializer(serializers.Serializer[Any]):
    number = serializers.CharField(max_length=32)
    email = serializers.EmailField(max_length=254)


class TransitionSerializer(serializers.Serializer[Any]):
    to = serializers.ChoiceField(
        choices=sorted(
            {status for targets in TRANSITIONS.values() for status in targets}
            - {OrderStatus.PARTIALLY_FULFILLED}
        ),
        help_text="`fulfilled` ships everything left in one parcel (see the shipments "
        "endpoint for parcels of some lines).",
    )
    note = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)


class ShipmentItemSerializer(serializers.Serializer[Any]):
    line = serializers.IntegerField(help_text="The order line's `id`.")
    quantity = serializers.IntegerField(min_value=1, max_value=100_000)


class CreateShipmentSerializer(serializers.Serializer[Any]):
    items = ShipmentItemSerializer(  # type: ignore[call-arg]  # DRF 3.15 list max_length
        many=True,
        required=False,
        allow_empty=False,
        max_length=500,
        help_text="What the parcel carries; leave out to ship everything left to ship.",
    )
    carrier = serializers.CharField(max_length=64, required=False, default="", allow_blank=True)
    tracking_number = serializers.RegexField(
        r"^[A-Za-z0-9][A-Za-z0-9 -]*$",
        max_length=64,
        required=False,
        default="",
        allow_blank=True,
        help_text="Letters, digits, spaces and dashes.",
    )
    tracking_url = serializers.URLField(
        max_length=500,
        required=False,
        default="",
        allow_blank=True,
        help_text="Filled in for known carriers when left out.",
    )
    note = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)

    def validate_tracking_url(self, value: str) -> str:
        if value and not value.lower().startswith(("https://", "http://")):
            raise serializers.ValidationError("Enter an http or https URL.")
        return value


class ReturnItemSerializer(serializers.Serializer[Any]):
    line = serializers.IntegerField(help_text="The order line's `id`.")
    quantity = serializers.IntegerField(min_value=1, max_value=100_000)


class CreateReturnSerializer(serializers.Serializer[Any]):
    items = ReturnItemSerializer(  # type: ignore[call-arg]  # DRF 3.15 list max_length
        many=True, allow_empty=False, max_length=500
    )
    reason = serializers.ChoiceField(choices=ReturnReason.choices)
    comment = serializers.CharField(max_length=1000, required=False, default="", allow_blank=True)


class ReturnDecisionSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)


class ReceiveReturnSerializer(ReturnDecisionSerializer):
    restock = serializers.BooleanField(help_text="Put the items back on sale.")

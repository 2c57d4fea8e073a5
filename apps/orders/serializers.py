"""Input and output shapes of checkout and the orders API."""

from typing import Any

from rest_framework import serializers

from apps.orders.models import TRANSITIONS, Order, OrderEvent, OrderLine, OrderStatus


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
            "sku", "product_name", "variant_name", "options", "quantity", "unit_list_price",
            "discount_percent", "unit_price", "line_total",
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
    events = OrderEventSerializer(many=True, read_only=True)
    shipping_address = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [
            "id", "number", "status", "email", "currency", "subtotal", "discount_total",
            "voucher_code", "voucher_discount", "shipping_method_name", "shipping_total",
            "tax_total", "total", "prices_include_tax", "tax_rate", "shipping_address", "lines",
            "events", "created_at", "updated_at",
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
        choices=sorted({status for targets in TRANSITIONS.values() for status in targets})
    )
    note = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)

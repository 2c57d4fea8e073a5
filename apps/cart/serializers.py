"""Input and output shapes of the cart API (the output is built by `apps.cart.selectors`)."""

from typing import Any

from rest_framework import serializers


class AddItemSerializer(serializers.Serializer[Any]):
    sku = serializers.CharField(max_length=64, required=False)
    variant_id = serializers.IntegerField(min_value=1, required=False)
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("sku" in attrs) == ("variant_id" in attrs):
            raise serializers.ValidationError("Give either a `sku` or a `variant_id`.")
        return attrs


class UpdateItemSerializer(serializers.Serializer[Any]):
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000)


class VoucherCodeSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(max_length=40)


class ShippingChoiceSerializer(serializers.Serializer[Any]):
    shipping_method = serializers.IntegerField(min_value=1)


class CartProductSerializer(serializers.Serializer[Any]):
    slug = serializers.SlugField()
    name = serializers.CharField()


class CartLineSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    sku = serializers.CharField()
    variant_name = serializers.CharField()
    options = serializers.DictField()
    product = CartProductSerializer()
    quantity = serializers.IntegerField()
    unit_list_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    line_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    available = serializers.BooleanField(help_text="Still for sale.")
    available_quantity = serializers.IntegerField(help_text="Units in stock now.")


class CartVoucherSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    discount = serializers.DecimalField(max_digits=12, decimal_places=2)
    problem = serializers.CharField(allow_null=True, help_text="Why it takes nothing off.")


class CartShippingSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    price = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="What this cart pays for it (0.00 when free)."
    )
    list_price = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="The method's price when it is not free."
    )
    free_above = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        allow_null=True,
        help_text="Free when the goods, after discounts and voucher, cost at least this much.",
    )
    free_shipping_shortfall = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        allow_null=True,
        help_text="How much more the goods must cost for it to be free; null when it is free "
        "already or never is.",
    )


class CartSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField(allow_null=True)
    token = serializers.CharField(
        allow_null=True, help_text="Send it back in `X-Cart-Token` (anonymous carts only)."
    )
    lines = CartLineSerializer(many=True)
    voucher = CartVoucherSerializer(allow_null=True)
    shipping_method = CartShippingSerializer(allow_null=True)
    currency = serializers.CharField()
    subtotal = serializers.DecimalField(max_digits=12, decimal_places=2)
    discount_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    voucher_discount = serializers.DecimalField(max_digits=12, decimal_places=2)
    shipping_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    tax_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    prices_include_tax = serializers.BooleanField()
    tax_rate = serializers.DecimalField(max_digits=5, decimal_places=4)
    item_count = serializers.IntegerField()


class ShippingMethodSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    price = serializers.DecimalField(max_digits=12, decimal_places=2)
    free_above = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)

"""Carts and what a cart can carry besides lines: a voucher code and a shipping method."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from apps.core.models import PublicModel, TimeStampedModel


def new_cart_token() -> str:
    """Return an unguessable token for an anonymous visitor's cart."""
    return secrets.token_urlsafe(32)


class ShippingMethod(TimeStampedModel):
    name = models.CharField(max_length=80)
    price = models.DecimalField(max_digits=12, decimal_places=2)
    free_above = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Free when the goods (after discounts) cost at least this much.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["price", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="cart_shipping_price_gte_0"),
        ]

    def __str__(self) -> str:
        return self.name


class Voucher(TimeStampedModel):
    """A code that takes a percentage or a fixed amount off the goods."""

    class Kind(models.TextChoices):
        PERCENT = "percent", "Percent off"
        FIXED = "fixed", "Fixed amount off"

    code = models.CharField(max_length=40, help_text="Matched case-insensitively.")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.DecimalField(max_digits=12, decimal_places=2)
    min_subtotal = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    usage_limit = models.PositiveIntegerField(null=True, blank=True, help_text="Uses in all.")
    per_customer_limit = models.PositiveIntegerField(null=True, blank=True)
    used_count = models.PositiveIntegerField(default=0, editable=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(Lower("code"), name="cart_voucher_code_ci_unique"),
            models.CheckConstraint(condition=Q(value__gt=0), name="cart_voucher_value_gt_0"),
            models.CheckConstraint(
                condition=~Q(kind="percent") | Q(value__lte=100),
                name="cart_voucher_percent_lte_100",
            ),
            # The counter can never pass the limit, whatever the code does.
            models.CheckConstraint(
                condition=Q(usage_limit__isnull=True) | Q(used_count__lte=models.F("usage_limit")),
                name="cart_voucher_used_within_limit",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Cart(PublicModel):
    """A signed-in customer's cart (one each), or an anonymous visitor's, found by its token."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="cart",
    )
    token = models.CharField(max_length=64, unique=True, default=new_cart_token, editable=False)
    voucher = models.ForeignKey(
        Voucher, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    shipping_method = models.ForeignKey(
        ShippingMethod, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["updated_at"], name="cart_cart_updated_idx")]

    def __str__(self) -> str:
        return f"cart {self.pk}"


class CartLine(TimeStampedModel):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(
        "catalog.ProductVariant", on_delete=models.CASCADE, related_name="cart_lines"
    )
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "variant"], name="cart_line_one_per_variant"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="cart_line_quantity_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.variant_id}"


class VoucherUsage(models.Model):
    """One use of a voucher by an order; counted for the per-customer limit."""

    voucher = models.ForeignKey(Voucher, on_delete=models.CASCADE, related_name="usages")
    order = models.OneToOneField(
        "orders.Order", on_delete=models.CASCADE, related_name="voucher_usage"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    email = models.EmailField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["voucher", "email"], name="cart_voucher_usage_email_idx")]

    def __str__(self) -> str:
        return f"{self.voucher_id} on {self.order_id}"

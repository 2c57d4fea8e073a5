"""Orders, their lines and audit events, order numbers and idempotency keys."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q

from apps.core.models import PublicModel, money_field


class OrderStatus(models.TextChoices):
    PENDING = "pending", "Pending payment"
    PAID = "paid", "Paid"
    FULFILLED = "fulfilled", "Fulfilled"
    CANCELLED = "cancelled", "Cancelled"
    REFUNDED = "refunded", "Refunded"


# The order lifecycle, declared once. A paid order is never just cancelled (its money must go
# back: refund it); a fulfilled one can still be refunded, for returns.
TRANSITIONS: dict[str, frozenset[str]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset({OrderStatus.FULFILLED, OrderStatus.REFUNDED}),
    OrderStatus.FULFILLED: frozenset({OrderStatus.REFUNDED}),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.REFUNDED: frozenset(),
}


class Order(PublicModel):
    number = models.CharField(max_length=32, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    email = models.EmailField()
    status = models.CharField(
        max_length=16, choices=OrderStatus.choices, default=OrderStatus.PENDING
    )
    currency = models.CharField(max_length=3)
    subtotal = money_field(help_text="Goods at list prices.")
    discount_total = money_field(help_text="Catalog discounts.")
    voucher_discount = money_field()
    shipping_total = money_field()
    tax_total = money_field()
    total = money_field()
    prices_include_tax = models.BooleanField()
    tax_rate = models.DecimalField(max_digits=7, decimal_places=6)
    voucher = models.ForeignKey(
        "cart.Voucher", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    voucher_code = models.CharField(max_length=40, blank=True)
    shipping_method = models.ForeignKey(
        "cart.ShippingMethod", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    shipping_method_name = models.CharField(max_length=80, blank=True)
    shipping_name = models.CharField(max_length=150)
    shipping_line1 = models.CharField(max_length=200)
    shipping_line2 = models.CharField(max_length=200, blank=True)
    shipping_city = models.CharField(max_length=100)
    shipping_postal_code = models.CharField(max_length=20)
    shipping_country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2.")
    shipping_phone = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["-created_at"]
        # Staff roles: moving an order on is a permission of its own, apart from editing it.
        permissions = [
            ("fulfil_order", "Can fulfil (ship) orders"),
            ("cancel_order", "Can cancel orders"),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="orders_order_user_recent_idx"),
            models.Index(fields=["status", "created_at"], name="orders_order_status_idx"),
            models.Index(fields=["email"], name="orders_order_email_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="orders_order_total_gte_0"),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    """What was bought, as it was when it was bought (names and prices are copies)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(
        "catalog.ProductVariant", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    product = models.ForeignKey(
        "catalog.Product", null=True, on_delete=models.SET_NULL, related_name="order_lines"
    )
    sku = models.CharField(max_length=64)
    product_name = models.CharField(max_length=200)
    variant_name = models.CharField(max_length=120, blank=True)
    options = models.JSONField(default=dict, blank=True)
    quantity = models.PositiveIntegerField()
    unit_list_price = money_field()
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2)
    unit_price = money_field(help_text="After the catalog discount.")
    line_total = models.GeneratedField(
        expression=F("unit_price") * F("quantity"),
        output_field=money_field(),
        db_persist=True,
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orders_line_quantity_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku}"


class OrderEvent(models.Model):
    """One step of an order's history: who moved it from which status to which, and why."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status or '∅'} → {self.to_status}"


class OrderNumberCounter(models.Model):
    """The last order number handed out in a year."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class IdempotencyKey(models.Model):
    """The first answer to a request sent with an Idempotency-Key, replayed on retries."""

    scope = models.CharField(max_length=80, help_text="Whose key: a user or a cart.")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the request body.")
    status_code = models.PositiveSmallIntegerField(null=True)
    response = models.JSONField(null=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="orders_idempotency_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.scope}/{self.key}"


class OrderEmail(models.Model):
    """One e-mail about an order, sent exactly once.

    A task claims it (conditional update of `claimed_at` and `claimed_by`, its task id),
    sends, then records `sent_at`. Another task for the same e-mail finds it claimed and does
    nothing; the same task redelivered after its worker died (acks_late) carries the same id,
    so it may send. A failed send releases the claim; a claim that never reached "sent" goes
    stale and the sweep sends again.
    """

    class Kind(models.TextChoices):
        RECEIVED = "received", "Order received"
        CONFIRMED = "confirmed", "Payment confirmed"
        SHIPPED = "shipped", "Order shipped"
        REFUNDED = "refunded", "Order refunded"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="emails")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order", "kind"], name="orders_email_once_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} e-mail of {self.order_id}"

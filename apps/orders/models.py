"""Orders, their lines, shipments and audit events, order numbers and idempotency keys."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q

from apps.core.models import PublicModel, money_field


class OrderStatus(models.TextChoices):
    PENDING = "pending", "Pending payment"
    PAID = "paid", "Paid"
    PARTIALLY_FULFILLED = "partially_fulfilled", "Partially shipped"
    FULFILLED = "fulfilled", "Fulfilled"
    CANCELLED = "cancelled", "Cancelled"
    REFUNDED = "refunded", "Refunded"


# The order lifecycle, declared once. A paid order is never just cancelled (its money must go
# back: refund it); a fulfilled one can still be refunded, for returns. The two shipping
# statuses follow from the order's shipments: only `create_shipment` moves an order to them.
TRANSITIONS: dict[str, frozenset[str]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset(
        {OrderStatus.PARTIALLY_FULFILLED, OrderStatus.FULFILLED, OrderStatus.REFUNDED}
    ),
    OrderStatus.PARTIALLY_FULFILLED: frozenset({OrderStatus.FULFILLED, OrderStatus.REFUNDED}),
    OrderStatus.FULFILLED: frozenset({OrderStatus.REFUNDED}),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.REFUNDED: frozenset(),
}
SHIPPING_STATUSES = frozenset({OrderStatus.PARTIALLY_FULFILLED, OrderStatus.FULFILLED})
# Orders that can (still) be shipped, and orders whose goods were sold (paid for, not refunded).
SHIPPABLE_STATUSES = (OrderStatus.PAID, OrderStatus.PARTIALLY_FULFILLED)
SOLD_STATUSES = (OrderStatus.PAID, OrderStatus.PARTIALLY_FULFILLED, OrderStatus.FULFILLED)


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
        max_length=24, choices=OrderStatus.choices, default=OrderStatus.PENDING
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
    shipped_quantity = models.PositiveIntegerField(
        default=0, db_default=0, help_text="How many of the quantity shipments carried."
    )
    refunded_quantity = models.PositiveIntegerField(
        default=0, db_default=0, help_text="How many of the quantity were refunded."
    )
    returned_quantity = models.PositiveIntegerField(
        default=0,
        db_default=0,
        help_text="How many of the shipped quantity returns (not rejected) take back.",
    )
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
            # However shipments race, a line never ships more than was ordered.
            models.CheckConstraint(
                condition=Q(shipped_quantity__lte=F("quantity")),
                name="orders_line_shipped_lte_quantity",
            ),
            # However refunds race, a line is never refunded more often than it was bought.
            models.CheckConstraint(
                condition=Q(refunded_quantity__lte=F("quantity")),
                name="orders_line_refunded_lte_quantity",
            ),
            # Only what was shipped can come back.
            models.CheckConstraint(
                condition=Q(returned_quantity__lte=F("shipped_quantity")),
                name="orders_line_returned_lte_shipped",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku}"

    @property
    def quantity_to_ship(self) -> int:
        return self.quantity - self.shipped_quantity

    @property
    def quantity_to_refund(self) -> int:
        return self.quantity - self.refunded_quantity

    @property
    def quantity_returnable(self) -> int:
        return self.shipped_quantity - self.returned_quantity


class Shipment(PublicModel):
    """A parcel sent for an order: which lines, how many of each, and how to track it."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    number = models.PositiveSmallIntegerField(help_text="1 for the order's first shipment, …")
    carrier = models.CharField(max_length=64, blank=True)
    tracking_number = models.CharField(max_length=64, blank=True)
    tracking_url = models.URLField(max_length=500, blank=True)
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["order", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "number"], name="orders_shipment_number_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["tracking_number"], name="orders_shipment_tracking_idx"),
        ]

    def __str__(self) -> str:
        return f"shipment {self.number} of {self.order_id}"


class ShipmentLine(models.Model):
    """How many of one order line a shipment carries."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        OrderLine, on_delete=models.CASCADE, related_name="shipment_lines"
    )
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["order_line_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shipment", "order_line"], name="orders_shipment_line_unique"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="orders_shipment_line_quantity_gt_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} of line {self.order_line_id}"


class ReturnStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    APPROVED = "approved", "Approved: send it back"
    REJECTED = "rejected", "Rejected"
    RECEIVED = "received", "Received"
    REFUNDED = "refunded", "Refunded"


# The return lifecycle, declared once.
RETURN_TRANSITIONS: dict[str, frozenset[str]] = {
    ReturnStatus.REQUESTED: frozenset({ReturnStatus.APPROVED, ReturnStatus.REJECTED}),
    ReturnStatus.APPROVED: frozenset({ReturnStatus.RECEIVED, ReturnStatus.REJECTED}),
    ReturnStatus.RECEIVED: frozenset({ReturnStatus.REFUNDED}),
    ReturnStatus.REJECTED: frozenset(),
    ReturnStatus.REFUNDED: frozenset(),
}


class ReturnReason(models.TextChoices):
    DAMAGED = "damaged", "Arrived damaged"
    DEFECTIVE = "defective", "Does not work"
    WRONG_ITEM = "wrong_item", "Not what I ordered"
    NOT_AS_DESCRIBED = "not_as_described", "Not as described"
    NO_LONGER_NEEDED = "no_longer_needed", "No longer needed"
    OTHER = "other", "Another reason"


class ReturnRequest(PublicModel):
    """A customer's request to send shipped items back (an RMA), and what became of it."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="returns")
    number = models.PositiveSmallIntegerField(help_text="1 for the order's first return, …")
    status = models.CharField(
        max_length=16, choices=ReturnStatus.choices, default=ReturnStatus.REQUESTED
    )
    reason = models.CharField(max_length=24, choices=ReturnReason.choices)
    comment = models.CharField(max_length=1000, blank=True)
    staff_note = models.CharField(max_length=500, blank=True)
    restocked = models.BooleanField(default=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["order", "number"]
        constraints = [
            models.UniqueConstraint(fields=["order", "number"], name="orders_return_number_unique"),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                name="orders_return_open_idx",
                condition=Q(status__in=["requested", "approved", "received"]),
            ),
        ]

    def __str__(self) -> str:
        return f"return {self.number} of {self.order_id}"

    @property
    def label(self) -> str:
        return f"R{self.number}"


class ReturnLine(models.Model):
    """How many of one order line a return sends back."""

    return_request = models.ForeignKey(
        ReturnRequest, on_delete=models.CASCADE, related_name="lines"
    )
    order_line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="return_lines")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["order_line_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["return_request", "order_line"], name="orders_return_line_unique"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="orders_return_line_quantity_gt_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} of line {self.order_line_id}"


class OrderEvent(models.Model):
    """One step of an order's history: who moved it from which status to which, and why."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24)
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
    shipment = models.ForeignKey(
        Shipment,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="emails",
        help_text="The shipment a shipping e-mail is about (one e-mail per shipment).",
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["order", "kind"],
                condition=Q(shipment__isnull=True),
                name="orders_email_once_per_kind",
            ),
            models.UniqueConstraint(
                fields=["shipment"],
                condition=Q(shipment__isnull=False),
                name="orders_email_once_per_shipment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} e-mail of {self.order_id}"

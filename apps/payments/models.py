"""Payments of orders, refunds, provider webhook events, and the sandbox provider's own state."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.models import PublicModel, TimeStampedModel, money_field


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
    REFUNDED = "refunded", "Refunded"


# The payment lifecycle, declared once.
PAYMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    PaymentStatus.PENDING: frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.FAILED}),
    PaymentStatus.SUCCEEDED: frozenset({PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}),
    PaymentStatus.PARTIALLY_REFUNDED: frozenset(
        {PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}
    ),
    # A declined attempt is not final everywhere: Stripe lets the customer retry the same
    # PaymentIntent with another card, and then reports success for it.
    PaymentStatus.FAILED: frozenset({PaymentStatus.SUCCEEDED}),
    PaymentStatus.REFUNDED: frozenset(),
}
CAPTURED = (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)


class Payment(PublicModel):
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(max_length=32)
    provider_id = models.CharField(max_length=128)
    amount = money_field()
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=24, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    refunded_amount = money_field(default=0)
    client_secret = models.CharField(max_length=255, blank=True)
    redirect_url = models.URLField(max_length=500, blank=True)
    failure_reason = models.CharField(max_length=255, blank=True)
    # The provider reported a captured amount other than the order total: not marked paid.
    amount_mismatch = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("refund_payment", "Can refund payments (money goes back)")]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_id"], name="payments_payment_provider_id_unique"
            ),
            # One captured payment per order, whatever races happen.
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status__in=CAPTURED),
                name="payments_one_captured_per_order",
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=models.F("amount")),
                name="payments_refund_within_amount",
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                name="payments_pending_idx",
                condition=Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.provider_id}"


class Refund(TimeStampedModel):
    """Money given back from a payment: for some order lines, for shipping, or a free amount.

    `amount` is the whole refund; `shipping_amount` the part of it for the shipping fee; the
    refund's lines say which items (and how many) the rest was for.
    """

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="refunds", null=True
    )
    amount = money_field()
    shipping_amount = money_field(default=0, db_default=0)
    return_request = models.OneToOneField(
        "orders.ReturnRequest",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="refund",
        help_text="The return this refund gave the money back for.",
    )
    reason = models.CharField(max_length=255, blank=True)
    provider_refund_id = models.CharField(max_length=128, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_refund_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(shipping_amount__gte=0) & Q(shipping_amount__lte=models.F("amount")),
                name="payments_refund_shipping_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"refund {self.amount} of {self.payment_id}"


class RefundLine(models.Model):
    """How many of one order line a refund gave money back for, and how much."""

    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        "orders.OrderLine", on_delete=models.PROTECT, related_name="refund_lines"
    )
    quantity = models.PositiveIntegerField()
    amount = money_field()

    class Meta:
        ordering = ["order_line_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["refund", "order_line"], name="payments_refund_line_unique"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="payments_refund_line_quantity_gt_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} of line {self.order_line_id}"


class WebhookEvent(models.Model):
    """A provider event as received; stored once per (provider, event id)."""

    class Outcome(models.TextChoices):
        RECEIVED = "received", "Received"
        APPLIED = "applied", "Applied"
        IGNORED = "ignored", "Ignored (nothing to do)"
        DEFERRED = "deferred", "Deferred (arrived before what it follows)"
        FAILED = "failed", "Failed"

    provider = models.CharField(max_length=32)
    event_id = models.CharField(max_length=128)
    type = models.CharField(max_length=64)
    payload = models.JSONField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.RECEIVED)
    detail = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_id"], name="payments_webhook_event_unique"
            ),
        ]
        indexes = [
            models.Index(
                fields=["received_at"],
                name="payments_event_deferred_idx",
                condition=Q(outcome="deferred"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id} ({self.type})"


class SandboxIntent(TimeStampedModel):
    """The sandbox provider's side of a payment: what a real provider keeps on its servers."""

    class Status(models.TextChoices):
        REQUIRES_PAYMENT = "requires_payment", "Requires payment"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    id = models.CharField(primary_key=True, max_length=40)
    amount = money_field()
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.REQUIRES_PAYMENT
    )
    refunded = money_field(default=0)
    client_secret = models.CharField(max_length=80)
    reference = models.CharField(max_length=64, help_text="The merchant's order number.")
    idempotency_key = models.CharField(max_length=255, unique=True)

    def __str__(self) -> str:
        return self.id

"""Invoices and credit notes: immutable snapshots of what was sold and what was given back.

Each document carries everything its PDF shows, copied when it is issued (seller, buyer,
lines, amounts), so a later change to the shop's details, the order or the catalog never
changes an issued document. Numbers come from `DocumentCounter`, one gap-free run per series
and year.
"""

from typing import Any, ClassVar

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q

from apps.core.models import money_field
from apps.invoices.errors import DocumentImmutable


class DocumentQuerySet(models.QuerySet[Any]):
    """Querysets of issued documents: bulk updates and deletes are refused like single ones."""

    def update(self, **kwargs: Any) -> int:
        raise DocumentImmutable("Issued invoices and credit notes are never changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise DocumentImmutable("Issued invoices and credit notes are never deleted.")


class IssuedDocument(models.Model):
    """A document that is written once, when it is issued, and never again."""

    number = models.CharField(max_length=32, unique=True)
    issued_at = models.DateTimeField()
    currency = models.CharField(max_length=3)
    total = money_field()
    tax_rate = models.DecimalField(max_digits=7, decimal_places=6)
    tax_total = money_field()

    objects: ClassVar[models.Manager[Any]] = DocumentQuerySet.as_manager()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.number

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise DocumentImmutable(f"{self.number} is issued; it is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise DocumentImmutable(f"{self.number} is issued; it is never deleted.")


class Invoice(IssuedDocument):
    """The invoice of a paid order (one per order)."""

    kind = "invoice"

    order = models.OneToOneField("orders.Order", on_delete=models.PROTECT, related_name="invoice")
    order_number = models.CharField(max_length=32)
    seller_name = models.CharField(max_length=200)
    seller_address = models.TextField(help_text="One line per line of the address.")
    seller_vat_id = models.CharField(max_length=40, blank=True)
    buyer_name = models.CharField(max_length=150)
    buyer_address = models.TextField(help_text="One line per line of the address.")
    buyer_email = models.EmailField()
    lines = models.JSONField(
        encoder=DjangoJSONEncoder,
        help_text="[{sku, name, quantity, unit_price, line_total}], amounts as strings.",
    )
    subtotal = money_field(help_text="Goods at list prices.")
    discount_total = money_field(help_text="Catalog discounts.")
    voucher_code = models.CharField(max_length=40, blank=True)
    voucher_discount = money_field()
    shipping_method_name = models.CharField(max_length=80, blank=True)
    shipping_total = money_field()
    tax_label = models.CharField(max_length=40)
    prices_include_tax = models.BooleanField()

    class Meta:
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["issued_at"], name="invoices_invoice_issued_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="invoices_invoice_total_gte_0"),
        ]


class CreditNote(IssuedDocument):
    """What one refund gave back, against the order's invoice (one per refund)."""

    kind = "credit_note"

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    refund = models.OneToOneField(
        "payments.Refund", on_delete=models.PROTECT, related_name="credit_note"
    )
    reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["issued_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(total__gt=0), name="invoices_creditnote_total_gt_0"),
        ]


class DocumentCounter(models.Model):
    """The last number handed out in a series ("INV", "CN") and year."""

    series = models.CharField(max_length=8)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["series", "year"], name="invoices_counter_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.series}-{self.year}: {self.last}"

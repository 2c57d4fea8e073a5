"""Issuing invoices and credit notes, each in the transaction of what it documents.

An order's invoice is issued in the transaction that marks it paid (`transition_order`), a
credit note in the transaction that records a refund (`refund_payment`): a document exists
exactly when what it documents was committed, and a rollback leaves no gap in the numbers.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from apps.cart.pricing import tax_on
from apps.core.countries import country_name
from apps.core.transactions import joined_atomic
from apps.invoices.errors import NotInvoiceable
from apps.invoices.models import CreditNote, Invoice
from apps.invoices.numbering import format_number, next_number
from apps.orders.models import Order, OrderLine, OrderStatus
from apps.payments.models import Refund

INVOICE_SERIES = "INV"
CREDIT_NOTE_SERIES = "CN"
# An order is invoiced once it is paid, whatever happened to it afterwards.
INVOICEABLE = frozenset({OrderStatus.PAID, OrderStatus.FULFILLED, OrderStatus.REFUNDED})


def _document_year() -> tuple[datetime, int]:
    """Return now and the year its number belongs to (the shop's year: TIME_ZONE)."""
    now = timezone.now()
    return now, timezone.localtime(now).year


def _buyer_address(order: Order) -> str:
    lines = [order.shipping_line1, order.shipping_line2]
    lines += [f"{order.shipping_postal_code} {order.shipping_city}".strip()]
    lines += [country_name(order.shipping_country)]
    return "\n".join(line for line in lines if line)


def _line(line: OrderLine) -> dict[str, Any]:
    name = f"{line.product_name}, {line.variant_name}" if line.variant_name else line.product_name
    return {
        "sku": line.sku,
        "name": name,
        "quantity": line.quantity,
        "unit_list_price": str(line.unit_list_price),
        "discount_percent": str(line.discount_percent),
        "unit_price": str(line.unit_price),
        "line_total": str(line.unit_price * line.quantity),
    }


def issue_invoice(*, order: Order) -> Invoice:
    """Issue the invoice of a paid order, or return the one it already has.

    Locks the order row (the caller may hold it already: `transition_order` does), so two
    issuers of one order cannot both number an invoice. Runs in the caller's transaction when
    there is one; the refusal comes before any write. Five queries when it issues.

    Raises:
        NotInvoiceable: the order is not paid (pending or cancelled).
    """
    with joined_atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        # Looked for only once the lock is held: a subquery of the locking statement would
        # read the snapshot from before it waited, and miss an invoice committed meanwhile.
        existing = Invoice.objects.filter(order=locked).first()
        if existing is not None:
            return existing
        if locked.status not in INVOICEABLE:
            raise NotInvoiceable(
                f"Order {locked.number} is {locked.status}; only a paid order is invoiced."
            )
        lines = [_line(line) for line in OrderLine.objects.filter(order=locked).order_by("id")]
        now, year = _document_year()
        sequence = next_number(series=INVOICE_SERIES, year=year)
        return Invoice.objects.create(
            number=format_number(series=INVOICE_SERIES, year=year, sequence=sequence),
            issued_at=now,
            order=locked,
            order_number=locked.number,
            currency=locked.currency,
            seller_name=settings.SHOP_LEGAL_NAME,
            seller_address="\n".join(settings.SHOP_ADDRESS),
            seller_vat_id=settings.SHOP_VAT_ID,
            buyer_name=locked.shipping_name,
            buyer_address=_buyer_address(locked),
            buyer_email=locked.email,
            lines=lines,
            subtotal=locked.subtotal,
            discount_total=locked.discount_total,
            voucher_code=locked.voucher_code,
            voucher_discount=locked.voucher_discount,
            shipping_method_name=locked.shipping_method_name,
            shipping_total=locked.shipping_total,
            tax_rate=locked.tax_rate,
            tax_label=settings.TAX_LABEL,
            prices_include_tax=locked.prices_include_tax,
            tax_total=locked.tax_total,
            total=locked.total,
        )


def issue_credit_note(*, refund: Refund) -> CreditNote | None:
    """Issue the credit note of a refund, or return the one it already has.

    The refund row is locked, so one refund gets one credit note however often this runs. An
    order paid before invoicing existed gets its invoice first. The credited amount is what
    the customer got back, tax included: the tax it contains is at the invoice's rate.

    Return None, issuing nothing, for the refund of an order that was never invoiced and is
    not paid: a payment captured for a cancelled order, or for the wrong amount, goes back
    without a credit note, since there is no invoice to credit.
    """
    with joined_atomic():
        locked = (
            Refund.objects.select_for_update(of=("self",))
            .select_related("payment")
            .get(pk=refund.pk)
        )
        existing = CreditNote.objects.filter(refund=locked).first()
        if existing is not None:
            return existing
        order_id = locked.payment.order_id
        invoice = Invoice.objects.filter(order_id=order_id).first()
        if invoice is None:
            order = Order.objects.get(pk=order_id)
            if order.status not in INVOICEABLE:
                return None
            invoice = issue_invoice(order=order)
        amount: Decimal = locked.amount
        now, year = _document_year()
        sequence = next_number(series=CREDIT_NOTE_SERIES, year=year)
        return CreditNote.objects.create(
            number=format_number(series=CREDIT_NOTE_SERIES, year=year, sequence=sequence),
            issued_at=now,
            invoice=invoice,
            refund=locked,
            currency=invoice.currency,
            total=amount,
            tax_rate=invoice.tax_rate,
            tax_total=tax_on(
                amount, tax_rate=invoice.tax_rate, inclusive=True, currency=invoice.currency
            ),
            reason=locked.reason,
        )


def issue_missing_documents() -> tuple[int, int]:
    """Issue the invoices and credit notes that orders paid before invoicing existed lack.

    Oldest first, each in a transaction of its own, so the numbers follow the order of
    payment and an interrupted run goes on where it stopped when run again. Return how many
    invoices and credit notes were issued.
    """
    orders = Order.objects.filter(status__in=INVOICEABLE, invoice__isnull=True)
    invoices = 0
    for order in orders.order_by("created_at", "pk").iterator():
        issue_invoice(order=order)
        invoices += 1
    credit_notes = 0
    refunds = Refund.objects.filter(credit_note__isnull=True).order_by("created_at", "pk")
    for refund in refunds.iterator():
        if issue_credit_note(refund=refund) is not None:
            credit_notes += 1
    return invoices, credit_notes

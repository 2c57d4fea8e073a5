"""Helpers for the invoicing tests: orders paid the real way, document URLs, PDF text."""

import io
import secrets

from pypdf import PdfReader

from apps.invoices.models import CreditNote, Invoice
from apps.orders.models import Order
from apps.orders.tests.factories import buy, make_variant
from apps.payments.gateways.base import ProviderEvent
from apps.payments.models import Payment, SandboxIntent, WebhookEvent
from apps.payments.services import apply_event, start_payment
from apps.users.models import User


def documents_url(order: Order) -> str:
    return f"/api/v1/orders/{order.pk}/documents/"


def pdf_url(order: Order, number: str) -> str:
    return f"/api/v1/orders/{order.pk}/documents/{number}.pdf"


def staff_documents_url(order: Order) -> str:
    return f"/api/v1/staff/orders/{order.pk}/documents/"


def staff_pdf_url(order: Order, number: str) -> str:
    return f"/api/v1/staff/orders/{order.pk}/documents/{number}.pdf"


def storefront_pdf_url(order: Order, number: str) -> str:
    return f"/account/orders/{order.pk}/documents/{number}.pdf"


def place(user: User | None = None, *, price: str = "40.00", quantity: int = 1) -> Order:
    """Place a real pending order of one product (the user's, or a guest's)."""
    return buy({make_variant(price=price): quantity}, user=user)


def pay(order: Order) -> Payment:
    """Pay an order on the sandbox and apply the provider's success event, as a webhook would.

    The order becomes paid, and so gets its invoice, in `transition_order`.
    """
    payment = start_payment(order=order)
    SandboxIntent.objects.filter(pk=payment.provider_id).update(
        status=SandboxIntent.Status.SUCCEEDED
    )
    event = ProviderEvent(
        event_id=f"evt_test_{secrets.token_hex(8)}",
        type="payment.succeeded",
        provider_payment_id=payment.provider_id,
        amount=payment.amount,
        currency=payment.currency,
    )
    record = WebhookEvent.objects.create(
        provider=payment.provider, event_id=event.event_id, type=event.type, payload={}
    )
    apply_event(record_id=record.pk, event=event)
    payment.refresh_from_db()
    return payment


def paid_order(user: User | None = None, *, price: str = "40.00", quantity: int = 1) -> Order:
    order = place(user, price=price, quantity=quantity)
    pay(order)
    order.refresh_from_db()
    return order


def invoice_of(order: Order) -> Invoice:
    return Invoice.objects.get(order=order)


def credit_notes_of(order: Order) -> list[CreditNote]:
    return list(CreditNote.objects.filter(invoice__order=order).order_by("number"))


def pdf_text(content: bytes) -> str:
    """Return the text of every page of a PDF as a reader extracts it, runs of white space
    (between the cells of a table, too) made one space."""
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)

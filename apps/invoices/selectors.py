"""Reads of an order's invoice and credit notes, scoped to the order's owner (or to staff)."""

import re
from typing import Any
from uuid import UUID

from apps.core.errors import NotFound
from apps.invoices.errors import DocumentNotFound, NoInvoice
from apps.invoices.models import CreditNote, Invoice
from apps.orders.models import Order
from apps.users.models import User

Document = Invoice | CreditNote
# What a document number looks like (`INV-2026-000001`); anything else is not looked up.
NUMBER = re.compile(r"[A-Z]{1,8}-[0-9]{4}-[0-9]{6}")


def _order(orders: Any, order_id: UUID) -> Order:
    order: Order | None = orders.filter(pk=order_id).only("id", "number").first()
    if order is None:
        raise NotFound("No such order.")
    return order


def _invoice(order: Order, *, with_credit_notes: bool) -> Invoice:
    invoices = Invoice.objects.filter(order=order)
    if with_credit_notes:
        invoices = invoices.prefetch_related("credit_notes")
    invoice = invoices.first()
    if invoice is None:
        raise NoInvoice(
            f"Order {order.number} has no invoice yet: it is issued when the order is paid."
        )
    return invoice


def order_documents(*, order: Order) -> list[Document]:
    """Return an order's invoice then its credit notes, oldest first ([] before it is paid).

    Two queries, however many credit notes there are.
    """
    invoice = Invoice.objects.filter(order=order).prefetch_related("credit_notes").first()
    return [] if invoice is None else [invoice, *invoice.credit_notes.all()]


def list_documents(*, user: User, order_id: UUID) -> list[Document]:
    """Return the documents of one of the user's orders: its invoice, then its credit notes.

    Raises:
        NotFound: no such order among the user's (another customer's order is not found).
        NoInvoice: the order has no invoice yet.
    """
    return _documents(Order.objects.filter(user=user), order_id)


def staff_list_documents(*, order_id: UUID) -> list[Document]:
    """Return the documents of any order (for staff).

    Raises:
        NotFound: no such order.
        NoInvoice: the order has no invoice yet.
    """
    return _documents(Order.objects.all(), order_id)


def _documents(orders: Any, order_id: UUID) -> list[Document]:
    invoice = _invoice(_order(orders, order_id), with_credit_notes=True)
    return [invoice, *invoice.credit_notes.all()]


def get_document(*, user: User, order_id: UUID, number: str) -> Document:
    """Return one document of one of the user's orders, by its number, ready to render.

    Raises:
        NotFound: no such order among the user's.
        NoInvoice: the order has no invoice yet.
        DocumentNotFound: the order has no document of that number.
    """
    return _document(Order.objects.filter(user=user), order_id, number)


def staff_get_document(*, order_id: UUID, number: str) -> Document:
    """Return one document of any order, by its number (for staff).

    Raises:
        NotFound: no such order.
        NoInvoice: the order has no invoice yet.
        DocumentNotFound: the order has no document of that number.
    """
    return _document(Order.objects.all(), order_id, number)


def _document(orders: Any, order_id: UUID, number: str) -> Document:
    order = _order(orders, order_id)
    invoice = _invoice(order, with_credit_notes=False)
    if invoice.number == number:
        return invoice
    credit_note = (
        CreditNote.objects.filter(invoice=invoice, number=number).first()
        if NUMBER.fullmatch(number)
        else None
    )
    if credit_note is None:
        raise DocumentNotFound(f"Order {order.number} has no document numbered {number[:40]}.")
    credit_note.invoice = invoice  # the seller and buyer of its PDF, without a query
    return credit_note

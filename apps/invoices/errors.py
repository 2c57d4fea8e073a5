"""Errors raised by the invoicing services and selectors."""

from apps.core.errors import Conflict, NotFound


class NotInvoiceable(Conflict):
    """The order is not paid, so there is nothing to invoice yet."""

    code = "not_invoiceable"
    title = "Order cannot be invoiced"


class DocumentImmutable(Conflict):
    """An issued invoice or credit note was about to be changed or deleted."""

    code = "document_immutable"
    title = "Issued documents cannot be changed"


class NoInvoice(NotFound):
    """The order exists but has no invoice (yet): it is issued when the order is paid."""

    code = "no_invoice"
    title = "No invoice"


class DocumentNotFound(NotFound):
    code = "document_not_found"
    title = "No such document"

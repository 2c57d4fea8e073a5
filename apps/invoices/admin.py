"""Back office for invoices and credit notes: read-only records with their PDFs.

Nothing here issues or changes a document: invoices come from the paid transition, credit
notes from refunds. Staff who may view them (Order managers, Support) list, search and
download them, and see an order's documents on its page.
"""

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from apps.invoices.models import CreditNote, Invoice
from apps.invoices.pdf import PDF_CONTENT_TYPE, download_headers, render_document
from apps.orders.models import Order


def pdf_url(document: Invoice | CreditNote) -> str:
    """Return the back-office address of a document's PDF."""
    return reverse(f"admin:invoices_{document._meta.model_name}_pdf", args=[document.pk])


def pdf_link(document: Invoice | CreditNote) -> SafeString:
    return format_html('<a href="{}" download>{}.pdf</a>', pdf_url(document), document.number)


class _DocumentAdmin(admin.ModelAdmin[Any]):
    """Read-only: documents are issued by the services and never changed."""

    date_hierarchy = "issued_at"
    list_per_page = 50

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [*(field.name for field in self.model._meta.fields), *self.readonly_extra]

    readonly_extra: tuple[str, ...] = ("download",)

    @admin.display(description="PDF")
    def download(self, obj: Invoice | CreditNote) -> SafeString:
        return pdf_link(obj)

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/pdf/",
                self.admin_site.admin_view(self.pdf_view),
                name="{}_{}_pdf".format(*info),
            ),
            *super().get_urls(),
        ]

    def pdf_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Download the document's PDF, rendered from its stored snapshot."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        document = get_object_or_404(self.get_queryset(request), pk=object_id)
        return HttpResponse(
            render_document(document),
            content_type=PDF_CONTENT_TYPE,
            headers=download_headers(document),
        )


class CreditNoteInline(admin.TabularInline[CreditNote, Invoice]):
    model = CreditNote
    extra = 0
    can_delete = False
    fields = ("number", "issued_at", "total", "reason", "download")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="PDF")
    def download(self, obj: CreditNote) -> SafeString:
        return pdf_link(obj)


@admin.register(Invoice)
class InvoiceAdmin(_DocumentAdmin):
    list_display = (
        "number", "order_number", "buyer_name", "buyer_email", "issued_at", "total", "currency",
        "download",
    )  # fmt: skip
    search_fields = ("number", "order_number", "buyer_email")
    search_help_text = "Invoice number, order number or the buyer's e-mail."
    readonly_extra = ("line_items", "download")
    exclude = ("lines",)
    inlines = (CreditNoteInline,)

    @admin.display(description="lines")
    def line_items(self, obj: Invoice) -> SafeString:
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    line["sku"],
                    line["name"],
                    line["quantity"],
                    line["unit_price"],
                    line["line_total"],
                )
                for line in obj.lines
            ),
        )
        return format_html(
            "<table><thead><tr><th>SKU</th><th>Item</th><th>Qty</th><th>Unit price</th>"
            "<th>Total</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [name for name in super().get_readonly_fields(request, obj) if name != "lines"]


@admin.register(CreditNote)
class CreditNoteAdmin(_DocumentAdmin):
    list_display = (
        "number",
        "invoice",
        "order_number",
        "issued_at",
        "total",
        "currency",
        "download",
    )
    search_fields = ("number", "invoice__number", "invoice__order_number")
    search_help_text = "Credit note number, invoice number or order number."
    list_select_related = ("invoice",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[CreditNote]:
        return super().get_queryset(request).select_related("invoice")

    @admin.display(description="order", ordering="invoice__order_number")
    def order_number(self, obj: CreditNote) -> str:
        return obj.invoice.order_number


class InvoiceInline(admin.TabularInline[Invoice, Order]):
    """An order's invoice and its credit notes, each with its PDF, on the order's page."""

    model = Invoice
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("number", "issued_at", "total", "download", "credit_notes")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Invoice]:
        return super().get_queryset(request).prefetch_related("credit_notes")

    @admin.display(description="PDF")
    def download(self, obj: Invoice) -> SafeString:
        return pdf_link(obj)

    @admin.display(description="credit notes")
    def credit_notes(self, obj: Invoice) -> SafeString:
        notes = obj.credit_notes.all()
        if not notes:
            return format_html("{}", "none")
        return format_html_join(
            ", ",
            '<a href="{}" download>{}.pdf</a> ({} {})',
            ((pdf_url(note), note.number, note.total, note.currency) for note in notes),
        )

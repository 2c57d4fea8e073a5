"""The PDF of an invoice or credit note, drawn from its stored snapshot with reportlab.

PDFs are rendered on demand, not stored. The snapshot in the database is the record: every
word and amount the PDF shows is a column of the issued document, which is never changed,
and `invariant=1` makes reportlab write the same bytes for the same document every time (no
creation date, a fixed document id). Storing the bytes as well would add a second copy to
keep consistent with the first, files written outside the issuing transaction (a rollback
would leave orphans, a failed write an invoice without its file) and a storage bucket to
back up, for no gain while rendering is deterministic and takes milliseconds. What may
change the bytes is a change of this module or of reportlab itself, never of the data.
"""

from collections.abc import Sequence
from decimal import Decimal
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from apps.invoices.models import CreditNote, Invoice

_STYLES = getSampleStyleSheet()
_BODY = _STYLES["BodyText"]
_SMALL = ParagraphStyle("small", parent=_BODY, fontSize=8, leading=10)
_GRID = TableStyle(
    [
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
        ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTSIZE", (0, 0), (-1, -1), 9),
    ]
)
_TOTALS = TableStyle(
    [
        ("ALIGN", (1, 0), (1, -1), "RIGHT"),
        ("FONTSIZE", (0, 0), (-1, -1), 9),
        ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
        ("LINEABOVE", (0, -1), (-1, -1), 0.5, colors.black),
    ]
)
_WIDTH = A4[0] - 40 * mm


def _text(value: str) -> str:
    """Return text for a Paragraph (mini-markup): escaped, its line breaks kept."""
    return "<br/>".join(escape(line) for line in value.splitlines())


def _money(amount: Decimal | str, currency: str) -> str:
    return f"{amount} {currency}"


def _percent(rate: Decimal) -> str:
    return f"{(Decimal(rate) * 100).normalize():f}%"


def _parties(*, seller: str, buyer: str) -> Table:
    cells = [
        [Paragraph("<b>From</b>", _BODY), Paragraph("<b>Bill to</b>", _BODY)],
        [Paragraph(seller, _BODY), Paragraph(buyer, _BODY)],
    ]
    table = Table(cells, colWidths=[_WIDTH / 2] * 2)
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _seller(document: Invoice) -> str:
    text = f"{_text(document.seller_name)}<br/>{_text(document.seller_address)}"
    if document.seller_vat_id:
        text += f"<br/>VAT ID: {escape(document.seller_vat_id)}"
    return text


def _buyer(document: Invoice) -> str:
    return "<br/>".join(
        [_text(document.buyer_name), _text(document.buyer_address), escape(document.buyer_email)]
    )


def _facts(rows: Sequence[tuple[str, str]]) -> Table:
    cells = [[label, Paragraph(_text(value), _BODY)] for label, value in rows]
    table = Table(cells, colWidths=[35 * mm, _WIDTH - 35 * mm])
    table.setStyle(
        TableStyle([("FONTSIZE", (0, 0), (-1, -1), 9), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    )
    return table


def _totals(rows: Sequence[tuple[str, str]]) -> Table:
    table = Table([list(row) for row in rows], colWidths=[60 * mm, 35 * mm], hAlign="RIGHT")
    table.setStyle(_TOTALS)
    return table


def _lines(invoice: Invoice) -> Table:
    header = ["SKU", "Item", "Qty", "Unit price", "Total"]
    rows: list[list[Any]] = [header]
    for line in invoice.lines:
        name = _text(line["name"])
        if Decimal(line.get("discount_percent") or 0):
            name += (
                f"<br/>list price {_money(line['unit_list_price'], invoice.currency)}, "
                f"{Decimal(line['discount_percent']).normalize():f}% off"
            )
        rows.append(
            [
                Paragraph(escape(line["sku"]), _SMALL),
                Paragraph(name, _SMALL),
                str(line["quantity"]),
                _money(line["unit_price"], invoice.currency),
                _money(line["line_total"], invoice.currency),
            ]
        )
    widths = [30 * mm, _WIDTH - 30 * mm - 12 * mm - 2 * 28 * mm, 12 * mm, 28 * mm, 28 * mm]
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(_GRID)
    return table


def _invoice_totals(invoice: Invoice) -> Table:
    cur = invoice.currency
    tax = f"{invoice.tax_label} {_percent(invoice.tax_rate)}"
    rows = [("Subtotal", _money(invoice.subtotal, cur))]
    if invoice.discount_total:
        rows.append(("Discounts", _money(-invoice.discount_total, cur)))
    if invoice.voucher_discount:
        rows.append((f"Voucher {invoice.voucher_code}", _money(-invoice.voucher_discount, cur)))
    shipping = f"Shipping ({invoice.shipping_method_name})" if invoice.shipping_method_name else ""
    rows.append((shipping or "Shipping", _money(invoice.shipping_total, cur)))
    if invoice.prices_include_tax:
        rows.append((f"{tax} included", _money(invoice.tax_total, cur)))
    else:
        rows.append((tax, _money(invoice.tax_total, cur)))
    rows.append(("Total", _money(invoice.total, cur)))
    return _totals(rows)


def _build(title: str, number: str, story: list[Flowable]) -> bytes:
    buffer = BytesIO()

    def footer(canvas: Canvas, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawRightString(A4[0] - 20 * mm, 12 * mm, f"{number}, page {doc.page}")
        canvas.restoreState()

    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=f"{title} {number}",
        author="",
        subject="",
        creator="Emporium",
        invariant=1,
    )
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def render_invoice(invoice: Invoice) -> bytes:
    """Return the PDF of an invoice."""
    story: list[Flowable] = [
        Paragraph(f"Invoice {escape(invoice.number)}", _STYLES["Title"]),
        _parties(seller=_seller(invoice), buyer=_buyer(invoice)),
        Spacer(0, 6 * mm),
        _facts(
            [
                ("Invoice number", invoice.number),
                ("Issue date", invoice.issued_at.date().isoformat()),
                ("Order", invoice.order_number),
            ]
        ),
        Spacer(0, 6 * mm),
        _lines(invoice),
        Spacer(0, 4 * mm),
        _invoice_totals(invoice),
    ]
    return _build("Invoice", invoice.number, story)


def render_credit_note(credit_note: CreditNote) -> bytes:
    """Return the PDF of a credit note (its invoice gives the seller and the buyer)."""
    invoice = credit_note.invoice
    cur = credit_note.currency
    tax = f"{invoice.tax_label} {_percent(credit_note.tax_rate)} included"
    facts = [
        ("Credit note", credit_note.number),
        ("Issue date", credit_note.issued_at.date().isoformat()),
        ("For invoice", invoice.number),
        ("Order", invoice.order_number),
    ]
    if credit_note.reason:
        facts.append(("Reason", credit_note.reason))
    story: list[Flowable] = [
        Paragraph(f"Credit note {escape(credit_note.number)}", _STYLES["Title"]),
        _parties(seller=_seller(invoice), buyer=_buyer(invoice)),
        Spacer(0, 6 * mm),
        _facts(facts),
        Spacer(0, 6 * mm),
        _totals(
            [
                (tax, _money(credit_note.tax_total, cur)),
                ("Credited", _money(credit_note.total, cur)),
            ]
        ),
    ]
    return _build("Credit note", credit_note.number, story)


PDF_CONTENT_TYPE = "application/pdf"


def download_headers(document: Invoice | CreditNote) -> dict[str, str]:
    """Return the headers of a PDF download: an attachment, never kept by a shared cache."""
    return {
        "Content-Disposition": f'attachment; filename="{document.number}.pdf"',
        "Cache-Control": "private, no-cache",
    }


def render_document(document: Invoice | CreditNote) -> bytes:
    """Return the PDF of an invoice or a credit note."""
    if isinstance(document, CreditNote):
        return render_credit_note(document)
    return render_invoice(document)

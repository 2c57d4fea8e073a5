"""The PDFs: drawn from the stored snapshot, readable text, the same bytes every time."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from apps.invoices.pdf import render_credit_note, render_document, render_invoice
from apps.invoices.tests.factories import credit_notes_of, invoice_of, paid_order, pay, pdf_text
from apps.orders.models import OrderLine
from apps.orders.tests.factories import buy, make_variant
from apps.payments.services import refund_payment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen(time_machine, settings):
    time_machine.move_to(datetime(2031, 3, 4, 10, 0, tzinfo=UTC), tick=False)
    settings.SHOP_LEGAL_NAME = "Emporium Trading GmbH"
    settings.SHOP_ADDRESS = ["Hauptstraße 1", "10115 Berlin", "Germany"]
    settings.SHOP_VAT_ID = "ATU12345678"


def test_the_invoice_pdf_shows_its_number_parties_lines_and_totals(user):
    lamp = make_variant(price="30.00", product_name="Desk lamp", discount="10")
    order = buy({lamp: 2}, user=user)
    pay(order)
    invoice = invoice_of(order)

    text = pdf_text(render_invoice(invoice))

    assert "Invoice INV-2031-000001" in text
    assert "Issue date 2031-03-04" in text
    assert f"Order {order.number}" in text
    for seller in ("Emporium Trading GmbH", "Hauptstraße 1", "10115 Berlin", "ATU12345678"):
        assert seller in text
    for buyer in ("Ada Lovelace", "12 Analytical Row", "N1 9GU London", user.email):
        assert buyer in text
    assert lamp.sku in text
    assert "Desk lamp" in text
    # The line: SKU, name (with its list price and discount), quantity, unit price, total.
    assert f"{lamp.sku} Desk lamp" in text
    assert "list price 30.00 EUR, 10% off 2 27.00 EUR 54.00 EUR" in text
    assert "Subtotal 60.00 EUR" in text
    assert "Discounts -6.00 EUR" in text
    assert "VAT 20% included 9.00 EUR" in text
    assert "Total 54.00 EUR" in text


def test_the_pdf_is_drawn_from_the_snapshot_not_from_the_order(user, settings):
    order = paid_order(user)
    invoice = invoice_of(order)
    OrderLine.objects.filter(order=order).update(product_name="Renamed since")
    settings.SHOP_LEGAL_NAME = "Someone Else Ltd"

    text = pdf_text(render_invoice(invoice))

    assert "Renamed since" not in text
    assert "Someone Else" not in text
    assert "Emporium Trading GmbH" in text


def test_the_same_document_renders_to_the_same_bytes(user):
    invoice = invoice_of(paid_order(user))

    first = render_invoice(invoice)
    invoice.refresh_from_db()

    assert render_invoice(invoice) == first
    assert first.startswith(b"%PDF-")


def test_names_are_printed_as_written_never_read_as_markup(user):
    odd = make_variant(price="5.00", product_name="Salt & <b>Pepper</b>")
    order = buy({odd: 1}, user=user)
    pay(order)

    text = pdf_text(render_invoice(invoice_of(order)))

    assert "Salt & <b>Pepper</b>" in text


def test_an_invoice_of_many_lines_runs_onto_further_pages(user):
    variants = {make_variant(price="1.00", product_name=f"Item {n:02d}"): 1 for n in range(60)}
    order = buy(variants, user=user)
    pay(order)

    text = pdf_text(render_invoice(invoice_of(order)))

    assert "INV-2031-000001, page 2" in text
    assert all(f"Item {n:02d}" in text for n in range(60))
    assert "Total 60.00 EUR" in text


def test_the_credit_note_pdf_names_its_invoice_the_amount_and_the_reason(user):
    order = paid_order(user, price="40.00")
    refund_payment(order=order, amount=Decimal("12.00"), reason="Scratched lid", actor=None)
    note = credit_notes_of(order)[0]

    text = pdf_text(render_credit_note(note))

    assert "Credit note CN-2031-000001" in text
    assert "For invoice INV-2031-000001" in text
    assert f"Order {order.number}" in text
    assert "Reason Scratched lid" in text
    assert "Credited 12.00 EUR" in text
    assert "VAT 20% included 2.00 EUR" in text
    assert "Emporium Trading GmbH" in text
    assert "Ada Lovelace" in text
    assert render_document(note) == render_credit_note(note)

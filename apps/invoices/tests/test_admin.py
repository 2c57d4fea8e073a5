"""The back office: read-only invoice and credit note lists, search, PDFs, the order page."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.core.permissions import CATALOG_MANAGERS, SUPPORT
from apps.core.tests.roles import admin_client_for, staff_with_role
from apps.invoices.tests.factories import credit_notes_of, invoice_of, paid_order, pdf_text
from apps.payments.services import refund_payment
from apps.users.tests.factories import SuperUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(datetime(2031, 3, 4, 10, 0, tzinfo=UTC), tick=False)


@pytest.fixture
def admin():
    return admin_client_for(SuperUserFactory.create())


@pytest.fixture
def order(user):
    order = paid_order(user, price="40.00")
    refund_payment(order=order, amount=Decimal("6.00"), reason="Dented", actor=None)
    return order


def test_the_invoice_list_searches_by_number_and_order_number(admin, order, user):
    other = paid_order(user)
    url = reverse("admin:invoices_invoice_changelist")

    by_number = admin.get(url, {"q": invoice_of(order).number}).content.decode()
    by_order = admin.get(url, {"q": other.number}).content.decode()

    assert invoice_of(order).number in by_number
    assert invoice_of(other).number not in by_number
    assert invoice_of(other).number in by_order
    assert invoice_of(order).number not in by_order
    pdf = reverse("admin:invoices_invoice_pdf", args=[invoice_of(order).pk])
    assert f'href="{pdf}"' in by_number


def test_the_invoice_page_is_read_only_with_lines_and_credit_notes(admin, order):
    invoice = invoice_of(order)

    response = admin.get(reverse("admin:invoices_invoice_change", args=[invoice.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="_save"' not in page
    assert invoice.lines[0]["sku"] in page
    assert credit_notes_of(order)[0].number in page
    assert reverse("admin:invoices_invoice_add") not in page


def test_nothing_is_added_changed_or_deleted_here(admin, order):
    invoice = invoice_of(order)

    assert admin.get(reverse("admin:invoices_invoice_add")).status_code == 403
    assert (
        admin.post(
            reverse("admin:invoices_invoice_change", args=[invoice.pk]), {"total": "1.00"}
        ).status_code
        == 403
    )
    assert (
        admin.post(
            reverse("admin:invoices_invoice_delete", args=[invoice.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    invoice.refresh_from_db()
    assert invoice.total == Decimal("40.00")


def test_the_credit_note_list_searches_by_order_number_and_downloads(admin, order):
    note = credit_notes_of(order)[0]
    url = reverse("admin:invoices_creditnote_changelist")

    page = admin.get(url, {"q": order.number}).content.decode()
    assert note.number in page
    assert admin.get(reverse("admin:invoices_creditnote_change", args=[note.pk])).status_code == 200

    response = admin.get(reverse("admin:invoices_creditnote_pdf", args=[note.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert f"Credit note {note.number}" in text
    assert "Credited 6.00 EUR" in text


def test_the_invoice_pdf_downloads_from_the_back_office(admin, order):
    invoice = invoice_of(order)

    response = admin.get(reverse("admin:invoices_invoice_pdf", args=[invoice.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{invoice.number}.pdf"'
    assert f"Invoice {invoice.number}" in pdf_text(response.content)


def test_the_order_page_shows_its_invoice_and_credit_notes_with_their_pdfs(admin, order):
    invoice, note = invoice_of(order), credit_notes_of(order)[0]

    page = admin.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()

    assert invoice.number in page
    assert reverse("admin:invoices_invoice_pdf", args=[invoice.pk]) in page
    assert reverse("admin:invoices_creditnote_pdf", args=[note.pk]) in page


def test_support_reads_documents_and_a_catalog_manager_does_not(order):
    invoice = invoice_of(order)
    pdf = reverse("admin:invoices_invoice_pdf", args=[invoice.pk])
    support = admin_client_for(staff_with_role(SUPPORT))
    catalog = admin_client_for(staff_with_role(CATALOG_MANAGERS))

    assert support.get(reverse("admin:invoices_invoice_changelist")).status_code == 200
    assert support.get(pdf).status_code == 200
    order_page = support.get(reverse("admin:orders_order_change", args=[order.pk]))
    assert invoice.number in order_page.content.decode()
    assert catalog.get(reverse("admin:invoices_invoice_changelist")).status_code == 403
    assert catalog.get(pdf).status_code == 403

"""The storefront's account order page: links to the invoice and credit notes, owner only."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.test import Client

from apps.invoices.tests.factories import (
    invoice_of,
    paid_order,
    pdf_text,
    place,
    storefront_pdf_url,
)
from apps.payments.services import refund_payment
from apps.storefront.tests.helpers import browser_for
from apps.users.models import User
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(datetime(2031, 3, 4, 10, 0, tzinfo=UTC), tick=False)


@pytest.fixture
def customer() -> User:
    return UserFactory.create()


def test_the_order_page_links_the_invoice_and_each_credit_note(customer):
    order = paid_order(customer, price="40.00")
    refund_payment(order=order, amount=Decimal("4.00"), reason="", actor=None)

    page = browser_for(customer).get(f"/account/orders/{order.pk}/").content.decode()

    assert 'id="order-documents"' in page
    assert f'href="{storefront_pdf_url(order, "INV-2031-000001")}"' in page
    assert f'href="{storefront_pdf_url(order, "CN-2031-000001")}"' in page
    assert "Invoice INV-2031-000001" in page
    assert "Credit note CN-2031-000001" in page
    assert "4.00 EUR" in page


def test_an_unpaid_order_s_page_has_no_documents(customer):
    order = place(customer)

    page = browser_for(customer).get(f"/account/orders/{order.pk}/").content.decode()

    assert 'id="order-documents"' not in page


def test_the_owner_downloads_the_invoice(customer):
    order = paid_order(customer, price="40.00")
    number = invoice_of(order).number

    response = browser_for(customer).get(storefront_pdf_url(order, number))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{number}.pdf"'
    text = pdf_text(response.content)
    assert f"Invoice {number}" in text
    assert "Total 40.00 EUR" in text


def test_another_customer_or_an_unknown_number_is_a_404(customer):
    order = paid_order(customer)
    number = invoice_of(order).number
    stranger = browser_for(UserFactory.create())

    assert stranger.get(storefront_pdf_url(order, number)).status_code == 404
    owner = browser_for(customer)
    assert owner.get(storefront_pdf_url(order, "CN-2031-000042")).status_code == 404
    assert owner.get(storefront_pdf_url(place(customer), "INV-2031-000001")).status_code == 404


def test_signing_in_comes_first(customer):
    order = paid_order(customer)
    url = storefront_pdf_url(order, invoice_of(order).number)

    response = Client().get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")

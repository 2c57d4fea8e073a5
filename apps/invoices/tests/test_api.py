"""The documents API: the owner's list and PDFs, 404s for anyone else, the staff side."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core.permissions import CATALOG_MANAGERS, ORDER_MANAGERS, SUPPORT
from apps.core.tests.helpers import assert_problem, client_for
from apps.core.tests.roles import staff_with_role
from apps.invoices import selectors
from apps.invoices.tests.factories import (
    documents_url,
    invoice_of,
    paid_order,
    pdf_text,
    pdf_url,
    place,
    staff_documents_url,
    staff_pdf_url,
)
from apps.orders.tests.factories import staff_client
from apps.payments.services import refund_payment
from apps.users.tests.factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db

YEAR = 2031


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(datetime(YEAR, 3, 4, 10, 0, tzinfo=UTC), tick=False)


def refunded(order, *amounts: str):
    for amount in amounts:
        refund_payment(order=order, amount=Decimal(amount), reason="Partial", actor=None)
    return order


# --- The customer's documents ---------------------------------------------------------------


def test_the_owner_lists_the_invoice_then_the_credit_notes(user, auth_client):
    order = refunded(paid_order(user, price="40.00"), "5.00", "7.50")

    response = auth_client.get(documents_url(order))

    assert response.status_code == 200, response.content
    base = f"http://testserver/api/v1/orders/{order.pk}/documents/"
    assert response.json() == [
        {
            "number": f"INV-{YEAR}-000001",
            "kind": "invoice",
            "issued_at": f"{YEAR}-03-04T10:00:00Z",
            "currency": "EUR",
            "total": "40.00",
            "tax_total": "6.67",
            "download_url": f"{base}INV-{YEAR}-000001.pdf",
        },
        {
            "number": f"CN-{YEAR}-000001",
            "kind": "credit_note",
            "issued_at": f"{YEAR}-03-04T10:00:00Z",
            "currency": "EUR",
            "total": "5.00",
            "tax_total": "0.83",
            "download_url": f"{base}CN-{YEAR}-000001.pdf",
        },
        {
            "number": f"CN-{YEAR}-000002",
            "kind": "credit_note",
            "issued_at": f"{YEAR}-03-04T10:00:00Z",
            "currency": "EUR",
            "total": "7.50",
            "tax_total": "1.25",
            "download_url": f"{base}CN-{YEAR}-000002.pdf",
        },
    ]


def test_the_owner_downloads_each_document_as_a_pdf(user, auth_client):
    order = refunded(paid_order(user, price="40.00"), "5.00")

    for entry in auth_client.get(documents_url(order)).json():
        response = auth_client.get(entry["download_url"])

        assert response.status_code == 200, response.content
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == (f'attachment; filename="{entry["number"]}.pdf"')
        assert "private" in response["Cache-Control"]
        text = pdf_text(response.content)
        assert entry["number"] in text
        assert f"{entry['total']} EUR" in text
    assert order.number in text


def test_the_invoice_pdf_lists_the_order_s_lines(user, auth_client):
    order = paid_order(user, price="12.34", quantity=3)
    line = order.lines.get()

    response = auth_client.get(pdf_url(order, invoice_of(order).number))

    text = pdf_text(response.content)
    assert f"{line.sku} {line.product_name}" in text
    assert "3 12.34 EUR 37.02 EUR" in text
    assert "Total 37.02 EUR" in text


def test_another_customer_s_order_is_not_found(user):
    order = paid_order(user)
    stranger = client_for(UserFactory.create())

    for url in (documents_url(order), pdf_url(order, invoice_of(order).number)):
        body = assert_problem(stranger.get(url), 404, "not_found")
        assert body["detail"] == "No such order."


def test_an_order_without_an_invoice_says_so(user, auth_client):
    order = place(user)

    for url in (documents_url(order), pdf_url(order, f"INV-{YEAR}-000001")):
        body = assert_problem(auth_client.get(url), 404, "no_invoice")
        assert body["detail"] == (
            f"Order {order.number} has no invoice yet: it is issued when the order is paid."
        )


@pytest.mark.parametrize(
    "number",
    [
        f"INV-{YEAR}-000002",
        f"CN-{YEAR}-000001",
        f"CN-{YEAR}-000001%0A",
        "nonsense",
        "INV-2031-0000%00",
        "x" * 300,
    ],
)
def test_a_number_the_order_has_no_document_of_is_not_found(user, auth_client, number):
    order = paid_order(user)
    paid_order(user)  # INV-2031-000002 exists, but is another order's

    body = assert_problem(auth_client.get(pdf_url(order, number)), 404, "document_not_found")
    assert order.number in body["detail"]


def test_another_order_s_credit_note_is_not_found_through_this_order(user, auth_client):
    mine, other = paid_order(user), refunded(paid_order(user), "1.00")
    number = other.invoice.credit_notes.get().number

    assert_problem(auth_client.get(pdf_url(mine, number)), 404, "document_not_found")
    assert auth_client.get(pdf_url(other, number)).status_code == 200


def test_documents_need_a_signed_in_customer(api_client, user):
    order = paid_order(user)

    assert_problem(api_client.get(documents_url(order)), 401, "not_authenticated")
    assert_problem(
        api_client.get(pdf_url(order, invoice_of(order).number)), 401, "not_authenticated"
    )


def test_a_pdf_asked_for_as_json_is_a_406_problem(user, auth_client):
    order = paid_order(user)

    response = auth_client.get(
        pdf_url(order, invoice_of(order).number), HTTP_ACCEPT="application/json"
    )

    assert_problem(response, 406, "not_acceptable")


def test_only_get_is_allowed(user, auth_client):
    order = paid_order(user)

    assert_problem(auth_client.post(documents_url(order)), 405, "method_not_allowed")
    assert_problem(
        auth_client.delete(pdf_url(order, invoice_of(order).number)), 405, "method_not_allowed"
    )


# --- Query counts ---------------------------------------------------------------------------


def test_the_list_selector_is_three_queries(user, django_assert_num_queries):
    order = refunded(paid_order(user), "1.00", "1.00")

    with django_assert_num_queries(3):  # the order, its invoice, the credit notes
        documents = selectors.list_documents(user=user, order_id=order.pk)
    assert [document.kind for document in documents] == ["invoice", "credit_note", "credit_note"]


@pytest.mark.parametrize("as_staff", [False, True], ids=["customer", "staff"])
def test_the_list_runs_as_many_queries_for_six_credit_notes_as_for_one(
    user, as_staff, django_assert_num_queries
):
    client = staff_client()[0] if as_staff else client_for(user)
    url = staff_documents_url if as_staff else documents_url
    one, six = refunded(paid_order(user), "1.00"), refunded(paid_order(user), *["1.00"] * 6)
    assert client.get(url(one)).status_code == 200  # warm-up: the once-in-a-while writes

    with CaptureQueriesContext(connection) as few:
        assert len(client.get(url(one)).json()) == 2
    with django_assert_num_queries(len(few)):
        assert len(client.get(url(six)).json()) == 7


def test_a_credit_note_pdf_runs_as_many_queries_as_the_invoice_pdf_plus_one(
    user, auth_client, django_assert_num_queries
):
    order = refunded(paid_order(user), "1.00")
    invoice = invoice_of(order)
    note = invoice.credit_notes.get()
    assert auth_client.get(pdf_url(order, invoice.number)).status_code == 200  # warm-up

    with CaptureQueriesContext(connection) as for_invoice:
        assert auth_client.get(pdf_url(order, invoice.number)).status_code == 200
    with django_assert_num_queries(len(for_invoice) + 1):
        assert auth_client.get(pdf_url(order, note.number)).status_code == 200


# --- Staff ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [SUPPORT, ORDER_MANAGERS])
def test_staff_who_read_orders_get_any_order_s_documents(user, role):
    order = refunded(paid_order(user), "2.00")
    client = client_for(staff_with_role(role))

    listing = client.get(staff_documents_url(order))
    assert listing.status_code == 200, listing.content
    assert [entry["kind"] for entry in listing.json()] == ["invoice", "credit_note"]
    assert listing.json()[0]["download_url"] == (
        f"http://testserver{staff_pdf_url(order, invoice_of(order).number)}"
    )
    for entry in listing.json():
        response = client.get(entry["download_url"])
        assert response.status_code == 200
        assert entry["number"] in pdf_text(response.content)


def test_a_customer_may_not_use_the_staff_documents(user, auth_client):
    order = paid_order(user)

    assert_problem(auth_client.get(staff_documents_url(order)), 403, "permission_denied")
    assert_problem(
        auth_client.get(staff_pdf_url(order, invoice_of(order).number)), 403, "permission_denied"
    )


@pytest.mark.parametrize("make_staff", ["no role", CATALOG_MANAGERS])
def test_staff_whose_role_does_not_read_orders_may_not_either(user, make_staff):
    order = paid_order(user)
    staff = StaffUserFactory.create() if make_staff == "no role" else staff_with_role(make_staff)

    response = client_for(staff).get(staff_documents_url(order))

    assert_problem(response, 403, "permission_denied")


def test_staff_get_404_problems_for_unknown_orders_and_documents(user):
    client = staff_client()[0]
    unpaid, order = place(user), paid_order(user)

    assert_problem(client.get(staff_documents_url(unpaid)), 404, "no_invoice")
    assert_problem(client.get(staff_pdf_url(order, "CN-2031-000009")), 404, "document_not_found")
    missing = "/api/v1/staff/orders/00000000-0000-0000-0000-000000000000/documents/"
    assert_problem(client.get(missing), 404, "not_found")

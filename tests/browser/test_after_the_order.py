"""After the order, in a real browser, as the customer sees it: an order shipped in two
parcels (each with its tracking link), one item asked back through the return form, the
return refunded with part of the shipping fee, and the invoice and credit note downloaded as
PDFs that say what was bought and what came back."""

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from apps.invoices.models import CreditNote, Invoice
from apps.invoices.tests.factories import pdf_text
from apps.orders.models import ReturnRequest, ReturnStatus
from apps.orders.services import returns
from apps.orders.services.shipments import ShipmentItem, create_shipment
from apps.payments import services as payment_services
from apps.payments.tests.test_line_refunds import paid_order
from apps.users.tests.factories import UserFactory
from tests.browser.test_back_office import PASSWORD
from tests.browser.test_product_page_extras import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def download(page: Page, link_name: re.Pattern[str], directory: Path) -> bytes:
    with page.expect_download() as started:
        page.get_by_role("link", name=link_name).click()
    saved = directory / started.value.suggested_filename
    started.value.save_as(saved)
    return saved.read_bytes()


def test_a_customer_follows_two_parcels_returns_an_item_and_downloads_the_documents(
    page: Page, django_capture_on_commit_callbacks: Any, tmp_path: Path
) -> None:
    customer = UserFactory.create(email="ada@example.com", password=PASSWORD)
    order = paid_order(customer, django_capture_on_commit_callbacks)  # 2 lamps, 1 shade
    lamp, shade = order.lines.get(sku="LAMP"), order.lines.get(sku="SHADE")
    create_shipment(
        order=order, items=[ShipmentItem(lamp.pk, 2)], actor=None, carrier="DHL",
        tracking_number="00340434161094042557",
    )  # fmt: skip
    create_shipment(
        order=order, items=[ShipmentItem(shade.pk, 1)], actor=None, carrier="UPS",
        tracking_number="1Z999AA10123456784",
    )  # fmt: skip

    page.goto(f"/account/login/?next=/account/orders/{order.pk}/")
    sign_in(page, customer.email)

    expect(page.locator("#order-status")).to_have_text("Fulfilled")
    expect(
        page.locator("#shipment-1").get_by_role("link", name="Track parcel 1 at DHL")
    ).to_have_attribute(
        "href",
        "https://www.dhl.com/global-en/home/tracking.html?tracking-id=00340434161094042557",
    )
    expect(
        page.locator("#shipment-2").get_by_role("link", name="Track parcel 2 at UPS")
    ).to_have_attribute("href", "https://www.ups.com/track?tracknum=1Z999AA10123456784")

    # One lamp arrived cracked: asked back through the form.
    form = page.locator("#return-items")
    form.get_by_label(lamp.product_name).select_option("1")
    form.get_by_label("Why are you returning them?").select_option(label="Arrived damaged")
    form.get_by_label("Anything we should know").fill("The shade ring is cracked.")
    page.locator("#request-return").click()
    expect(page.locator("#messages")).to_contain_text("Return R1 requested")
    expect(page.locator("#return-1")).to_contain_text("Requested")
    request = ReturnRequest.objects.get()
    assert (request.comment, list(request.lines.values_list("quantity", flat=True))) == (
        "The shade ring is cracked.",
        [1],
    )

    # Staff approve it, receive the parcel back into stock, and refund it with 2.50 of the
    # shipping fee.
    returns.approve_return(request=request, actor=None)
    returns.receive_return(request=request, restock=True, actor=None)
    payment_services.refund_return(request=request, shipping=Decimal("2.50"), actor=None)
    request.refresh_from_db()
    assert request.status == ReturnStatus.REFUNDED

    page.reload()
    expect(page.locator("#return-1")).to_contain_text("Refunded")
    expect(page.locator("#order-refunds")).to_contain_text("32.50 EUR")
    expect(page.locator("#order-refunds")).to_contain_text("and shipping (2.50 EUR)")
    expect(page.locator("#order-lines")).to_contain_text("(1 refunded)")

    invoice = Invoice.objects.get(order=order)
    credit_note = CreditNote.objects.get()
    invoice_text = pdf_text(download(page, re.compile(f"Invoice {invoice.number}"), tmp_path))
    assert invoice.number in invoice_text
    assert order.number in invoice_text
    assert "85.00" in invoice_text  # 2 x 30.00 + 20.00 + 5.00 shipping
    note_text = pdf_text(download(page, re.compile(f"Credit note {credit_note.number}"), tmp_path))
    assert credit_note.number in note_text
    assert invoice.number in note_text  # the invoice it credits
    assert "32.50" in note_text

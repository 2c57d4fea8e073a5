"""A person shops in a real browser: browse, filter, pick a variant, cart, voucher, check out, pay.

Then staff ship the order in two parcels from the back office and the customer follows
both, with tracking links, in their account.
"""

import re
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from playwright.sync_api import Browser, Locator, Page, expect

from apps.cart.tests.factories import ShippingMethodFactory, VoucherFactory
from apps.catalog.models import ProductVariant
from apps.catalog.tests.factories import (
    CategoryFactory,
    ProductFactory,
    ProductVariantFactory,
    make_product,
)
from apps.orders.models import Order, OrderStatus
from apps.users.tests.factories import SuperUserFactory, sign_up_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
SUCCEEDING_CARD = "4242 4242 4242 4242"
ADDRESS = {
    "Full name": "Ada Lovelace",
    "Address line 1": "12 Analytical Row",
    "City": "London",
    "Postal code": "N1 7AA",
}


@pytest.fixture
def shop() -> dict[str, Any]:
    coffee = CategoryFactory.create(name="Coffee", slug="coffee")
    espresso = ProductFactory.create(name="Espresso Beans", slug="espresso-beans", category=coffee)
    ProductVariantFactory.create(
        product=espresso, sku="ESP-250", name="250 g", price=Decimal("12.00"), stock=5
    )
    ProductVariantFactory.create(
        product=espresso,
        sku="ESP-1000",
        name="1 kg",
        price=Decimal("38.00"),
        stock=3,
        position=2,
    )
    decaf = make_product(
        name="Decaf Blend", slug="decaf-blend", category=coffee, price=Decimal("6.00"), sku="DEC"
    )
    VoucherFactory.create(code="WELCOME10", value=Decimal("10.00"))
    ShippingMethodFactory.create(name="Standard", price=Decimal("4.90"))
    return {"espresso": espresso, "decaf": decaf}


def add_to_cart(page: Page, *, product: str, variant: str | None = None, quantity: int = 1) -> None:
    """Add from the product page, then open the cart once the shop has taken the line."""
    page.goto(f"/p/{product}/")
    if variant:
        page.locator(f"#variant-{variant}").check()
    page.locator("#add-quantity").fill(str(quantity))
    page.locator("#add-to-cart").click()
    # With JavaScript the line is added without a reload and the status says so.
    expect(page.locator("#add-to-cart-status")).to_contain_text("cart")
    page.goto("/cart/")


def field(page: Page, label: str) -> Locator:
    """Return the input labelled exactly `label` (Django adds a colon to its labels)."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}:?$"))


def fill_address(page: Page) -> None:
    for label, value in ADDRESS.items():
        field(page, label).fill(value)
    # A country is picked by its name; the shop keeps its code.
    field(page, "Country").select_option(label="United Kingdom")


def pay_in_sandbox(page: Page) -> None:
    expect(page.locator("#pay-button")).to_be_visible()
    field(page, "Card number").fill(SUCCEEDING_CARD)
    page.locator("#pay-button").click()
    expect(page.locator("#payment-received")).to_be_visible()
    expect(page.locator("#order-status")).to_contain_text("Paid")


def test_guest_browses_filters_and_checks_out(page: Page, shop: dict[str, Any]) -> None:
    page.goto("/")
    page.get_by_role("link", name="Coffee").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Coffee")
    expect(page.locator("#product-list")).to_contain_text("Decaf Blend")

    page.get_by_label("Min price").fill("10")
    page.locator("#apply-filters").click()
    expect(page.locator("#product-list")).to_contain_text("Espresso Beans")
    expect(page.locator("#product-list")).not_to_contain_text("Decaf Blend")

    page.locator("#product-list").get_by_role("link", name="Espresso Beans").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Espresso Beans")
    add_to_cart(page, product="espresso-beans", variant="ESP-1000", quantity=2)
    expect(page.locator("#cart-lines")).to_contain_text("1 kg")

    page.locator("#voucher-code").fill("WELCOME10")
    page.locator("#apply-voucher").click()
    expect(page.locator("#applied-voucher")).to_contain_text("WELCOME10")
    page.get_by_label(re.compile("Standard")).check()
    page.locator("#choose-shipping").click()
    # 2 x 38.00 = 76.00, minus 10% (7.60), plus 4.90 shipping.
    expect(page.locator("#total-amount")).to_contain_text("73.30")

    page.locator("#checkout-link").click()
    field(page, "E-mail").fill("guest@example.com")
    fill_address(page)
    page.locator("#place-order").click()
    pay_in_sandbox(page)
    expect(page.locator("address")).to_contain_text("United Kingdom")

    order = Order.objects.get(email="guest@example.com")
    assert order.status == OrderStatus.PAID
    assert order.shipping_country == "GB"
    assert order.total == Decimal("73.30")
    assert ProductVariant.objects.get(sku="ESP-1000").stock == 1


def test_customer_checks_out_and_follows_the_two_parcels_staff_ship(
    page: Page, browser: Browser, live_server: Any, shop: dict[str, Any]
) -> None:
    page.goto("/account/register/")
    field(page, "Full name").fill("Grace Hopper")
    field(page, "E-mail").fill("grace@example.com")
    page.locator("#register-button").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    # The link of the sign-up e-mail, opened in the same browser.
    page.goto(sign_up_path(mail.outbox[-1]))
    field(page, "Password").fill(PASSWORD)
    field(page, "Password (again)").fill(PASSWORD)
    page.locator("#register-finish-button").click()
    expect(page.locator("header")).to_contain_text("Sign out")

    add_to_cart(page, product="decaf-blend", quantity=3)
    page.locator("#checkout-link").click()
    fill_address(page)
    field(page, "Save this address to my account").check()
    page.get_by_label(re.compile("Standard")).check()
    page.locator("#place-order").click()
    pay_in_sandbox(page)
    order = Order.objects.get(email="grace@example.com")
    assert order.status == OrderStatus.PAID

    page.goto("/account/")
    expect(page.locator("#order-history")).to_contain_text(order.number)
    expect(page.locator("#order-history")).to_contain_text("Paid")

    staff = SuperUserFactory.create(email="boss@example.com", password=PASSWORD)
    back_office = browser.new_context(base_url=live_server.url)
    admin = back_office.new_page()
    admin.goto(f"/{settings.ADMIN_URL}login/")
    admin.get_by_label("E-mail address").fill(staff.email)
    admin.get_by_label("Password").fill(PASSWORD)
    admin.get_by_role("button", name="Log in").click()
    admin.goto(f"/{settings.ADMIN_URL}orders/order/")
    admin.get_by_role("link", name=order.number).click()
    # Two of the three bags go out first, the third in a second parcel.
    line = order.lines.get()
    admin.locator("#fulfil-order").click()
    admin.locator(f"#id_line_{line.pk}").fill("2")
    admin.locator("#id_carrier").fill("Royal Mail")
    admin.locator("#id_tracking_number").fill("AB123456789GB")
    admin.locator("#fulfil-submit").click()
    expect(admin.locator(".messagelist")).to_contain_text(
        f"Order {order.number} partly shipped: shipment 1 recorded."
    )

    page.get_by_role("link", name=order.number).click()
    expect(page.locator("#order-status")).to_contain_text("Partially shipped")
    parcel = page.locator("#shipment-1")
    expect(parcel).to_contain_text("2 \u00d7 Decaf")
    expect(parcel).to_contain_text("AB123456789GB")
    expect(parcel.get_by_role("link", name="Track parcel 1 at Royal Mail")).to_have_attribute(
        "href", "https://www.royalmail.com/track-your-item#/tracking-results/AB123456789GB"
    )
    expect(page.locator("#order-lines")).to_contain_text("(2 shipped)")

    admin.locator("#fulfil-order").click()
    expect(admin.locator(f"#id_line_{line.pk}")).to_have_value("1")  # what is left
    admin.locator("#id_carrier").fill("Royal Mail")
    admin.locator("#id_tracking_number").fill("AB987654321GB")
    admin.locator("#fulfil-submit").click()
    expect(admin.locator(".messagelist")).to_contain_text(
        f"Order {order.number} fulfilled: shipment 2 recorded."
    )
    back_office.close()

    page.reload()
    expect(page.locator("#order-status")).to_contain_text("Fulfilled")
    expect(page.locator("#shipment-2")).to_contain_text("AB987654321GB")
    expect(page.locator("#order-events")).to_contain_text("Shipment 2: 1 item. Royal Mail")
    order.refresh_from_db()
    assert order.status == OrderStatus.FULFILLED
    subjects = [message.subject for message in mail.outbox if message.to == [order.email]]
    assert f"Your order {order.number} is on its way" in subjects
    assert f"Another parcel of your order {order.number} is on its way" in subjects

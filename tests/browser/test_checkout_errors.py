"""A checkout sent with problems, on a laptop and on a phone: the summary of every problem takes
the focus and is announced, each item leads to its field, and each field names its problem."""

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from apps.cart.tests.factories import ShippingMethodFactory
from apps.catalog.tests.factories import CategoryFactory, make_product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop() -> None:
    make_product(
        name="Decaf Blend", slug="decaf-blend", category=CategoryFactory.create(), sku="DEC"
    )
    ShippingMethodFactory.create(name="Standard", price=Decimal("4.90"))
    ShippingMethodFactory.create(name="Express", price=Decimal("12.90"))


def focused_id(page: Page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def test_a_refused_checkout_leads_the_shopper_to_each_problem(sized_page: Page, shop: None) -> None:
    page = sized_page
    page.goto("/p/decaf-blend/")
    page.locator("#add-to-cart").click()
    expect(page.locator("#add-to-cart-status")).to_contain_text("cart")
    page.goto("/checkout/")
    page.get_by_label("E-mail").fill("not an address")

    page.locator("#place-order").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There are 7 problems")
    expect(summary).to_contain_text("E-mail: Enter an e-mail address like name@example.com.")
    expect(summary).to_contain_text("Shipping method: Choose how your order is shipped.")
    assert focused_id(page) == "error-summary"

    summary.get_by_role("link", name="Full name: Enter the full name").click()
    assert focused_id(page) == "id_name"
    expect(page.locator("#id_name")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_name")).to_have_accessible_description(
        "Enter the full name of whoever receives the parcel."
    )

    summary.get_by_role("link", name="Shipping method: Choose how").click()
    assert focused_id(page) == "id_shipping_method_0"
    group = page.get_by_role("group", name="Shipping method")
    expect(group).to_have_accessible_description("Choose how your order is shipped.")

    # The country is a select of names, the shop's shipping countries first, and its error
    # says what to do in words.
    summary.get_by_role("link", name="Country: Choose the country").click()
    assert focused_id(page) == "id_country"
    country = page.get_by_role("combobox", name="Country")
    expect(country).to_have_accessible_description("Choose the country the parcel goes to.")
    expect(country.locator("optgroup").first).to_have_attribute("label", "Where we usually ship")
    expect(country.locator("optgroup").first.locator("option").first).to_have_text("Germany")
    country.select_option(label="France")
    expect(country).to_have_value("FR")

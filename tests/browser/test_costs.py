"""What things cost, as a shopper sees it on a laptop and on a phone: the chosen variant's price
on the product page, shipping before and after a choice, and the free-shipping threshold."""

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from apps.cart.tests.factories import ShippingMethodFactory
from apps.catalog.tests.factories import CategoryFactory, ProductFactory, ProductVariantFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop() -> None:
    coffee = CategoryFactory.create(name="Coffee", slug="coffee")
    espresso = ProductFactory.create(name="Espresso Beans", slug="espresso-beans", category=coffee)
    ProductVariantFactory.create(
        product=espresso, sku="ESP-250", name="250 g", price=Decimal("12.00"), stock=5
    )
    ProductVariantFactory.create(
        product=espresso, sku="ESP-1000", name="1 kg", price=Decimal("38.00"), stock=3, position=2
    )
    ShippingMethodFactory.create(name="Standard", price=Decimal("4.90"), free_above=Decimal("50"))
    ShippingMethodFactory.create(name="Express", price=Decimal("12.90"))


def add(page: Page, sku: str, quantity: int = 1) -> None:
    page.goto("/p/espresso-beans/")
    page.locator(f"#variant-{sku}").check()
    page.locator("#add-quantity").fill(str(quantity))
    page.locator("#add-to-cart").click()
    expect(page.locator("#add-to-cart-status")).to_contain_text("cart")


def test_the_product_page_shows_the_chosen_variants_price_and_stock(
    sized_page: Page, shop: None
) -> None:
    page = sized_page
    page.goto("/p/espresso-beans/")
    # The first variant in stock is chosen for the shopper: its price, not "from".
    expect(page.locator("#product-price")).to_have_text("12.00 EUR")
    expect(page.locator("#product-stock")).to_have_text("In stock")

    page.locator("#variant-ESP-1000").check()

    expect(page.locator("#product-price")).to_have_text("38.00 EUR")
    expect(page.locator("#product-stock")).to_have_text("In stock")


def test_shipping_is_a_choice_with_its_price_and_when_it_is_free(
    sized_page: Page, shop: None
) -> None:
    page = sized_page
    add(page, "ESP-250")
    page.goto("/cart/")
    expect(page.locator("#total-shipping")).to_have_text("Choose a method")
    expect(page.locator("#totals")).to_contain_text("Total before shipping")
    # Each option reads as its price with the currency, and when it is free.
    standard = page.get_by_role(
        "radio", name="Standard: 4.90 EUR, free on orders of 50.00 EUR or more", exact=True
    )
    expect(standard).to_be_visible()
    expect(page.get_by_role("radio", name="Express: 12.90 EUR", exact=True)).to_be_visible()

    standard.check()
    page.locator("#choose-shipping").click()
    expect(page.locator("#total-shipping")).to_have_text("4.90 EUR")
    expect(page.locator("#free-shipping-note")).to_have_text(
        "Add 38.00 EUR more for free Standard shipping (free from 50.00 EUR)."
    )

    add(page, "ESP-1000")  # 12.00 + 38.00 = 50.00: "at least" the threshold
    page.goto("/cart/")
    expect(page.locator("#total-shipping")).to_have_text("Free")
    expect(page.locator("#free-shipping-note")).to_have_text(
        "Standard shipping is free on orders of 50.00 EUR or more."
    )
    expect(page.locator("#total-amount")).to_have_text("50.00 EUR")

    page.locator("#checkout-link").click()
    expect(page.locator("#total-shipping")).to_have_text("Free")
    expect(page.get_by_role("radio", name="Express: 12.90 EUR", exact=True)).to_be_visible()


def test_after_adding_the_page_shows_what_the_cart_holds_and_leads_to_checkout(
    sized_page: Page, shop: None
) -> None:
    page = sized_page
    add(page, "ESP-250", quantity=2)

    mini_cart = page.locator("#mini-cart")
    expect(mini_cart).to_be_visible()
    expect(page.locator("#mini-cart-summary")).to_have_text("Your cart holds 2 items.")
    expect(page.locator("#cart-count")).to_have_text("2")

    mini_cart.get_by_role("link", name="Check out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Checkout")

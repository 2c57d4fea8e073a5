"""A shopper on a product page sees what customers also bought with it, and how tax is counted."""

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from apps.catalog.associations import recompute_product_associations
from apps.catalog.models import Product
from apps.catalog.tests.factories import CategoryFactory, ProductVariantFactory, make_product
from apps.orders.models import OrderStatus
from apps.orders.tests.factories import OrderFactory, OrderLineFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def paid_order(*products: Product) -> None:
    order = OrderFactory.create(status=OrderStatus.PAID)
    for product in products:
        OrderLineFactory.create(order=order, variant=product.variants.first())


def test_the_product_page_shows_customers_also_bought_and_the_tax_note(page: Page) -> None:
    coffee = CategoryFactory.create(name="Coffee", slug="coffee")
    kitchen = CategoryFactory.create(name="Kitchen", slug="kitchen")
    espresso = make_product(name="Espresso Beans", slug="espresso-beans", category=coffee)
    ProductVariantFactory.create(product=espresso, price=Decimal("38.00"), name="1 kg")
    grinder = make_product(
        name="Burr Grinder", slug="burr-grinder", category=kitchen, price=Decimal("89.00")
    )
    filters = make_product(name="Paper Filters", slug="paper-filters", category=kitchen)
    make_product(name="Decaf Blend", slug="decaf-blend", category=coffee)
    paid_order(espresso, grinder)
    paid_order(espresso, grinder, filters)
    recompute_product_associations()

    page.goto("/p/espresso-beans/")

    # The first variant in stock is chosen for the shopper: its price, not "from".
    expect(page.locator("#product-price")).to_have_text("19.99 EUR")
    expect(page.locator(".product-summary .tax-note")).to_have_text("incl. 20% VAT")
    related = page.locator("#related")
    expect(related.get_by_role("heading", level=2)).to_have_text("Customers also bought")
    cards = related.locator(".card-title")
    # Bought together most often first, then what is in the same orders less often, then
    # more of the category to fill the row.
    expect(cards).to_have_text(["Burr Grinder", "Paper Filters", "Decaf Blend"])
    expect(related.locator(".card").first.locator(".tax-note")).to_have_text("incl. 20% VAT")
    expect(related.locator(".card").first.locator(".amount")).to_have_text("89.00 EUR")

    related.get_by_role("link", name="Burr Grinder").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Burr Grinder")
    expect(page.locator("#related .card-title").first).to_have_text("Espresso Beans")

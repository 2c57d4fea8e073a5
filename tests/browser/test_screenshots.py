"""Pictures of the main pages, for anyone to look at: `make screenshots` writes them into
screenshots/ (git-ignored); in the test run they go to a temporary folder, and the test checks
that each page rendered (a page that fails to render fails here)."""

import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, expect

from apps.cart.tests.factories import ShippingMethodFactory
from apps.catalog.tests.factories import CategoryFactory, ProductVariantFactory, make_product
from apps.orders.models import OrderStatus
from apps.orders.tests.factories import OrderFactory, OrderLineFactory
from apps.users.tests.factories import SuperUserFactory
from tests.browser.conftest import VIEWPORTS
from tests.browser.test_back_office import PASSWORD, admin_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Where the pictures go: SCREENSHOTS_DIR (as `make screenshots` sets it), else a temp dir."""
    chosen = os.environ.get("SCREENSHOTS_DIR")
    target = Path(chosen) if chosen else tmp_path
    target.mkdir(parents=True, exist_ok=True)
    return target


@pytest.fixture
def shop() -> None:
    coffee = CategoryFactory.create(name="Coffee", slug="coffee")
    for index, name in enumerate(["Espresso Beans", "Decaf Blend", "House Blend", "Mocha Java"]):
        product = make_product(
            name=name,
            slug=name.lower().replace(" ", "-"),
            category=coffee,
            price=Decimal(12 + 4 * index),
            is_featured=True,
        )
        ProductVariantFactory.create(product=product, name="1 kg", price=Decimal(38 + index))
    ShippingMethodFactory.create(name="Standard", price=Decimal("4.90"), free_above=Decimal(50))
    ShippingMethodFactory.create(name="Express", price=Decimal("12.90"))


def shoot(page: Page, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_the_main_pages_are_pictured(
    page: Page, browser: Browser, live_server, shop: None, folder: Path
) -> None:
    page.set_viewport_size(VIEWPORTS["desktop"])
    pictures = []
    page.goto("/")
    pictures.append(shoot(page, folder, "home"))
    page.goto("/p/espresso-beans/")
    pictures.append(shoot(page, folder, "product"))
    page.locator("#add-to-cart").click()
    expect(page.locator("#mini-cart")).to_be_visible()
    page.goto("/cart/")
    pictures.append(shoot(page, folder, "cart"))
    page.goto("/checkout/")
    page.locator("#place-order").click()
    expect(page.locator("#error-summary")).to_be_visible()
    pictures.append(shoot(page, folder, "checkout-with-errors"))

    phone = browser.new_context(base_url=live_server.url, viewport=VIEWPORTS["mobile"])
    try:
        mobile = phone.new_page()
        mobile.goto("/c/coffee/")
        pictures.append(shoot(mobile, folder, "category-mobile"))
    finally:
        phone.close()

    staff = SuperUserFactory.create(email="boss@example.com", password=PASSWORD)
    order = OrderFactory.create(status=OrderStatus.PAID)
    OrderLineFactory.create(order=order, quantity=2)
    admin_login(page, staff.email, PASSWORD)
    page.goto(f"/{settings.ADMIN_URL}orders/order/{order.pk}/change/")
    expect(page.locator("#cancel-order")).to_be_visible()
    pictures.append(shoot(page, folder, "admin-order"))

    for picture in pictures:  # a real picture of a page, not an empty file
        assert picture.stat().st_size > 10_000, picture.name

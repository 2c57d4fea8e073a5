"""A category on a phone and on a laptop: the products come first on the phone, the filters
behind a disclosure that works without JavaScript; the count says which products a page
shows of how many."""

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from apps.catalog.tests.factories import CategoryFactory, make_product
from tests.browser.conftest import VIEWPORTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def mugs() -> None:
    category = CategoryFactory.create(name="Mugs", slug="mugs")
    for index in range(15):
        make_product(
            name=f"Mug {index:02d}",
            slug=f"mug-{index:02d}",
            category=category,
            price=Decimal(10 + index),
        )


@pytest.fixture(params=[True, False], ids=["script", "no script"])
def phone(browser: Browser, live_server: Any, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(
        base_url=live_server.url, viewport=VIEWPORTS["mobile"], java_script_enabled=request.param
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_on_a_phone_the_products_come_first_and_the_filters_open_on_demand(
    phone: Page, mugs: None
) -> None:
    page = phone
    page.goto("/c/mugs/")

    expect(page.locator("#filters")).to_be_hidden()
    first_card = page.locator("#product-list li").first
    expect(first_card).to_be_visible()
    box = first_card.bounding_box()
    assert box is not None
    assert box["y"] < VIEWPORTS["mobile"]["height"], "the first product is not on the first screen"
    expect(page.locator("#result-count")).to_have_text("Showing 1\N{EN DASH}12 of 15 products")

    page.locator("#filters-toggle").click()

    expect(page.get_by_label("Min price")).to_be_visible()
    page.get_by_label("Min price").fill("20")
    page.locator("#apply-filters").click()
    expect(page.locator("#result-count")).to_have_text("5 products")


def test_on_a_laptop_the_filters_sit_beside_the_products_without_a_disclosure(
    page: Page, mugs: None
) -> None:
    page.set_viewport_size(VIEWPORTS["desktop"])
    page.goto("/c/mugs/")

    expect(page.get_by_label("Min price")).to_be_visible()
    expect(page.locator("#filters-toggle")).to_be_hidden()


def test_the_count_follows_the_keyset_pages(page: Page, mugs: None) -> None:
    page.goto("/c/mugs/?ordering=price")
    expect(page.locator("#result-count")).to_have_text("Showing 1\N{EN DASH}12 of 15 products")

    page.locator("#next-page").click()
    expect(page.locator("#result-count")).to_have_text("Showing 13\N{EN DASH}15 of 15 products")
    expect(page.locator("#product-list")).to_contain_text("Mug 14")

    page.locator("#previous-page").click()
    expect(page.locator("#result-count")).to_have_text("Showing 1\N{EN DASH}12 of 15 products")

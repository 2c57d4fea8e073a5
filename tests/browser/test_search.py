"""A shopper searches in a real browser: a typo still finds boots, typing offers suggestions."""

import re

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from apps.catalog.cache import bump_catalog_version
from apps.catalog.tests.factories import CategoryFactory, make_product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop() -> None:
    shoes = CategoryFactory.create(name="Shoes", slug="shoes")
    boots = CategoryFactory.create(name="Boots", slug="shoes-boots", parent=shoes)
    make_product(name="Chelsea Boots", slug="chelsea-boots", category=boots)
    make_product(name="Hiking Boots", slug="hiking-boots", category=boots)
    make_product(name="Court Sneakers", slug="court-sneakers", category=shoes)
    make_product(name="Espresso Beans", slug="espresso-beans", category=CategoryFactory.create())
    bump_catalog_version()


@pytest.fixture
def console_errors(page: Page) -> list[str]:
    """Collect the page's console errors (a CSP violation is one)."""
    errors: list[str] = []

    def keep(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", keep)
    return errors


def test_a_misspelt_search_shows_boots(page: Page, shop: None, console_errors: list[str]):
    page.goto("/")
    page.locator("#site-search").fill("bots")
    page.locator("#site-search").press("Enter")

    expect(page).to_have_url(re.compile(r"/search/\?q=bots$"))
    listed = page.locator("#product-list")
    expect(listed).to_contain_text("Chelsea Boots")
    expect(listed).to_contain_text("Hiking Boots")
    expect(listed).not_to_contain_text("Espresso Beans")
    assert console_errors == []


def test_typing_in_the_search_box_offers_suggestions(
    page: Page, shop: None, console_errors: list[str]
):
    page.goto("/")
    box = page.locator("#site-search")
    options = page.locator("#site-search-suggestions option")

    box.press_sequentially("boo", delay=40)

    expect(options).to_have_count(3)
    assert [options.nth(i).get_attribute("value") for i in range(3)] == [
        "Boots",
        "Hiking Boots",
        "Chelsea Boots",
    ]
    expect(options.first).to_have_attribute("label", "Category")
    assert box.get_attribute("list") == "site-search-suggestions"

    # A typo in what is typed: the suggestions still name what was meant.
    box.fill("")
    box.press_sequentially("sneek", delay=40)
    expect(options).to_have_count(1)
    expect(options.first).to_have_attribute("value", "Court Sneakers")

    # Picking one and searching for it finds that product.
    box.fill("Court Sneakers")
    box.press("Enter")
    expect(page.locator("#product-list")).to_contain_text("Court Sneakers")
    assert console_errors == []

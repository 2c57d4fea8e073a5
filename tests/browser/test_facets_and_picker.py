"""A shopper narrows a category by attributes, sees the counts, goes back, and picks a variant
by colour and size, on a desktop and a phone."""

import re

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from apps.cart.models import CartLine
from apps.catalog.tests.attribute_shop import Shop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop() -> Shop:
    return Shop()


def show_filters(page: Page) -> None:
    """Open the filters' disclosure where the screen is narrow enough to have one."""
    toggle = page.locator("#filters-toggle")
    if toggle.is_visible() and not page.locator("#filters-panel").evaluate("p => p.open"):
        toggle.click()


def cards(page: Page) -> list[str]:
    return page.locator("#product-list a[href^='/p/']").evaluate_all(
        "links => [...new Set(links.map(a => a.getAttribute('href')))]"
    )


def test_facets_narrow_the_list_with_matching_counts_and_the_back_button_undoes_it(
    sized_page: Page, shop: Shop
) -> None:
    page = sized_page
    page.goto("/c/shoes/")
    expect(page.locator("#result-count")).to_have_text("3 products")
    show_filters(page)
    black = page.get_by_label(re.compile(r"^Black \(2\)$"))
    black.check()  # applied at once, by a script: no Apply click
    expect(page).to_have_url(re.compile(r"attr\.colour=black"))
    expect(page.locator("#result-count")).to_have_text("2 products")
    assert sorted(cards(page)) == ["/p/boots-a/", "/p/boots-b/"]
    # Blank fields are left out of the address, so it is short and can be shared.
    assert "price_min" not in page.url
    page.get_by_label(re.compile(r"^43 \(1\)$")).check()  # the count is what it gives
    expect(page.locator("#result-count")).to_have_text("1 product")
    assert cards(page) == ["/p/boots-b/"]
    shared = page.url
    page.go_back()
    expect(page.locator("#result-count")).to_have_text("2 products")
    page.go_back()
    expect(page.locator("#result-count")).to_have_text("3 products")
    expect(page.get_by_label(re.compile(r"^Black \(2\)$"))).not_to_be_checked()
    page.goto(shared)
    expect(page.locator("#result-count")).to_have_text("1 product")


def test_the_variant_picker_offers_only_combinations_that_exist(
    sized_page: Page, shop: Shop
) -> None:
    page = sized_page
    page.goto("/p/boots-a/")
    picker = page.locator("#variant-picker")
    expect(picker).to_be_visible()
    expect(page.locator(".variants")).to_be_hidden()
    # The first variant in stock (black / 42) is chosen to start with.
    expect(picker.get_by_label("Black")).to_be_checked()
    expect(picker.get_by_label("42")).to_be_checked()
    expect(page.locator("#picked-variant")).to_contain_text("in stock")
    expect(page.locator("#add-to-cart")).to_be_enabled()
    # Tan exists only in 43 (sold out): picking it moves the size to 43, and 42 is marked as
    # not going with tan.
    picker.locator("label[for='pick-colour-tan']").click()
    expect(picker.get_by_label("43")).to_be_checked()
    expect(picker.locator("label[for='pick-size-42']")).to_have_class(re.compile("unavailable"))
    expect(page.locator("#picked-variant")).to_contain_text("out of stock")
    expect(page.locator("#add-to-cart")).to_be_disabled()
    # Black comes only in 42 here: the size follows, and black / 42 goes into the cart.
    picker.locator("label[for='pick-colour-black']").click()
    expect(picker.get_by_label("42")).to_be_checked()
    expect(picker.locator("label[for='pick-size-43']")).to_have_class(re.compile("unavailable"))
    expect(page.locator("#product-price")).to_have_text(re.compile(r"^50\.00 EUR$"))
    expect(page.locator("#add-to-cart")).to_be_enabled()
    page.locator("#add-to-cart").click()
    expect(page.locator("#add-to-cart-status")).to_contain_text("cart")
    line = CartLine.objects.get()
    assert set(line.variant.attribute_values.values_list("value__slug", flat=True)) == {
        "black",
        "42",
    }


def test_without_javascript_the_variant_list_and_the_apply_button_still_work(
    browser: Browser, live_server, shop: Shop
) -> None:
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/c/shoes/")
        page.get_by_label(re.compile(r"^White \(1\)$")).check()
        page.locator("#apply-filters").click()
        expect(page.locator("#result-count")).to_have_text("1 product")
        page.goto("/p/boots-a/")
        expect(page.locator("#variant-picker")).to_be_hidden()
        expect(page.locator(".variants")).to_be_visible()
    finally:
        context.close()


def test_what_a_shopper_types_before_the_page_has_loaded_stays(page: Page, shop: Shop) -> None:
    # The product pictures are held back, so the page's load event (and `pageshow`) waits.
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)

    page.route(re.compile(r"placeholder\.svg"), hold)
    page.goto("/c/shoes/", wait_until="domcontentloaded")
    page.locator("#id_price_min").fill("100")
    assert held, "no picture was held back: the page loaded before anything was typed"

    for route in held:
        route.continue_()
    page.wait_for_load_state("load")

    expect(page.locator("#id_price_min")).to_have_value("100")

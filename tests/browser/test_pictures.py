"""Product pictures in a real browser, on a desktop and a phone screen: they load on the home,
category, search, product and cart pages (the WebP thumbnails), and the gallery swaps its main
picture."""

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from apps.catalog import services
from apps.catalog.tests.factories import CategoryFactory, ProductVariantFactory, make_product
from apps.catalog.tests.pictures import picture_upload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS: dict[str, ViewportSize] = {
    "desktop": {"width": 1366, "height": 768},
    "mobile": {"width": 390, "height": 844},
}


@pytest.fixture
def shop() -> dict[str, Any]:
    """Six featured lamps with pictures (thumbnails made at once: no transaction to wait for)."""
    lamps = CategoryFactory.create(name="Lamps", slug="lamps")
    products = []
    for n, colour in enumerate(
        [(200, 40, 40), (40, 140, 60), (40, 60, 200), (220, 180, 40), (120, 40, 160), (30, 30, 30)]
    ):
        product = make_product(
            name=f"Lamp {n}", slug=f"lamp-{n}", category=lamps, is_featured=True, sku=f"LAMP-{n}"
        )
        services.add_product_image(
            product=product,
            upload=picture_upload("JPEG", (900, 900), colour=colour),
            alt_text=f"Lamp {n}",
        )
        products.append(product)
    gallery = products[0]
    brass = ProductVariantFactory.create(product=gallery, sku="LAMP-0-BRASS", name="Brass")
    services.add_product_image(
        product=gallery,
        upload=picture_upload("PNG", (600, 400), colour=(190, 160, 80)),
        alt_text="Brass lamp",
        variant=brass,
    )
    return {"gallery": gallery, "brass": brass}


@pytest.fixture(params=list(VIEWPORTS))
def screen(request: pytest.FixtureRequest, browser: Browser, live_server: Any) -> Any:
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORTS[request.param])
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def assert_pictures_load(page: Page, selector: str, *, at_least: int) -> None:
    """Scroll each picture into view (lazy ones load then) and wait until it has pixels."""
    pictures = page.locator(selector)
    count = pictures.count()
    assert count >= at_least, (page.url, selector, count)
    for index in range(count):
        picture = pictures.nth(index)
        picture.scroll_into_view_if_needed()
        picture.evaluate(
            "img => img.complete && img.naturalWidth > 0 ? true : new Promise((ok, fail) => {"
            " img.addEventListener('load', () => ok(true));"
            " img.addEventListener('error', () => fail(new Error('not loaded: ' + img.src))); })"
        )
        assert picture.evaluate("img => img.naturalWidth") > 0, (page.url, index)
        assert picture.evaluate("img => img.currentSrc").endswith(".webp"), (page.url, index)


def test_pictures_load_on_home_category_search_product_and_cart(screen: Page, shop: dict[str, Any]):
    page = screen
    page.goto("/")
    assert_pictures_load(page, "#featured-products .card-media img", at_least=6)

    page.goto("/c/lamps/")
    assert_pictures_load(page, "#product-list .card-media img", at_least=6)

    page.goto("/search/?q=lamp")
    assert_pictures_load(page, "#product-list .card-media img", at_least=6)

    page.goto(f"/p/{shop['gallery'].slug}/")
    assert_pictures_load(page, ".gallery-slide:not([hidden]) img", at_least=1)
    page.locator("#add-to-cart").click()
    expect(page.locator("#add-to-cart-status")).to_contain_text("cart")

    page.goto("/cart/")
    assert_pictures_load(page, ".cart-thumb img", at_least=1)


def test_the_gallery_swaps_its_main_picture(screen: Page, shop: dict[str, Any]):
    page = screen
    product = shop["gallery"]
    front, brass = product.images.order_by("position", "id")
    page.goto(f"/p/{product.slug}/")
    first = page.locator(f"#image-{front.pk}")
    second = page.locator(f"#image-{brass.pk}")
    expect(first).to_be_visible()
    expect(second).to_be_hidden()

    page.locator(f'.gallery-thumb[data-image-id="{brass.pk}"]').click()

    expect(second).to_be_visible()
    expect(first).to_be_hidden()
    expect(page.locator(f'.gallery-thumb[data-image-id="{brass.pk}"]')).to_have_attribute(
        "aria-current", "true"
    )
    assert_pictures_load(page, f"#image-{brass.pk} img", at_least=1)
    assert page.url.endswith(f"/p/{product.slug}/")  # no jump to an anchor with the script

    # Picking a variant that has its own picture shows it; the thumbnails bring the first back.
    page.locator(f'.gallery-thumb[data-image-id="{front.pk}"]').click()
    expect(first).to_be_visible()
    page.locator(f"label[for='variant-{shop['brass'].sku}']").click()
    expect(second).to_be_visible()

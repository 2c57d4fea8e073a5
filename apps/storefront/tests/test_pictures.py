"""Pictures in the shop: responsive `<picture>`s on cards, the product gallery, cart lines."""

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from apps.catalog import services as catalog_services
from apps.catalog.models import Product, ProductImage, ProductVariant
from apps.catalog.tests.factories import CategoryFactory, ProductVariantFactory
from apps.catalog.tests.pictures import picture_upload
from apps.storefront.tests.helpers import add_to_cart, stock_product

# Every test stores into an empty MEDIA_ROOT of its own (the `media` fixture).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

AssertQueries = Callable[..., AbstractContextManager[Any]]
IMG = re.compile(r"<img [^>]*>")


def with_picture(product: Product, commit: Any, *, size=(800, 800), **fields) -> ProductImage:
    """Add a picture to a product and make its thumbnails (as the task does after commit)."""
    with commit(execute=True):
        image = catalog_services.add_product_image(
            product=product, upload=picture_upload("JPEG", size), **fields
        )
    image.refresh_from_db()
    return image


def images_in(html: str, marker: str = "") -> list[str]:
    return [tag for tag in IMG.findall(html) if marker in tag]


def found(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    assert match is not None, pattern
    return match.group(0)


def last_variant(product: Product) -> ProductVariant:
    variant = product.variants.order_by("position").last()
    assert variant is not None
    return variant


def attrs(tag: str) -> dict[str, str]:
    return dict(re.findall(r'(\w[\w-]*)="([^"]*)"', tag))


def test_cards_show_responsive_pictures_and_only_the_first_row_loads_eagerly(
    django_capture_on_commit_callbacks,
):
    category = CategoryFactory.create()
    products = [stock_product(category=category, is_featured=True) for _ in range(6)]
    for product in products:
        with_picture(product, django_capture_on_commit_callbacks, alt_text=f"{product.name} front")

    for url in ("/", f"/c/{category.slug}/", "/search/?q=Product"):
        html = Client().get(url).content.decode()
        pictures = re.findall(r'<div class="card-media"><picture.*?</picture>\s*</div>', html)
        assert len(pictures) == 6, url
        for index, picture in enumerate(pictures):
            source = attrs(found(r"<source [^>]*>", picture))
            assert source["type"] == "image/webp"
            assert source["srcset"].count("w, ") == 3  # 160, 320, 640, 800
            assert source["sizes"]
            img = attrs(found(IMG.pattern, picture))
            assert img["srcset"].endswith("800w")
            assert img["src"].endswith("_800w.jpg")
            assert (img["width"], img["height"]) == ("800", "800")
            assert img["alt"] == ""  # the card's title names the product
            assert img["decoding"] == "async"
            assert (img.get("loading") == "lazy") == (index >= 4), (url, index)


def test_a_product_without_pictures_shows_the_placeholder():
    product = stock_product(is_featured=True)

    for url in ("/", f"/p/{product.slug}/"):
        html = Client().get(url).content.decode()
        [placeholder] = images_in(html, "placeholder.svg")
        assert 'width="400" height="400"' in placeholder
        assert "<picture" not in html


def test_the_product_page_has_a_gallery_that_works_without_script(
    django_capture_on_commit_callbacks,
):
    product = stock_product(variants=2, name="Desk lamp")
    brass = last_variant(product)
    commit = django_capture_on_commit_callbacks
    front = with_picture(product, commit, alt_text="Front")
    side = with_picture(product, commit, size=(900, 600), variant=brass)
    plain = with_picture(product, commit, alt_text="")

    html = Client().get(f"/p/{product.slug}/").content.decode()

    slides = re.findall(r'<li class="gallery-slide" id="image-(\d+)"', html)
    assert slides == [str(front.pk), str(side.pk), str(plain.pk)]
    thumbs = re.findall(r'<a class="gallery-thumb" href="#image-(\d+)"', html)
    assert thumbs == slides
    main = [attrs(tag) for tag in images_in(html) if "gallery-thumb" not in tag and "sizes" in tag]
    assert [img.get("loading") for img in main] == [None, "lazy", "lazy"]
    assert [img["alt"] for img in main] == ["Front", "Desk lamp", "Desk lamp"]
    assert (main[1]["width"], main[1]["height"]) == ("900", "600")
    assert f'data-image-id="{side.pk}"' in found(
        rf'<input type="radio" name="sku" value="{brass.sku}"[^>]*>', html
    )
    assert '<script src="/static/storefront/js/gallery.js" defer></script>' in html
    assert " style=" not in html


def test_cart_lines_show_the_variants_picture(django_capture_on_commit_callbacks):
    lamp = stock_product(variants=2, name="Desk lamp")
    brass = last_variant(lamp)
    general = with_picture(lamp, django_capture_on_commit_callbacks)
    own = with_picture(lamp, django_capture_on_commit_callbacks, variant=brass)
    bare = stock_product(name="Bare mug")
    client = Client()
    add_to_cart(client, lamp)
    add_to_cart(client, lamp, sku=brass.sku)
    add_to_cart(client, bare)

    html = client.get("/cart/").content.decode()

    cells = re.findall(r'<div class="cart-thumb">(.*?)</div>', html, re.S)
    assert len(cells) == 3
    assert general.renditions["jpeg"]["160"].rsplit("/", 1)[1] in cells[0]
    assert own.renditions["jpeg"]["160"].rsplit("/", 1)[1] in cells[1]
    assert "placeholder.svg" in cells[2]
    img = attrs(found(IMG.pattern, cells[0]))
    assert img["sizes"] == "4rem"
    assert (img["width"], img["alt"], img["decoding"]) == ("800", "", "async")


@pytest.mark.parametrize("lines", [1, 5])
def test_cart_page_queries_do_not_grow_with_pictured_lines(
    lines: int, django_assert_num_queries: AssertQueries
) -> None:
    category = CategoryFactory.create()
    client = Client()
    for _ in range(lines):
        product = stock_product(category=category)
        for position in range(2):
            ProductImage.objects.create(
                product=product, image=f"products/{product.pk}/{position}.jpg", width=8, height=8
            )
        add_to_cart(client, product)
    cache.clear()
    client.get("/cart/")  # warm the catalog cache (discounts, categories, line pictures)
    # Session, cart, its lines, shipping methods, the header's item count.
    with django_assert_num_queries(5):
        response = client.get("/cart/")
    assert response.content.decode().count('<div class="cart-thumb"><picture') == lines


def test_uploaded_files_are_served_when_media_serve_is_on(
    settings, django_capture_on_commit_callbacks
):
    image = with_picture(stock_product(), django_capture_on_commit_callbacks)
    url = image.image.storage.url(image.renditions["webp"]["160"])

    served = Client().get(url)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/webp"
    assert "max-age=86400" in served["Cache-Control"]
    assert Client().get("/media/../config/settings/base.py").status_code in (400, 404)

    settings.MEDIA_SERVE = False  # production: nginx or the bucket serve them
    assert Client().get(url).status_code == 404


def test_a_variant_of_another_product_gives_no_picture(django_capture_on_commit_callbacks):
    product = stock_product()
    with_picture(product, django_capture_on_commit_callbacks)
    stranger = ProductVariantFactory.create(sku="STRANGER-1")
    client = Client()
    add_to_cart(client, stranger.product, sku=stranger.sku)

    html = client.get("/cart/").content.decode()
    assert "placeholder.svg" in html

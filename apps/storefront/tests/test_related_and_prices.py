"""The product page's related products, tax notes next to prices, and "from" prices."""

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from apps.catalog.models import Product, ProductAssociation
from apps.catalog.tests.factories import CategoryFactory, ProductVariantFactory
from apps.storefront.tests.helpers import add_to_cart, capture, stock_product

pytestmark = pytest.mark.django_db

AssertQueries = Callable[..., AbstractContextManager[Any]]


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.content
    return response.content.decode()


def associate(product: Product, *related: Product) -> None:
    ProductAssociation.objects.bulk_create(
        ProductAssociation(product=product, related=other, score=9 - n, computed_at=timezone.now())
        for n, other in enumerate(related)
    )
    cache.clear()


def related_section(body: str) -> str:
    match = re.search(r'<section aria-labelledby="related-heading".*?</section>', body, re.S)
    return match.group(0) if match else ""


def price_paragraph(body: str, marker: str) -> str:
    """Return the <p class="price…"> that follows `marker` (a card's id or the page's h1)."""
    start = body.index(marker)
    match = re.search(r'<p class="price[^"]*">.*?</p>', body[start:], re.S)
    assert match, marker
    return " ".join(match.group(0).split())


# --- Related products -----------------------------------------------------------------------


def test_the_product_page_shows_what_customers_also_bought() -> None:
    kettle = stock_product(name="Kettle")
    teapot = stock_product(name="Teapot")
    mugs = stock_product(name="Mugs")
    associate(kettle, teapot, mugs)

    section = related_section(page(Client(), f"/p/{kettle.slug}/"))

    assert '<h2 id="related-heading">Customers also bought</h2>' in section
    assert section.index(f'href="/p/{teapot.slug}/"') < section.index(f'href="/p/{mugs.slug}/"')
    assert f'href="/p/{kettle.slug}/"' not in section


def test_without_associations_the_page_shows_more_of_the_category() -> None:
    kitchen = CategoryFactory.create(name="Kitchen")
    kettle = stock_product(name="Kettle", category=kitchen)
    toaster = stock_product(name="Toaster", category=kitchen)

    section = related_section(page(Client(), f"/p/{kettle.slug}/"))

    assert '<h2 id="related-heading">More in Kitchen</h2>' in section
    assert f'href="/p/{toaster.slug}/"' in section


def test_a_lone_product_has_no_related_section() -> None:
    kettle = stock_product(name="Kettle")
    body = page(Client(), f"/p/{kettle.slug}/")
    assert 'id="related-heading"' not in body


@pytest.mark.parametrize("count", [2, 6])
def test_the_related_section_adds_a_fixed_number_of_queries(
    count: int, django_assert_num_queries: AssertQueries
) -> None:
    lone = stock_product(name="Lone")
    with capture() as alone:
        page(Client(), f"/p/{lone.slug}/")
    kettle = stock_product(name="Kettle")
    others = [stock_product(name=f"Other {n}", variants=2) for n in range(count)]
    for other in others[: count // 2]:
        stock_product(name=f"Same category {other.name}", category=kettle.category)
    associate(kettle, *others)

    with capture() as cold:
        body = page(Client(), f"/p/{kettle.slug}/")

    assert related_section(body).count('class="card"') == min(4, count + count // 2)
    # What a page with nothing related reads (the candidates included), then the related
    # cards (tags and first image are card columns).
    assert len(cold.captured_queries) == len(alone.captured_queries) + 1
    with django_assert_num_queries(0):
        Client().get(f"/p/{kettle.slug}/")


# --- Tax notes ------------------------------------------------------------------------------


@pytest.mark.parametrize(("include", "note"), [(True, "incl. 20% VAT"), (False, "excl. 20% VAT")])
def test_cards_the_product_page_and_the_cart_say_how_prices_treat_tax(
    settings: Any, include: bool, note: str
) -> None:
    settings.PRICES_INCLUDE_TAX = include
    kitchen = CategoryFactory.create(name="Kitchen")
    kettle = stock_product(name="Kettle", category=kitchen, is_featured=True)
    client = Client()
    tag = f'<span class="tax-note">{note}</span>'

    assert tag in price_paragraph(page(client, f"/c/{kitchen.slug}/"), f"product-{kettle.slug}")
    assert tag in price_paragraph(page(client, "/"), f"product-{kettle.slug}")
    assert tag in price_paragraph(page(client, f"/p/{kettle.slug}/"), 'id="product-name"')
    add_to_cart(client, kettle)
    cart = page(client, "/cart/")
    assert f'<th scope="col">Price {tag}</th>' in cart


def test_the_tax_note_follows_the_rate_and_the_label(settings: Any) -> None:
    settings.TAX_RATE = Decimal("0.055")
    settings.TAX_LABEL = "GST"
    kettle = stock_product(name="Kettle")

    body = page(Client(), f"/p/{kettle.slug}/")

    assert '<span class="tax-note">incl. 5.5% GST</span>' in body


def test_no_tax_note_without_tax(settings: Any) -> None:
    settings.TAX_RATE = Decimal("0")
    kettle = stock_product(name="Kettle")
    client = Client()
    add_to_cart(client, kettle)

    assert "tax-note" not in page(client, f"/p/{kettle.slug}/")
    assert "tax-note" not in page(client, "/cart/")


# --- "from" prices --------------------------------------------------------------------------


def test_from_is_shown_only_when_variant_prices_differ() -> None:
    kitchen = CategoryFactory.create(name="Kitchen")
    same = stock_product(name="Same price", category=kitchen, price="20.00", variants=3)
    differ = stock_product(name="Two prices", category=kitchen, price="20.00")
    ProductVariantFactory.create(product=differ, price=Decimal("25.00"), stock=5)
    cache.clear()
    client = Client()

    listing = page(client, f"/c/{kitchen.slug}/")
    assert "from 20.00 EUR" in price_paragraph(listing, f"product-{differ.slug}")
    assert "from" not in price_paragraph(listing, f"product-{same.slug}")
    assert "from 20.00 EUR" in price_paragraph(
        page(client, f"/p/{differ.slug}/"), 'id="product-name"'
    )
    same_page = price_paragraph(page(client, f"/p/{same.slug}/"), 'id="product-name"')
    assert '<span class="amount" id="product-price">20.00 EUR</span>' in same_page

"""Category and search pages filter by attributes with counts; the product page offers its
variants by attribute."""

import json
import re
from urllib.parse import parse_qsl, urlparse

import pytest
from django.core.cache import cache
from django.test import Client

from apps.catalog.tests.attribute_shop import Shop
from apps.storefront import views
from apps.storefront.tests.helpers import capture, stock_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop() -> Shop:
    shop = Shop()
    cache.clear()
    return shop


def get(url: str, status: int = 200) -> str:
    response = Client().get(url)
    assert response.status_code == status
    return response.content.decode()


def cards(body: str) -> set[str]:
    return set(re.findall(r'href="/p/([\w-]+)/"', body))


def label(body: str, input_id: str) -> str:
    match = re.search(rf'<label for="{input_id}">(.*?)</label>', body, re.S)
    assert match, input_id
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def test_a_category_page_offers_every_attribute_with_counts(shop: Shop) -> None:
    body = get("/c/shoes/")
    assert label(body, "attr-colour-black") == "Black (2)"
    assert label(body, "attr-colour-white") == "White (1)"
    assert 'id="attr-colour-navy"' not in body  # only an inactive variant is navy
    assert label(body, "attr-waterproof-true") == "Yes (1)"
    assert 'placeholder="300"' in body
    assert 'placeholder="1200"' in body
    assert re.search(r'id="result-count"[^>]*>3 products<', body)
    # Sub-categories with their counts, tag and stock counts in their labels.
    assert re.search(r"Boots <span class=\"count\">\(2\)</span>", body)
    assert ">Sale (1)</option>" in body
    assert "In stock only (3)" in body


def test_ticking_values_narrows_the_list_and_the_counts_match(shop: Shop) -> None:
    body = get("/c/shoes/?attr.colour=black&attr.colour=white")
    assert cards(body) == {"boots-a", "boots-b", "sneaker"}
    body = get("/c/shoes/?attr.colour=black&attr.size=43")
    assert cards(body) == {"boots-b"}
    assert re.search(r'id="result-count"[^>]*>1 product<', body)
    assert re.search(r'id="attr-colour-black"\s+checked', body)
    assert 'value="43" id="attr-size-43"\n                 checked' in body


def test_a_number_range_and_a_yes_no_filter(shop: Shop) -> None:
    assert cards(get("/c/shoes/?attr.weight.min=500&attr.weight.max=1000")) == {"boots-a"}
    assert cards(get("/search/?q=&attr.waterproof=false")) == {"boots-b"}
    body = get("/c/shoes/?attr.weight.min=500")
    assert 'name="attr.weight.min" id="attr-weight-min"\n               value="500"' in body


def test_a_bad_attribute_filter_is_reported_and_the_rest_still_lists(shop: Shop) -> None:
    body = get("/c/shoes/?attr.colour=pink&in_stock=on")
    assert "Attribute &#x27;colour&#x27; has no value &#x27;pink&#x27;." in body
    assert cards(body) == {"boots-a", "boots-b", "sneaker"}


def test_pages_keep_every_chosen_value_in_their_links(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    body = get("/c/shoes/?attr.colour=black&attr.colour=white&ordering=name")
    next_link = re.search(r'href="([^"]+)" rel="next"', body)
    assert next_link
    query = parse_qsl(urlparse(next_link.group(1).replace("&amp;", "&")).query)
    assert ("attr.colour", "black") in query
    assert ("attr.colour", "white") in query
    assert ("ordering", "name") in query


def test_the_product_page_has_a_picker_of_the_variants_attributes(shop: Shop) -> None:
    body = get("/p/boots-a/")
    assert 'id="variant-picker"' in body
    assert label(body, "pick-colour-black") == "Black"
    assert label(body, "pick-size-43") == "43"
    data = re.search(r'<script id="variant-data" type="application/json">(.*?)</script>', body)
    assert data
    variants = json.loads(data.group(1))
    assert [v["attributes"] for v in variants] == [
        {"colour": "black", "size": "42"},
        {"colour": "tan", "size": "43"},
    ]
    assert [v["in_stock"] for v in variants] == [True, False]
    # The plain list of variants stays, for browsers without JavaScript.
    assert 'name="sku"' in body
    assert re.search(r"<dt>Weight</dt><dd>800 g</dd>", body)
    assert re.search(r"<dt>Waterproof</dt><dd>Yes</dd>", body)


def test_a_product_without_variant_attributes_has_no_picker(shop: Shop) -> None:
    plain = stock_product(slug="plain-mug")
    assert 'id="variant-picker"' not in get(f"/p/{plain.slug}/")


def test_facets_cost_a_fixed_number_of_queries_and_none_when_warm(shop: Shop) -> None:
    url = "/c/shoes/?attr.colour=black&attr.colour=tan&attr.size=43"
    with capture() as cold:
        get(url)
    with capture() as warm:
        get(url)
    assert len(warm.captured_queries) == 0
    for n in range(10):
        shop.product(f"more-{n}", shop.boots, [("black", "43", 2), ("white", "42", 1)])
    cache.clear()
    with capture() as bigger:
        get(url)
    assert len(bigger.captured_queries) == len(cold.captured_queries)

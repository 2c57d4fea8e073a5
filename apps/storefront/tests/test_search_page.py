"""The storefront search page: typos forgiven, "did you mean", and the suggestions script."""

import re

import pytest
from django.db import connection
from django.test import Client

from apps.catalog.tests.factories import CategoryFactory
from apps.core.tests.concurrency import require_postgresql
from apps.storefront.tests.helpers import stock_product

pytestmark = pytest.mark.django_db


def page(url: str) -> str:
    response = Client().get(url)
    assert response.status_code == 200, response.content
    return response.content.decode()


@pytest.fixture
def shop() -> None:
    boots = CategoryFactory.create(name="Boots", slug="boots")
    coats = CategoryFactory.create(name="Coats", slug="coats")
    stock_product(category=boots, name="Chelsea Boots", slug="chelsea-boots")
    stock_product(category=boots, name="Hiking Boots", slug="hiking-boots", price="80.00")
    stock_product(category=coats, name="Rain Jacket", slug="rain-jacket")


def test_a_misspelt_search_shows_what_it_meant(shop):
    body = page("/search/?q=bots")
    assert "Chelsea Boots" in body
    assert "Hiking Boots" in body
    assert "Rain Jacket" not in body
    assert 'id="did-you-mean"' not in body  # products were found


def test_a_search_that_finds_nothing_offers_the_corrected_search_with_the_same_filters(shop):
    require_postgresql()  # the substring fallback corrects "jaket" itself (next test)
    body = page("/search/?q=rain+jaket&price_max=50")
    assert 'id="no-results"' in body
    link = re.search(r'<p class="did-you-mean" id="did-you-mean">(.*?)</p>', body)
    assert link is not None, body
    assert (
        link.group(1) == 'Did you mean <a href="?q=rain+jacket&amp;price_max=50">rain jacket</a>?'
    )
    followed = page("/search/?q=rain+jacket&price_max=50")
    assert "Rain Jacket" in followed


def test_without_postgresql_the_search_corrects_the_word_itself(shop):
    if connection.vendor == "postgresql":
        pytest.skip("the substring fallback's own behaviour")
    body = page("/search/?q=rain+jaket")
    assert "Rain Jacket" in body
    assert 'id="did-you-mean"' not in body


def test_no_suggestion_when_nothing_close_exists(shop):
    body = page("/search/?q=qwxzv")
    assert 'id="no-results"' in body
    assert 'id="did-you-mean"' not in body


def test_the_search_box_is_a_plain_form_the_script_enhances(shop):
    body = page("/")
    form = re.search(r'<form class="search"[^>]*>(.*?)</form>', body, re.DOTALL)
    assert form is not None
    assert 'action="/search/"' in body
    assert 'method="get"' in form.group(0)
    assert 'data-suggestions-url="/api/v1/products/suggestions/"' in form.group(1)
    assert '<script src="/static/storefront/js/search-suggestions.js' in body
    # A strict CSP: no inline script or style anywhere.
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", body)
    assert " style=" not in body

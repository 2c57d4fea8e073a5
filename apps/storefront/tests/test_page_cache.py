"""Whole home and product pages, stored once per catalog version for visitors who all see
the same page, and served with each visitor's own CSRF token."""

import re
from typing import Any

import pytest
from django.test import Client

from apps.catalog import services as catalog_services
from apps.storefront.tests.helpers import add_to_cart, browser_for, first_variant, stock_product
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def token_in(response: Any) -> str:
    found = TOKEN.search(response.content.decode())
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


def test_a_second_visitor_gets_the_stored_page_with_a_token_of_its_own(
    django_assert_num_queries,
) -> None:
    product = stock_product(name="Desk lamp")
    url = f"/p/{product.slug}/"
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    made = first.get(url)

    with django_assert_num_queries(0):
        served = second.get(url)

    assert made.status_code == served.status_code == 200
    assert made.templates  # rendered...
    assert not served.templates  # ...once
    assert served["Content-Type"] == made["Content-Type"]
    assert "Cookie" in served["Vary"]
    assert "Desk lamp" in served.content.decode()
    assert token_in(served) != token_in(made)
    assert TOKEN.sub("", served.content.decode()) == TOKEN.sub("", made.content.decode())
    # The token put back is the second visitor's own: its form posts.
    added = second.post(
        f"/p/{product.slug}/add/",
        {"sku": first_variant(product).sku, "quantity": 1, "csrfmiddlewaretoken": token_in(served)},
    )
    assert added.status_code == 302, added.content


def test_a_visitor_with_a_cart_or_an_account_sees_its_own_page() -> None:
    product = stock_product(name="Desk lamp")
    url = f"/p/{product.slug}/"
    Client().get(url)  # stored for everyone else

    shopper = Client()
    assert add_to_cart(shopper, product, quantity=2).status_code == 302
    with_cart = shopper.get(url)
    customer = browser_for(UserFactory.create()).get(url)

    assert with_cart.templates
    assert 'aria-label="items in cart">2<' in with_cart.content.decode()
    assert customer.templates
    assert "Sign out" in customer.content.decode()
    assert "Sign out" not in Client().get(url).content.decode()


def test_the_stored_page_follows_catalog_writes(django_capture_on_commit_callbacks) -> None:
    product = stock_product(name="Desk lamp")
    url = f"/p/{product.slug}/"
    Client().get(url)

    with django_capture_on_commit_callbacks(execute=True):
        catalog_services.update_product(product=product, name="Reading lamp")
    after = Client().get(url)

    assert after.templates
    assert "Reading lamp" in after.content.decode()
    assert not Client().get(url).templates  # stored again


@pytest.mark.parametrize("page", ["home", "category"])
def test_the_home_and_category_pages_are_stored_too(page, django_assert_num_queries) -> None:
    product = stock_product(name="Desk lamp")
    url = "/" if page == "home" else f"/c/{product.category.slug}/"
    made = Client().get(url)

    with django_assert_num_queries(0):
        served = Client().get(url)

    assert made.status_code == served.status_code == 200
    assert made.templates
    assert not served.templates
    assert product.category.name in served.content.decode()
    assert served.content == made.content  # no form with a token on them: nothing to put back


def test_a_page_with_a_query_or_a_message_is_made_for_its_visitor() -> None:
    product = stock_product(name="Desk lamp")
    url = f"/p/{product.slug}/?reviews=tampered"

    answers = [Client().get(url) for _ in range(2)]

    for answer in answers:
        assert answer.status_code == 200
        assert answer.templates
        assert 'id="messages"' in answer.content.decode()  # the cursor's message, each time

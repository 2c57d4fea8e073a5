"""Home, category, search and product pages: what they show, their forms and their queries."""

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from django.core.cache import cache
from django.test import Client

from apps.cart.tests.factories import ShippingMethodFactory
from apps.catalog import selectors as catalog_selectors
from apps.catalog.cache import bump_catalog_version
from apps.catalog.models import Review
from apps.catalog.tests.factories import (
    CategoryFactory,
    DiscountFactory,
    ReviewFactory,
    TagFactory,
)
from apps.storefront.templatetags.storefront import stars
from apps.storefront.tests.helpers import (
    add_to_cart,
    browser_for,
    capture,
    catalog_queries,
    first_variant,
    stock_product,
)
from apps.users.models import User
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

AssertQueries = Callable[..., AbstractContextManager[Any]]


def page(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.content
    return response.content.decode()


# --- Home -----------------------------------------------------------------------------------


def test_home_shows_featured_products_and_top_categories() -> None:
    parent = CategoryFactory.create(name="Kitchen")
    CategoryFactory.create(name="Knives", parent=parent)
    featured = stock_product(category=parent, name="Chef's pan", is_featured=True)
    stock_product(category=parent, name="Plain spoon", is_featured=False)
    body = page(Client(), "/")
    assert body.count("<h1") == 1
    assert f'href="/p/{featured.slug}/"' in body
    assert "Plain spoon" not in body
    assert f'href="/c/{parent.slug}/"' in body
    assert "Knives" in body
    assert 'href="/api/docs/"' in body
    assert 'href="/admin/"' in body


def test_pages_have_landmarks_and_no_inline_scripts_or_styles() -> None:
    product = stock_product(is_featured=True)
    for url in ["/", f"/p/{product.slug}/", "/cart/", "/account/login/"]:
        body = page(Client(), url)
        for landmark in ("<header", "<main", "<footer", "<nav"):
            assert landmark in body, (url, landmark)
        assert "<style" not in body
        assert " style=" not in body
        assert "<script>" not in body
        assert "<script " not in body.replace("<script src=", "")


@pytest.mark.parametrize("count", [2, 6])
def test_home_queries_do_not_grow_with_products(
    count: int, django_assert_num_queries: AssertQueries
) -> None:
    category = CategoryFactory.create()
    for _ in range(count):
        stock_product(category=category, is_featured=True, variants=2)
    cache.clear()
    # Cold: discounts, category rows, featured cards (tags and first image are card columns).
    with django_assert_num_queries(3):
        Client().get("/")
    with django_assert_num_queries(0):
        Client().get("/")


def test_a_warm_home_page_does_not_read_what_its_cached_fragment_shows() -> None:
    stock_product(is_featured=True, name="Chef's pan")
    Client().get("/")  # fills the fragment
    with (
        mock.patch.object(
            catalog_selectors, "featured_products", wraps=catalog_selectors.featured_products
        ) as featured,
        mock.patch.object(
            catalog_selectors, "category_tree", wraps=catalog_selectors.category_tree
        ) as tree,
    ):
        body = page(Client(), "/")
    assert "Chef&#x27;s pan" in body
    assert featured.call_count == 0
    assert tree.call_count == 0


# --- Category and search --------------------------------------------------------------------


def test_category_lists_its_products_and_its_sub_categories_products() -> None:
    parent = CategoryFactory.create(name="Garden")
    child = CategoryFactory.create(name="Tools", parent=parent)
    mine = stock_product(category=parent, name="Rake")
    nested = stock_product(category=child, name="Trowel")
    other = stock_product(name="Teapot")
    body = page(Client(), f"/c/{parent.slug}/")
    assert "<h1>Garden</h1>" in body
    assert mine.name in body
    assert nested.name in body
    assert other.name not in body
    child_page = page(Client(), f"/c/{child.slug}/")
    assert 'aria-label="Breadcrumbs"' in child_page
    assert f'href="/c/{parent.slug}/"' in child_page


def test_an_unknown_or_hidden_category_is_a_friendly_404() -> None:
    hidden = CategoryFactory.create(is_active=False)
    for slug in ["no-such-thing", hidden.slug]:
        response = Client().get(f"/c/{slug}/")
        assert response.status_code == 404
        assert "could not find that page" in response.content.decode()


def test_category_filters_by_price_stock_tag_and_rating() -> None:
    category = CategoryFactory.create()
    tag = TagFactory.create(slug="eco", name="Eco")
    cheap = stock_product(category=category, name="Cheap mug", price="5.00")
    dear = stock_product(category=category, name="Dear mug", price="50.00", tags=[tag])
    gone = stock_product(category=category, name="Sold-out mug", price="6.00", stock=0)
    ReviewFactory.create(product=dear, rating=5)
    ReviewFactory.create(product=cheap, rating=2)
    url = f"/c/{category.slug}/"

    body = page(Client(), url + "?price_min=10")
    assert dear.name in body
    assert cheap.name not in body
    body = page(Client(), url + "?price_max=10&in_stock=on")
    assert cheap.name in body
    assert gone.name not in body
    assert dear.name not in body
    body = page(Client(), url + "?tag=eco")
    assert dear.name in body
    assert cheap.name not in body
    body = page(Client(), url + "?rating_min=4")
    assert dear.name in body
    assert cheap.name not in body


def test_category_ordering_and_keyset_pagination() -> None:
    category = CategoryFactory.create()
    for index in range(14):
        stock_product(category=category, name=f"Item {index:02d}", price=f"{10 + index}.00")
    client = Client()
    first = page(client, f"/c/{category.slug}/?ordering=price")
    assert first.index("Item 00") < first.index("Item 01")
    assert "Item 13" not in first  # 12 per page
    assert 'id="next-page"' in first
    assert 'id="previous-page"' not in first
    next_href = first.split('id="next-page"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = page(client, f"/c/{category.slug}/" + next_href.replace("&amp;", "&"))
    assert "Item 13" in second
    assert "Item 00" not in second
    assert 'id="previous-page"' in second


DASH = "\N{EN DASH}"


def href_of(body: str, link_id: str) -> str:
    return (
        body.split(f'id="{link_id}"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    )


def result_count(body: str) -> str:
    return body.split('id="result-count" role="status">')[1].split("<")[0]


def test_keyset_pages_say_which_products_of_how_many_they_show() -> None:
    category = CategoryFactory.create()
    for index in range(14):
        stock_product(category=category, name=f"Item {index:02d}", price=f"{10 + index}.00")
    client = Client()
    url = f"/c/{category.slug}/"

    first = page(client, url + "?ordering=price")
    assert result_count(first) == f"Showing 1{DASH}12 of 14 products"
    second = page(client, url + href_of(first, "next-page"))
    assert result_count(second) == f"Showing 13{DASH}14 of 14 products"
    back = page(client, url + href_of(second, "previous-page"))
    assert result_count(back) == f"Showing 1{DASH}12 of 14 products"

    # A made-up position says only how many there are, never a range that cannot be.
    cursor = href_of(first, "next-page").split("cursor=")[1].split("&")[0]
    for start in ("999", "nonsense", "-3"):
        body = page(client, f"{url}?ordering=price&cursor={cursor}&start={start}")
        assert result_count(body) in ("14 products", f"Showing 1{DASH}2 of 14 products")


def test_a_single_page_gives_the_count_without_a_range() -> None:
    category = CategoryFactory.create()
    stock_product(category=category)
    stock_product(category=category)

    assert result_count(page(Client(), f"/c/{category.slug}/")) == "2 products"


def test_bad_filters_are_shown_next_to_their_field_and_keep_the_input() -> None:
    category = CategoryFactory.create()
    stock_product(category=category, name="Lamp", price="20.00")
    body = page(Client(), f"/c/{category.slug}/?price_min=30&price_max=10")
    assert "must not be lower than the minimum" in body
    assert 'value="30"' in body
    assert 'value="10"' in body
    assert "Lamp" in body  # the wrong pair is left out; the list still shows


def test_a_tampered_cursor_is_a_message_not_a_500() -> None:
    category = CategoryFactory.create()
    stock_product(category=category)
    response = Client().get(f"/c/{category.slug}/?cursor=garbage")
    assert response.status_code == 400
    assert "cursor" in response.content.decode().lower()


def test_search_finds_products_by_name() -> None:
    stock_product(name="Copper kettle")
    stock_product(name="Wool blanket")
    body = page(Client(), "/search/?q=kettle")
    assert "Copper kettle" in body
    assert "Wool blanket" not in body
    assert 'value="kettle"' in body


@pytest.mark.parametrize("count", [2, 6])
def test_category_queries_do_not_grow_and_a_warm_page_reads_no_catalog(
    count: int, django_assert_num_queries: AssertQueries
) -> None:
    category = CategoryFactory.create()
    for _ in range(count):
        stock_product(category=category, variants=3, tags=[TagFactory.create()])
    url = f"/c/{category.slug}/?ordering=-price&in_stock=on"
    cache.clear()
    # Cold: tags, discounts, category rows, the page of cards (with their tags and first
    # images); the facets: the attributes, the summary counts and the tag counts (no attribute
    # has a value here, and the category no sub-category, so neither is counted).
    with django_assert_num_queries(7):
        Client().get(url)
    with django_assert_num_queries(0):
        Client().get(url)


def test_a_warm_category_page_reads_no_catalog_for_a_signed_in_customer() -> None:
    category = CategoryFactory.create()
    stock_product(category=category)
    browser = browser_for(UserFactory.create())
    browser.get(f"/c/{category.slug}/")
    with capture() as queries:
        response = browser.get(f"/c/{category.slug}/")
    assert response.status_code == 200
    assert queries.captured_queries  # session, user and cart: per-user reads are fine
    assert catalog_queries(queries) == []


def test_the_catalog_fragment_cache_follows_catalog_writes() -> None:
    category = CategoryFactory.create()
    product = stock_product(category=category, name="Old name")
    client = Client()
    assert "Old name" in page(client, f"/c/{category.slug}/")
    product.name = "New name"
    product.save()
    stock_product(category=category, name="Another")  # bumps the catalog version
    body = page(client, f"/c/{category.slug}/")
    assert "New name" in body
    assert "Old name" not in body


# --- Product --------------------------------------------------------------------------------


def test_product_page_shows_variants_prices_discount_and_stock() -> None:
    product = stock_product(name="Linen shirt", price="40.00", variants=2)
    first, second = product.variants.order_by("position")
    second.stock = 0
    second.save()
    DiscountFactory.create(product=product, percent=Decimal(25))
    bump_catalog_version()
    body = page(Client(), f"/p/{product.slug}/")
    assert "<h1" in body
    assert body.count("<h1") == 1
    assert f'id="variant-{first.sku}"' in body
    assert f'id="variant-{second.sku}"' in body
    assert f'<label for="variant-{first.sku}">' in body
    assert "30.00" in body
    assert "40.00" in body
    assert "\u221225%" in body
    assert "Out of stock" in body
    assert "In stock" in body
    assert 'id="add-to-cart"' in body
    assert 'id="add-quantity"' in body
    assert "csrfmiddlewaretoken" in body


def test_product_page_shows_reviews_and_the_average() -> None:
    product = stock_product()
    ReviewFactory.create(product=product, rating=5, title="Lovely")
    ReviewFactory.create(product=product, rating=3, title="Fine")
    body = page(Client(), f"/p/{product.slug}/")
    assert "Lovely" in body
    assert "Fine" in body
    assert "Rated 4.0 out of 5 from 2 reviews" in body
    assert 'id="review-form"' not in body  # anonymous visitors are asked to sign in
    # Stars for the eye, hidden from screen readers, which read the words beside them.
    assert STARS.format("★★★★", "☆") in body  # the average
    assert STARS.format("★★★★★", "") in body  # each review's own
    assert STARS.format("★★★", "☆☆") in body


STARS = '<span class="stars" aria-hidden="true">{}<span class="stars-empty">{}</span></span>'


@pytest.mark.parametrize(
    ("rating", "filled"),
    [(None, None), (0, 0), (Decimal("2.49"), 2), (Decimal("2.5"), 3), (4.6, 5), (5, 5), (7, 5)],
)
def test_stars_fill_to_the_nearest_whole_star(rating, filled) -> None:
    drawn = stars(rating)
    if filled is None:
        assert drawn == ""
    else:
        assert drawn == STARS.format("★" * filled, "☆" * (5 - filled))


def test_a_card_states_its_rating_in_words_beside_the_stars() -> None:
    product = stock_product()
    ReviewFactory.create(product=product, rating=4)
    body = page(Client(), f"/c/{product.category.slug}/")
    card = body.split('<span class="rating">', 1)[1].split("</p>", 1)[0]
    # What a screen reader reads: everything but what is hidden from it.
    heard = re.sub(r'<span[^>]*aria-hidden="true">.*?</span>(</span>)?', "", card)
    heard = " ".join(re.sub(r"<[^>]+>", "", heard).split())
    assert heard == "Rated 4.0 out of 5, 1 review"


def test_unknown_product_is_404() -> None:
    assert Client().get("/p/nothing-here/").status_code == 404


@pytest.mark.parametrize("count", [2, 6])
def test_product_queries_do_not_grow_with_variants_or_reviews(
    count: int, django_assert_num_queries: AssertQueries
) -> None:
    product = stock_product(variants=count)
    for _ in range(count):
        ReviewFactory.create(product=product)
    cache.clear()
    # Cold: discounts, category rows, product, its variants, images and attribute values, its
    # id, the reviews, the shipping methods' offer, the related products' candidates (none
    # here: no cards to read).
    with django_assert_num_queries(10):
        Client().get(f"/p/{product.slug}/")
    with django_assert_num_queries(0):
        Client().get(f"/p/{product.slug}/")


def test_the_product_page_tells_what_shipping_costs_and_follows_a_change_of_method(
    django_capture_on_commit_callbacks: Any,
) -> None:
    product = stock_product()
    standard = ShippingMethodFactory.create(
        name="Standard", price=Decimal("4.90"), free_above=Decimal(50)
    )
    ShippingMethodFactory.create(name="Express", price=Decimal("12.90"))
    note = "Shipping from 4.90 EUR; Standard shipping is free on orders of 50.00 EUR or more."
    assert note in page(Client(), f"/p/{product.slug}/")

    with django_capture_on_commit_callbacks(execute=True):
        standard.free_above = Decimal(80)
        standard.save()

    assert "free on orders of 80.00 EUR or more" in page(Client(), f"/p/{product.slug}/")


def test_a_customer_reviews_a_product_once() -> None:
    user: User = UserFactory.create()
    product = stock_product()
    browser = browser_for(user)
    form = {"rating": "4", "title": "Sturdy", "body": "Does the job."}
    response = browser.post(f"/p/{product.slug}/reviews/", form)
    assert response.status_code == 302
    assert Review.objects.filter(product=product, user=user, rating=4).exists()
    assert "Sturdy" in page(browser, f"/p/{product.slug}/")

    again = browser.post(f"/p/{product.slug}/reviews/", {**form, "title": "Second thoughts"})
    assert again.status_code == 400
    body = again.content.decode()
    assert "already reviewed this product" in body
    assert 'value="Second thoughts"' in body  # what was typed is kept
    assert Review.objects.filter(product=product, user=user).count() == 1


def test_a_review_without_a_rating_shows_the_error_and_keeps_the_text() -> None:
    product = stock_product()
    browser = browser_for(UserFactory.create())
    response = browser.post(f"/p/{product.slug}/reviews/", {"title": "Hmm", "body": "Words"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "This field is required." in body
    assert 'value="Hmm"' in body
    assert "Words</textarea>" in body
    assert not Review.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in_to_review() -> None:
    product = stock_product()
    response = Client().post(f"/p/{product.slug}/reviews/", {"rating": "5"})
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/?next=")
    assert not Review.objects.exists()


# --- Add to cart ----------------------------------------------------------------------------


def test_add_to_cart_redirects_to_the_cart_with_a_message() -> None:
    product = stock_product(name="Desk lamp")
    client = Client()
    response = add_to_cart(client, product, quantity=2)
    assert response.status_code == 302
    assert response["Location"] == "/cart/"
    body = page(client, "/cart/")
    assert "Added 2 x Desk lamp to your cart." in body
    assert 'id="cart-count" aria-label="items in cart">2<' in body


def test_add_to_cart_answers_the_page_script_in_json() -> None:
    product = stock_product(name="Desk lamp")
    client = Client()
    response = client.post(
        f"/p/{product.slug}/add/",
        {"sku": first_variant(product).sku, "quantity": 3},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.json() == {"message": "Added 3 x Desk lamp to your cart.", "item_count": 3}
    too_many = client.post(
        f"/p/{product.slug}/add/",
        {"sku": first_variant(product).sku, "quantity": 50},
        headers={"Accept": "application/json"},
    )
    assert too_many.status_code == 400
    assert "available" in too_many.json()["errors"]["quantity"][0]


def test_adding_more_than_the_stock_is_a_field_error_that_keeps_the_input() -> None:
    product = stock_product(stock=3)
    response = add_to_cart(Client(), product, quantity=7)
    assert response.status_code == 400
    body = response.content.decode()
    assert "3 available." in body
    assert 'value="7"' in body
    sku = first_variant(product).sku
    assert re.search(rf'value="{sku}" id="variant-{sku}"\s+checked', body), body


def test_add_to_cart_without_a_variant_is_a_form_error() -> None:
    product = stock_product()
    response = Client().post(f"/p/{product.slug}/add/", {"quantity": 1})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_a_cached_page_shows_a_discount_when_it_starts_without_any_write(
    time_machine: Any, settings: Any
) -> None:
    time_machine.move_to(T0, tick=False)
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    category = CategoryFactory.create()
    product = stock_product(category=category, price="20.00")
    DiscountFactory.create(
        product=product,
        percent=Decimal(25),
        starts_at=T0 + timedelta(minutes=2),
        ends_at=T0 + timedelta(minutes=5),
    )
    bump_catalog_version()
    urls = [f"/p/{product.slug}/", f"/c/{category.slug}/"]
    client = Client()

    def discounted() -> list[bool]:
        return ["15.00" in page(client, url) for url in urls]

    assert discounted() == [False, False]
    time_machine.move_to(T0 + timedelta(minutes=2), tick=False)
    assert discounted() == [True, True]
    time_machine.move_to(T0 + timedelta(minutes=5), tick=False)
    assert discounted() == [False, False]

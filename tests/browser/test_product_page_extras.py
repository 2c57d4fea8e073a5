"""The product page in a real browser, at desktop and phone sizes: tags by name, stars, what
shipping costs, and a wishlist that keeps products for later; and the shop's own 404 page."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from apps.cart.tests.factories import ShippingMethodFactory
from apps.catalog.tests.factories import (
    CategoryFactory,
    ReviewFactory,
    TagFactory,
    make_product,
)
from apps.users.tests.factories import UserFactory
from apps.wishlist.models import WishlistItem
from tests.browser.test_back_office import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def lamp() -> None:
    lighting = CategoryFactory.create(name="Lighting", slug="lighting")
    product = make_product(name="Desk Lamp", slug="desk-lamp", category=lighting, price=Decimal(30))
    product.tags.add(TagFactory.create(name="Budget pick", slug="budget-pick"))
    ReviewFactory.create(product=product, rating=4)
    ShippingMethodFactory.create(name="Standard", price=Decimal("4.90"), free_above=Decimal(50))


def sign_in(page: Page, email: str) -> None:
    """Fill in and send the sign-in form the page shows."""
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("#login-button").click()


def test_the_product_page_names_its_tags_and_tells_what_shipping_costs(
    sized_page: Page, lamp: None
) -> None:
    page = sized_page
    page.goto("/p/desk-lamp/")

    tags = page.get_by_role("list", name="Tags")
    expect(tags).to_have_text("Budget pick")
    expect(tags.get_by_role("link", name="Budget pick")).to_have_attribute(
        "href", re.compile(r"\?tag=budget-pick$")
    )
    expect(page.locator("#shipping-note")).to_have_text(
        "Shipping from 4.90 EUR; Standard shipping is free on orders of 50.00 EUR or more."
    )
    # Four stars drawn for the eye, the rating in words for everyone.
    summary = page.locator("#rating-summary")
    expect(summary.locator(".stars")).to_have_attribute("aria-hidden", "true")
    expect(summary.locator(".stars")).to_have_text("★★★★☆")
    expect(summary).to_contain_text("Rated 4.0 out of 5 from 1 review")


def test_an_unknown_address_shows_the_shops_own_404_page(sized_page: Page) -> None:
    response = sized_page.goto("/no-such-page/")

    assert response is not None
    assert response.status == 404
    expect(sized_page.get_by_role("heading", level=1)).to_have_text("We could not find that page")
    expect(sized_page.get_by_role("link", name="home page")).to_be_visible()
    expect(sized_page.locator("body")).not_to_contain_text("URLconf")


def test_a_customer_saves_a_product_for_later_and_takes_it_off_again(
    sized_page: Page, lamp: None
) -> None:
    page = sized_page
    customer = UserFactory.create(email="ada@example.com", password=PASSWORD)

    # Signed out, saving asks to sign in first, then comes back to the product.
    page.goto("/p/desk-lamp/")
    page.get_by_role("button", name="Save for later").click()
    expect(page).to_have_url(re.compile(r"/account/login/\?next=%2Fp%2Fdesk-lamp%2F$"))
    sign_in(page, customer.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Desk Lamp")
    page.get_by_role("button", name="Save for later").click()

    expect(page.locator("#wishlist-state")).to_have_text("In your wishlist.")
    assert WishlistItem.objects.filter(user=customer, product__slug="desk-lamp").count() == 1
    page.locator("#wishlist-state").get_by_role("link", name="wishlist").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your wishlist")
    expect(page.locator("#wishlist")).to_contain_text("Desk Lamp")
    expect(page.locator("#wishlist")).to_contain_text("30.00 EUR")

    page.get_by_role("button", name="Remove Desk Lamp from the wishlist").click()
    expect(page.locator("#wishlist-empty")).to_be_visible()
    assert not WishlistItem.objects.exists()


def test_a_customer_saves_a_cart_line_for_later(sized_page: Page, lamp: None) -> None:
    page = sized_page
    customer = UserFactory.create(email="ada@example.com", password=PASSWORD)
    page.goto("/account/login/")
    sign_in(page, customer.email)
    page.goto("/p/desk-lamp/")
    page.locator("#add-to-cart").click()
    expect(page.locator("#mini-cart")).to_be_visible()
    page.goto("/cart/")

    page.get_by_role("button", name=re.compile(r"Save for later.*Desk Lamp")).click()

    expect(page.locator(".messages, [role=status]").first).to_contain_text("in your wishlist")
    expect(page.get_by_text("Your cart is empty")).to_be_visible()
    page.goto("/account/wishlist/")
    expect(page.locator("#wishlist")).to_contain_text("Desk Lamp")

"""The wishlist in the storefront: the product page's button, the account's wishlist page, and
saving a cart line for later."""

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from apps.cart.models import CartLine
from apps.catalog.models import Product
from apps.storefront.tests.helpers import add_to_cart, browser_for, stock_product
from apps.users.models import User
from apps.users.tests.factories import DEFAULT_PASSWORD, UserFactory
from apps.wishlist import services
from apps.wishlist.models import WishlistItem
from apps.wishlist.tests.helpers import saved_slugs

pytestmark = pytest.mark.django_db

WISHLIST_PAGE = "/account/wishlist/"
SAVE_BUTTON = '<button type="submit" id="wishlist-button">Save for later</button>'
REMOVE_BUTTON = '<button type="submit" id="wishlist-button">Remove from wishlist</button>'


@pytest.fixture
def lamp() -> Product:
    return stock_product(name="Walnut desk lamp", slug="walnut-desk-lamp")


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.content
    return response.content.decode()


def product_page(client: Client, product: Product) -> str:
    return page(client, f"/p/{product.slug}/")


# --- The product page -----------------------------------------------------------------------


def test_the_product_page_offers_to_save_for_later_to_everyone(lamp: Product, user: User) -> None:
    for client in [Client(), browser_for(user)]:
        body = product_page(client, lamp)
        assert SAVE_BUTTON in body
        assert f'action="/p/{lamp.slug}/save/" class="wishlist-form" id="wishlist-form"' in body
        assert REMOVE_BUTTON not in body
        assert 'id="wishlist-state"' not in body


def test_saving_goes_back_to_the_product_page_which_offers_to_remove(
    lamp: Product, user: User
) -> None:
    browser = browser_for(user)

    response = browser.post(f"/p/{lamp.slug}/save/")

    assert response.status_code == 302
    assert response["Location"] == f"/p/{lamp.slug}/"
    assert saved_slugs(user) == {lamp.slug}
    body = product_page(browser, lamp)
    assert "Saved to your wishlist." in body
    assert REMOVE_BUTTON in body
    assert SAVE_BUTTON not in body
    assert 'id="wishlist-state">In your <a href="/account/wishlist/">wishlist</a>' in body
    assert f'action="/account/wishlist/{lamp.slug}/remove/"' in body
    assert f'name="next" value="/p/{lamp.slug}/"' in body


def test_saving_twice_keeps_one_save(lamp: Product, user: User) -> None:
    browser = browser_for(user)

    for _ in range(2):
        assert browser.post(f"/p/{lamp.slug}/save/")["Location"] == f"/p/{lamp.slug}/"

    assert WishlistItem.objects.filter(user=user).count() == 1


def test_what_one_customer_saved_is_not_shown_saved_to_others(lamp: Product, user: User) -> None:
    product_page(Client(), lamp)  # the page anonymous visitors share is now cached
    browser_for(user).post(f"/p/{lamp.slug}/save/")

    assert SAVE_BUTTON in product_page(Client(), lamp)
    assert SAVE_BUTTON in product_page(browser_for(UserFactory.create()), lamp)
    assert REMOVE_BUTTON in product_page(browser_for(user), lamp)


def test_saving_is_a_post(lamp: Product, user: User) -> None:
    assert browser_for(user).get(f"/p/{lamp.slug}/save/").status_code == 405
    assert not saved_slugs(user)


def test_anonymous_visitors_are_sent_to_sign_in_to_save(lamp: Product) -> None:
    response = Client().post(f"/p/{lamp.slug}/save/")

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == "/account/login/"
    # Back to the product page after signing in, not to the POST-only address of the form.
    assert urlsplit(parse_qs(location.query)["next"][0]).path == f"/p/{lamp.slug}/"
    assert not WishlistItem.objects.exists()


def test_signing_in_from_the_save_redirect_lands_on_a_page_that_works(
    lamp: Product, user: User
) -> None:
    """The sign-in page sends the customer on to its `next` with a GET: a POST-only address
    there would answer 405."""
    client = Client()
    login = urlsplit(client.post(f"/p/{lamp.slug}/save/")["Location"])
    target = parse_qs(login.query)["next"][0]

    signed_in = client.post(
        login.path, {"email": user.email, "password": DEFAULT_PASSWORD, "next": target}
    )
    assert signed_in.status_code == 302
    landed = client.get(signed_in["Location"])

    assert landed.status_code == 200, (signed_in["Location"], landed.status_code)
    assert SAVE_BUTTON in landed.content.decode()


def test_saving_a_product_customers_cannot_see_is_a_404(user: User) -> None:
    hidden = stock_product(slug="hidden-lamp", is_active=False)

    assert browser_for(user).post(f"/p/{hidden.slug}/save/").status_code == 404
    assert browser_for(user).post("/p/no-such-lamp/save/").status_code == 404
    assert not saved_slugs(user)


def test_a_full_wishlist_says_so_on_the_product_page(user: User, settings: Any) -> None:
    settings.WISHLIST_MAX_ITEMS = 1
    first, second = stock_product(), stock_product()
    browser = browser_for(user)
    browser.post(f"/p/{first.slug}/save/")

    response = browser.post(f"/p/{second.slug}/save/", follow=True)

    assert response.redirect_chain == [(f"/p/{second.slug}/", 302)]
    body = response.content.decode()
    assert "Your wishlist holds 1 products, as many as it can" in body
    assert SAVE_BUTTON in body
    assert saved_slugs(user) == {first.slug}


# --- The wishlist page ----------------------------------------------------------------------


def test_the_wishlist_page_lists_the_saved_products(lamp: Product, user: User) -> None:
    chair = stock_product(name="Oak reading chair")
    browser = browser_for(user)
    assert 'id="wishlist-empty"' in page(browser, WISHLIST_PAGE)
    browser.post(f"/p/{lamp.slug}/save/")
    browser.post(f"/p/{chair.slug}/save/")

    body = page(browser, WISHLIST_PAGE)

    assert "Walnut desk lamp" in body
    assert "Oak reading chair" in body
    assert body.index("Oak reading chair") < body.index("Walnut desk lamp")  # newest first
    assert '<p id="wishlist-count">2 products saved for later.</p>' in body
    assert f'action="/account/wishlist/{lamp.slug}/remove/"' in body
    assert f'id="remove-{lamp.slug}"' in body
    assert 'id="wishlist-empty"' not in body


def test_the_wishlist_page_needs_a_signed_in_customer() -> None:
    response = Client().get(WISHLIST_PAGE)

    assert response.status_code == 302
    assert response["Location"] == f"/account/login/?next={WISHLIST_PAGE}"


def test_the_wishlist_page_leaves_out_a_product_hidden_since(lamp: Product, user: User) -> None:
    services.save_for_later(user=user, slug=lamp.slug)
    lamp.is_active = False
    lamp.save(update_fields=["is_active"])

    body = page(browser_for(user), WISHLIST_PAGE)

    assert "Walnut desk lamp" not in body
    assert 'id="wishlist-empty"' in body


def test_another_customers_wishlist_page_does_not_show_it(lamp: Product, user: User) -> None:
    browser_for(user).post(f"/p/{lamp.slug}/save/")

    body = page(browser_for(UserFactory.create()), WISHLIST_PAGE)

    assert "Walnut desk lamp" not in body
    assert 'id="wishlist-empty"' in body
    assert "Walnut desk lamp" in page(browser_for(user), WISHLIST_PAGE)


def test_the_remove_form_takes_it_off(lamp: Product, user: User) -> None:
    services.save_for_later(user=user, slug=lamp.slug)
    browser = browser_for(user)

    response = browser.post(f"/account/wishlist/{lamp.slug}/remove/", follow=True)

    assert response.redirect_chain == [(WISHLIST_PAGE, 302)]
    body = response.content.decode()
    assert "Removed from your wishlist." in body
    assert "Walnut desk lamp" not in body
    assert 'id="wishlist-empty"' in body
    assert not saved_slugs(user)


def test_removing_from_the_product_page_goes_back_to_it(lamp: Product, user: User) -> None:
    services.save_for_later(user=user, slug=lamp.slug)
    browser = browser_for(user)

    response = browser.post(f"/account/wishlist/{lamp.slug}/remove/", {"next": f"/p/{lamp.slug}/"})

    assert response["Location"] == f"/p/{lamp.slug}/"
    assert not saved_slugs(user)
    assert SAVE_BUTTON in product_page(browser, lamp)


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "https://evil.example/account/"]
)
def test_removing_ignores_an_outside_next_target(lamp: Product, user: User, target: str) -> None:
    services.save_for_later(user=user, slug=lamp.slug)

    response = browser_for(user).post(f"/account/wishlist/{lamp.slug}/remove/", {"next": target})

    assert response.status_code == 302
    assert response["Location"] == WISHLIST_PAGE
    assert not saved_slugs(user)


def test_removing_what_is_not_saved_changes_nothing(lamp: Product, user: User) -> None:
    other = UserFactory.create()
    services.save_for_later(user=other, slug=lamp.slug)

    response = browser_for(user).post(f"/account/wishlist/{lamp.slug}/remove/", follow=True)

    assert response.redirect_chain == [(WISHLIST_PAGE, 302)]
    assert "Removed from your wishlist." not in response.content.decode()
    assert saved_slugs(other) == {lamp.slug}


def test_removing_needs_a_signed_in_customer_and_a_post(lamp: Product, user: User) -> None:
    services.save_for_later(user=user, slug=lamp.slug)
    url = f"/account/wishlist/{lamp.slug}/remove/"

    anonymous = Client().post(url)

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/account/login/?next=")
    assert browser_for(user).get(url).status_code == 405
    assert saved_slugs(user) == {lamp.slug}


def test_the_account_pages_link_to_the_wishlist(user: User) -> None:
    body = page(browser_for(user), WISHLIST_PAGE)

    assert '<a href="/account/wishlist/" aria-current="page">Wishlist</a>' in body
    assert '<a href="/account/wishlist/">Wishlist</a>' in page(browser_for(user), "/account/")


# --- Save for later, from the cart ----------------------------------------------------------


def cart_lines(client: Client) -> list[int]:
    """Return the ids of the cart's lines, as the cart page's save buttons name them."""
    body = page(client, "/cart/")
    return [int(n) for n in re.findall(r'id="save-(\d+)"', body)]


def test_a_cart_line_saved_for_later_leaves_the_cart_for_the_wishlist(
    user: User, lamp: Product
) -> None:
    browser = browser_for(user)
    add_to_cart(browser, lamp, quantity=2)
    [line_id] = cart_lines(browser)

    response = browser.post(f"/cart/lines/{line_id}/save/")

    assert response.status_code == 302
    assert response["Location"] == "/cart/"
    assert saved_slugs(user) == {lamp.slug}
    assert not CartLine.objects.filter(cart__user=user).exists()
    assert "it is in your wishlist, out of the cart" in page(browser, "/cart/")


def test_a_full_wishlist_keeps_the_line_in_the_cart(
    user: User, lamp: Product, settings: Any
) -> None:
    settings.WISHLIST_MAX_ITEMS = 1
    services.save_for_later(user=user, slug=stock_product(slug="other").slug)
    browser = browser_for(user)
    add_to_cart(browser, lamp)
    [line_id] = cart_lines(browser)

    browser.post(f"/cart/lines/{line_id}/save/")

    assert "as many as it can" in page(browser, "/cart/")
    assert CartLine.objects.filter(cart__user=user).count() == 1
    assert lamp.slug not in saved_slugs(user)


def test_saving_a_line_needs_a_signed_in_customer_and_their_own_line(
    user: User, lamp: Product
) -> None:
    guest = Client()
    add_to_cart(guest, lamp)
    line = CartLine.objects.get()
    assert "save-" not in page(guest, "/cart/")  # the button is for signed-in customers

    signed_out = guest.post(f"/cart/lines/{line.pk}/save/")
    assert signed_out["Location"] == "/account/login/?next=%2Fcart%2F"

    other = browser_for(user)
    add_to_cart(other, stock_product(slug="mug"))
    assert other.post(f"/cart/lines/{line.pk}/save/").status_code == 404
    assert CartLine.objects.filter(pk=line.pk).exists()
    assert saved_slugs(user) == set()

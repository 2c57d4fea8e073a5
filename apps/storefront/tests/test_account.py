"""Account pages: register, sign in and out, password reset, orders and saved addresses."""

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.test import Client
from django.utils import timezone

from apps.cart.models import Cart
from apps.orders.models import Order, OrderStatus
from apps.orders.services.lifecycle import mark_order_paid
from apps.orders.services.shipments import ShipmentItem, create_shipment
from apps.orders.tests.factories import buy, make_variant
from apps.storefront.tests.helpers import (
    ADDRESS_FORM,
    add_to_cart,
    browser_for,
    first_variant,
    stock_product,
)
from apps.users import services as user_services
from apps.users.models import Address, User
from apps.users.tests.factories import DEFAULT_PASSWORD, NEW_PASSWORD, UserFactory, sign_up_path

pytestmark = pytest.mark.django_db


def reverse_sign_up(*, email: str, full_name: str, next_url: str = "") -> str:
    """Return the path of a sign-up link, as the e-mail gives it."""
    token = user_services.sign_up_token(email=email, full_name=full_name, next_url=next_url)
    return f"/account/register/{token}/"


Capture = Callable[..., AbstractContextManager[Any]]


# --- Register, sign in, sign out ------------------------------------------------------------


def start_sign_up(client: Client, capture: Capture, **form: str) -> Any:
    with capture(execute=True):
        return client.post("/account/register/", form)


def test_signing_up_mails_a_link_that_finishes_the_account_signed_in_with_the_cart(
    django_capture_on_commit_callbacks: Capture,
) -> None:
    client = Client()
    add_to_cart(client, stock_product(), quantity=2)

    sent = start_sign_up(
        client,
        django_capture_on_commit_callbacks,
        full_name="Ada Lovelace",
        email="Ada@Example.com",
    )

    assert sent.status_code == 200
    assert "We have sent an e-mail to <strong>Ada@Example.com</strong>" in sent.content.decode()
    assert not User.objects.exists()  # nothing is created before the link is opened
    (message,) = mail.outbox
    assert message.to == ["ada@example.com"]
    assert message.subject == "Finish creating your Emporium account"
    link = sign_up_path(message)
    assert "ada@example.com" in client.get(link).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(link, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert done.status_code == 302
    assert done["Location"] == "/account/"
    user = User.objects.get(email="ada@example.com")
    assert user.full_name == "Ada Lovelace"
    assert client.get("/account/").status_code == 200
    assert Cart.objects.get(user=user).lines.get().quantity == 2
    assert [m.subject for m in mail.outbox][1] == "Welcome to Emporium"
    # The link made one account; opened again, it says so and creates nothing.
    again = client.post(link, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert again.status_code == 409
    assert "This link has been used" in again.content.decode()
    assert User.objects.count() == 1


def test_signing_up_with_an_address_that_has_an_account_reveals_nothing_on_the_page(
    django_capture_on_commit_callbacks: Capture,
) -> None:
    UserFactory.create(email="taken@example.com")
    new = start_sign_up(Client(), django_capture_on_commit_callbacks, email="new@example.com")
    taken = start_sign_up(Client(), django_capture_on_commit_callbacks, email="TAKEN@example.com")

    assert (new.status_code, taken.status_code) == (200, 200)
    assert (
        new.templates[0].name == taken.templates[0].name == "storefront/account/register_sent.html"
    )
    assert "already" not in taken.content.decode()
    # Only the address's owner learns it has an account, by e-mail, with the way to sign in.
    exists = next(m for m in mail.outbox if m.to == ["taken@example.com"])
    assert exists.subject == "You already have an Emporium account"
    assert "http://127.0.0.1:8000/account/login/" in exists.body
    assert "/account/register/" not in exists.body
    assert User.objects.count() == 1


def test_the_sign_up_form_says_what_is_wrong_and_keeps_the_input() -> None:
    response = Client().post("/account/register/", {"full_name": "Me", "email": "not-an-email"})

    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter an e-mail address like name@example.com." in body
    assert 'value="Me"' in body
    assert mail.outbox == []


def test_choosing_the_password_reports_every_problem_at_once() -> None:
    """Each password rule broken, and the retype, in one answer: not one problem per try."""
    link = reverse_sign_up(email="ada@example.com", full_name="Ada")

    response = Client().post(link, {"password1": "1234", "password2": "12345"})

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["password1"] == [
        "This password is too short. It must contain at least 8 characters.",
        "This password is too common.",
        "This password is entirely numeric.",
    ]
    assert errors["password2"] == ["The two passwords differ."]
    assert "1234" not in response.content.decode()  # passwords are never sent back
    assert not User.objects.exists()


def test_a_made_up_tampered_or_expired_sign_up_link_says_it_no_longer_works(
    time_machine: Any,
) -> None:
    link = reverse_sign_up(email="ada@example.com", full_name="Ada")
    token = link.split("/")[-2]
    for broken in ["/account/register/made-up/", f"/account/register/{token[:-2]}xy/"]:
        response = Client().get(broken)
        assert response.status_code == 400
        assert "invalid or has expired" in response.content.decode()

    time_machine.move_to(timezone.now() + timedelta(seconds=settings.SIGN_UP_TIMEOUT + 60))
    expired = Client().post(link, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert expired.status_code == 400
    assert "invalid or has expired" in expired.content.decode()
    assert not User.objects.exists()


def test_a_sign_up_link_goes_on_to_the_page_it_started_from_but_never_off_the_site() -> None:
    inside = reverse_sign_up(email="ada@example.com", full_name="", next_url="/checkout/")
    outside = reverse_sign_up(
        email="bob@example.com", full_name="", next_url="https://evil.example/"
    )
    password = {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}

    assert Client().post(inside, password)["Location"] == "/checkout/"
    assert Client().post(outside, password)["Location"] == "/account/"


def test_login_with_a_wrong_password_is_a_form_error() -> None:
    user = UserFactory.create()
    response = Client().post("/account/login/", {"email": user.email, "password": "wrong"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "The e-mail address or the password is not correct." in body
    assert f'value="{user.email}"' in body


def test_login_merges_the_session_cart_into_the_users_cart() -> None:
    user: User = UserFactory.create()
    kept, shared, new = stock_product(), stock_product(), stock_product()
    # The customer's own cart from an earlier visit...
    earlier = browser_for(user)
    add_to_cart(earlier, kept)
    add_to_cart(earlier, shared, quantity=1)
    # ...and a cart filled while signed out in another browser.
    client = Client()
    add_to_cart(client, shared, quantity=2)
    add_to_cart(client, new, quantity=3)
    anonymous = Cart.objects.get(token=client.session["storefront:cart_token"])

    response = client.post(
        "/account/login/", {"email": user.email, "password": DEFAULT_PASSWORD, "next": "/cart/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/cart/"
    cart = Cart.objects.get(user=user)
    quantities = {line.variant_id: line.quantity for line in cart.lines.all()}
    assert quantities == {
        first_variant(kept).pk: 1,
        first_variant(shared).pk: 3,
        first_variant(new).pk: 3,
    }
    assert not Cart.objects.filter(pk=anonymous.pk).exists()
    assert "storefront:cart_token" not in client.session
    assert 'id="cart-count" aria-label="items in cart">7<' in client.get("/cart/").content.decode()


def test_login_ignores_an_outside_next_target() -> None:
    user = UserFactory.create()
    response = Client().post(
        "/account/login/",
        {"email": user.email, "password": DEFAULT_PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/account/"


def test_logout_is_a_post_and_ends_the_session() -> None:
    browser = browser_for(UserFactory.create())
    assert browser.get("/account/logout/").status_code == 405
    assert browser.post("/account/logout/").status_code == 302
    response = browser.get("/account/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")


def test_forms_carry_csrf_and_posts_without_it_are_refused() -> None:
    product = stock_product()
    client = Client(enforce_csrf_checks=True)
    for url in ["/account/login/", "/account/register/", "/account/password-reset/"]:
        assert "csrfmiddlewaretoken" in client.get(url).content.decode()
    assert client.post(f"/p/{product.slug}/add/", {"sku": "x", "quantity": 1}).status_code == 403
    assert client.post("/account/login/", {"email": "a@b.c", "password": "x"}).status_code == 403


# --- Password reset -------------------------------------------------------------------------


def test_password_reset_by_email_link(django_capture_on_commit_callbacks: Capture) -> None:
    user: User = UserFactory.create()
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/account/password-reset/", {"email": user.email.upper()})
    assert response.status_code == 302
    (message,) = mail.outbox
    link = re.search(r"http://\S+/account/reset/(\S+)/(\S+)/", str(message.body))
    assert link is not None
    path = f"/account/reset/{link.group(1)}/{link.group(2)}/"
    assert 'id="id_new_password1"' in client.get(path).content.decode()

    mismatch = client.post(path, {"new_password1": NEW_PASSWORD, "new_password2": "different"})
    assert mismatch.status_code == 400
    done = client.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == "/account/login/"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    again = client.post(
        path, {"new_password1": "yet-another-phrase", "new_password2": "yet-another-phrase"}
    )
    assert again.status_code == 400
    assert "invalid or has expired" in again.content.decode()


@pytest.mark.parametrize(
    "link",
    ["made-up/also-made-up", "{uid}/{token}x", "{uid}/{token}"],
    ids=["made up", "tampered token", "used"],
)
def test_a_reset_link_that_does_not_work_says_so_and_offers_a_new_one(link: str) -> None:
    user: User = UserFactory.create()
    uid = user_services.password_reset_uid(user)
    token = default_token_generator.make_token(user)
    if link == "{uid}/{token}":  # used: the password changed since, so the token stops working
        user_services.reset_password(uid=uid, token=token, new_password=NEW_PASSWORD)
    path = f"/account/reset/{link.format(uid=uid, token=token)}/"

    attempt = NEW_PASSWORD.upper()  # not the current password, whichever case this is

    shown = Client().get(path)
    posted = Client().post(path, {"new_password1": attempt, "new_password2": attempt})

    for response in (shown, posted):
        body = response.content.decode()
        assert response.status_code == 400
        assert "invalid or has expired" in body
        assert 'href="/account/password-reset/"' in body
        assert "Choose a new password" not in body
        assert 'id="id_new_password1"' not in body
    user.refresh_from_db()
    assert not user.check_password(attempt)


def test_password_reset_for_an_unknown_address_says_the_same_and_sends_nothing(
    django_capture_on_commit_callbacks: Capture,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            "/account/password-reset/", {"email": "nobody@example.com"}, follow=True
        )
    assert "If an account uses this address" in response.content.decode()
    assert mail.outbox == []


def test_a_weak_new_password_is_a_field_error() -> None:
    user: User = UserFactory.create()
    uid = user_services.password_reset_uid(user)
    token = default_token_generator.make_token(user)
    response = Client().post(
        f"/account/reset/{uid}/{token}/", {"new_password1": "abc", "new_password2": "abc"}
    )
    assert response.status_code == 400
    assert "too short" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


# --- Orders ---------------------------------------------------------------------------------


def test_order_history_and_detail_with_events() -> None:
    user: User = UserFactory.create()
    order = buy({make_variant(product_name="Globe"): 1}, user=user)
    browser = browser_for(user)
    history = browser.get("/account/").content.decode()
    assert order.number in history
    assert "Pending payment" in history
    detail = browser.get(f"/account/orders/{order.pk}/").content.decode()
    assert "Globe" in detail
    assert 'id="order-events"' in detail
    assert "Placed." in detail
    assert 'id="cancel-order"' in detail


def test_the_order_page_lists_each_parcel_with_its_tracking_link() -> None:
    user: User = UserFactory.create()
    order = buy(
        {make_variant(product_name="Globe"): 2, make_variant(product_name="Atlas"): 1}, user=user
    )
    mark_order_paid(order=order, actor=None)
    globe = order.lines.get(product_name="Globe")
    create_shipment(
        order=order,
        items=[ShipmentItem(line_id=globe.pk, quantity=1)],
        actor=None,
        carrier="DHL",
        tracking_number="00340434",
    )

    page = browser_for(user).get(f"/account/orders/{order.pk}/").content.decode()

    assert "Partially shipped" in page
    assert 'id="shipment-1"' in page
    assert "1 \u00d7 Globe" in page
    assert 'class="tracking-number">00340434<' in page
    assert 'href="https://www.dhl.com/global-en/home/tracking.html?tracking-id=00340434"' in page
    assert "Track parcel 1" in page
    assert "(1 shipped)" in page  # the globe line: 1 of 2 has gone out
    assert 'id="order-refunds"' not in page  # nothing refunded yet


def test_another_customers_order_is_404() -> None:
    order = buy({make_variant(): 1}, user=UserFactory.create())
    stranger = browser_for(UserFactory.create())
    assert stranger.get(f"/account/orders/{order.pk}/").status_code == 404
    assert stranger.get(f"/orders/{order.pk}/").status_code == 404
    assert stranger.post(f"/account/orders/{order.pk}/cancel/").status_code == 404
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_cancelling_a_pending_order_restocks_it() -> None:
    user: User = UserFactory.create()
    variant = make_variant(stock=5)
    order = buy({variant: 2}, user=user)
    variant.refresh_from_db()
    assert variant.stock == 3
    browser = browser_for(user)
    response = browser.post(f"/account/orders/{order.pk}/cancel/", follow=True)
    assert "is cancelled" in response.content.decode()
    order.refresh_from_db()
    variant.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert variant.stock == 5
    again = browser.post(f"/account/orders/{order.pk}/cancel/", follow=True)
    assert "can no longer be cancelled" in again.content.decode()
    variant.refresh_from_db()
    assert variant.stock == 5


def test_account_pages_need_a_signed_in_customer() -> None:
    for url in ["/account/", "/account/addresses/", "/account/addresses/new/"]:
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"] == f"/account/login/?next={url}"


# --- Addresses ------------------------------------------------------------------------------


def test_add_edit_set_default_and_delete_addresses() -> None:
    user: User = UserFactory.create()
    browser = browser_for(user)
    assert browser.post("/account/addresses/new/", ADDRESS_FORM).status_code == 302
    home = Address.objects.get(user=user)
    assert home.is_default
    assert home.country == "GB"
    browser.post("/account/addresses/new/", {**ADDRESS_FORM, "line1": "1 Work Street"})
    work = Address.objects.get(user=user, line1="1 Work Street")
    assert not work.is_default

    listing = browser.get("/account/addresses/").content.decode()
    assert listing.index("12 Analytical Row") < listing.index("1 Work Street")  # default first
    form = browser.get(f"/account/addresses/{work.pk}/").content.decode()
    assert 'value="1 Work Street"' in form

    browser.post(
        f"/account/addresses/{work.pk}/",
        {**ADDRESS_FORM, "line1": "2 Work Street", "is_default": "on"},
    )
    work.refresh_from_db()
    home.refresh_from_db()
    assert work.line1 == "2 Work Street"
    assert work.is_default
    assert not home.is_default

    browser.post(f"/account/addresses/{home.pk}/default/")
    home.refresh_from_db()
    assert home.is_default

    browser.post(f"/account/addresses/{home.pk}/delete/")
    assert list(Address.objects.filter(user=user)) == [work]
    work.refresh_from_db()
    assert work.is_default  # the remaining address takes over


def test_address_errors_are_next_to_fields_and_keep_the_input() -> None:
    browser = browser_for(UserFactory.create())
    response = browser.post(
        "/account/addresses/new/", {**ADDRESS_FORM, "country": "Britain", "city": ""}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Choose a country from the list." in body
    assert "Enter the town or city." in body
    assert 'value="12 Analytical Row"' in body
    assert not Address.objects.exists()


def test_the_country_is_picked_by_name_with_the_shipping_countries_first(settings: Any) -> None:
    settings.SHIPPING_COUNTRIES = ["NL", "GB"]
    browser = browser_for(UserFactory.create())

    body = browser.get("/account/addresses/new/").content.decode()
    ours, everyone = body.split('<optgroup label="All countries">')

    assert '<optgroup label="Where we usually ship">' in ours
    assert ours.index('value="NL">Netherlands<') < ours.index('value="GB">United Kingdom<')
    assert 'value="FR">France<' in everyone
    assert 'value="GB"' not in everyone

    browser.post("/account/addresses/new/", {**ADDRESS_FORM, "country": "nl"})
    assert Address.objects.get().country == "NL"
    assert "Netherlands" in browser.get("/account/addresses/").content.decode()


def test_another_customers_address_is_404() -> None:
    owner: User = UserFactory.create()
    address = user_services.create_address(
        user=owner,
        name="Ada",
        line1="12 Analytical Row",
        city="London",
        postal_code="N1",
        country="GB",
    )
    stranger = browser_for(UserFactory.create())
    assert stranger.get(f"/account/addresses/{address.pk}/").status_code == 404
    assert stranger.post(f"/account/addresses/{address.pk}/", ADDRESS_FORM).status_code == 404
    assert stranger.post(f"/account/addresses/{address.pk}/delete/").status_code == 404
    assert stranger.post(f"/account/addresses/{address.pk}/default/").status_code == 404
    assert "Analytical" not in stranger.get("/account/addresses/").content.decode()
    assert Address.objects.filter(pk=address.pk).exists()


# --- Error pages ----------------------------------------------------------------------------


def test_the_404_page_is_friendly_html() -> None:
    response = Client().get("/no/such/page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "<h1>We could not find that page</h1>" in body


def test_the_500_page_needs_no_database(django_assert_num_queries: Any) -> None:
    from django.test import RequestFactory

    from apps.core.views import server_error

    with django_assert_num_queries(0):
        response = server_error(RequestFactory().get("/p/anything/"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def test_the_guest_order_from_a_previous_visit_stays_visible_after_signing_in() -> None:
    user: User = UserFactory.create()
    client = Client()
    add_to_cart(client, stock_product())
    client.post("/checkout/", {**ADDRESS_FORM, "email": "guest@example.com"})
    order = Order.objects.get()
    client.post("/account/login/", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert client.get(f"/orders/{order.pk}/").status_code == 200


def test_the_api_login_limit_applies_to_the_login_page(settings: Any) -> None:
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "login": "2/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    user = UserFactory.create()
    client = Client()
    for _ in range(2):
        assert (
            client.post("/account/login/", {"email": user.email, "password": "x"}).status_code
            == 400
        )
    blocked = client.post("/account/login/", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.content.decode()
    assert "_auth_user_id" not in client.session

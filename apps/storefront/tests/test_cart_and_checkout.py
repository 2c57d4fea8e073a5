"""Cart, checkout, the sandbox pay page and the order confirmation, through the browser's eyes."""

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.test import Client, override_settings

from apps.cart.models import Cart, CartLine
from apps.catalog.models import ProductVariant
from apps.catalog.tests.factories import CategoryFactory
from apps.orders.models import Order, OrderStatus
from apps.orders.tests.factories import make_shipping, make_voucher
from apps.payments import services as payment_services
from apps.payments.gateways.base import GatewayError
from apps.payments.models import Payment, PaymentStatus, SandboxIntent
from apps.storefront.tests.helpers import (
    ADDRESS_FORM,
    add_to_cart,
    browser_for,
    first_variant,
    stock_product,
)
from apps.users import services as user_services
from apps.users.models import User
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

AssertQueries = Callable[..., AbstractContextManager[Any]]
Capture = Callable[..., AbstractContextManager[Any]]
GOOD_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0002"


def cart_of(client: Client) -> Cart:
    token = client.session["storefront:cart_token"]
    return Cart.objects.get(token=token)


def only_line(cart: Cart) -> CartLine:
    return cart.lines.get()


# --- Cart -----------------------------------------------------------------------------------


def test_the_empty_cart_page() -> None:
    response = Client().get("/cart/")
    assert response.status_code == 200
    assert 'id="empty-cart"' in response.content.decode()


def test_the_anonymous_cart_is_the_api_cart_found_by_the_session_token() -> None:
    product = stock_product()
    client = Client()
    add_to_cart(client, product, quantity=2)
    cart = cart_of(client)
    assert cart.user_id is None
    answer = client.get("/api/v1/cart/", headers={"X-Cart-Token": cart.token}).json()
    assert answer["item_count"] == 2


def test_change_a_quantity_and_remove_a_line() -> None:
    product = stock_product(name="Mug", price="8.00")
    client = Client()
    add_to_cart(client, product)
    line = only_line(cart_of(client))
    body = client.get("/cart/").content.decode()
    assert f'id="quantity-{line.pk}"' in body
    assert f'<label for="quantity-{line.pk}"' in body

    response = client.post(f"/cart/lines/{line.pk}/", {"quantity": 3})
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.quantity == 3
    assert "24.00" in client.get("/cart/").content.decode()

    response = client.post(f"/cart/lines/{line.pk}/remove/")
    assert response.status_code == 302
    assert not CartLine.objects.filter(pk=line.pk).exists()


def test_a_quantity_over_the_stock_is_an_error_next_to_the_line_keeping_the_input() -> None:
    product = stock_product(stock=4)
    client = Client()
    add_to_cart(client, product)
    line = only_line(cart_of(client))
    response = client.post(f"/cart/lines/{line.pk}/", {"quantity": 9})
    assert response.status_code == 400
    body = response.content.decode()
    assert f'id="quantity-{line.pk}-errors"' in body
    assert "4 available." in body
    assert 'value="9"' in body
    line.refresh_from_db()
    assert line.quantity == 1


def test_another_carts_line_is_not_found() -> None:
    product = stock_product()
    owner, stranger = Client(), Client()
    add_to_cart(owner, product)
    add_to_cart(stranger, stock_product())
    line = only_line(cart_of(owner))
    assert stranger.post(f"/cart/lines/{line.pk}/", {"quantity": 2}).status_code == 404
    assert stranger.post(f"/cart/lines/{line.pk}/remove/").status_code == 404
    assert CartLine.objects.filter(pk=line.pk, quantity=1).exists()


def test_apply_and_remove_a_voucher() -> None:
    product = stock_product(price="50.00")
    make_voucher("SAVE10")
    client = Client()
    add_to_cart(client, product)
    body = client.get("/cart/").content.decode()
    assert '<label for="voucher-code">' in body
    response = client.post("/cart/voucher/", {"code": "save10"})
    assert response.status_code == 302
    body = client.get("/cart/").content.decode()
    assert 'id="applied-voucher">SAVE10<' in body
    assert "5.00" in body
    client.post("/cart/voucher/remove/")
    assert cart_of(client).voucher_id is None


def test_an_unknown_voucher_is_a_field_error_keeping_the_code() -> None:
    client = Client()
    add_to_cart(client, stock_product())
    response = client.post("/cart/voucher/", {"code": "NOPE"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Unknown code." in body
    assert 'value="NOPE"' in body
    assert cart_of(client).voucher_id is None


def test_choose_a_shipping_method() -> None:
    make_shipping("Standard", "4.95")
    express = make_shipping("Express", "12.00")
    client = Client()
    add_to_cart(client, stock_product())
    response = client.post("/cart/shipping/", {"shipping_method": express.pk})
    assert response.status_code == 302
    assert cart_of(client).shipping_method_id == express.pk
    assert 'id="total-shipping">12.00 EUR<' in client.get("/cart/").content.decode()
    bad = client.post("/cart/shipping/", {"shipping_method": 999999})
    assert bad.status_code == 400


def test_the_cart_says_what_shipping_costs_and_when_it_is_free() -> None:
    """Before a choice there is no price for shipping; each option gives its price with the
    currency and its threshold; a chosen method below it says how much more makes it free;
    above it, that it is free and why."""
    standard = make_shipping("Standard", "4.90", free_above=Decimal("50.00"))
    make_shipping("Express", "12.90")
    client = Client()
    product = stock_product(price="20.00")
    add_to_cart(client, product)

    body = client.get("/cart/").content.decode()
    assert 'id="total-shipping">Choose a method<' in body
    assert "Total before shipping" in body
    assert "Standard: 4.90 EUR, free on orders of 50.00 EUR or more" in body
    assert "Express: 12.90 EUR<" in body

    client.post("/cart/shipping/", {"shipping_method": standard.pk})
    body = client.get("/cart/").content.decode()
    assert 'id="total-shipping">4.90 EUR<' in body
    assert "Add 30.00 EUR more for free Standard shipping" in body
    assert "Total before shipping" not in body

    add_to_cart(client, product, quantity=2)  # 60.00
    body = client.get("/cart/").content.decode()
    assert 'id="total-shipping">Free<' in body
    assert "Standard shipping is free on orders of 50.00 EUR or more." in body
    assert 'id="total-amount">60.00 EUR<' in body


@pytest.mark.parametrize("lines", [1, 5])
def test_cart_page_queries_do_not_grow_with_lines(
    lines: int, django_assert_num_queries: AssertQueries
) -> None:
    make_shipping()
    category = CategoryFactory.create()
    client = Client()
    for _ in range(lines):
        add_to_cart(client, stock_product(category=category))
    client.get("/cart/")  # warm the catalog cache (discounts, visible categories)
    # Session, cart, its lines, shipping methods, the header's item count.
    with django_assert_num_queries(5):
        response = client.get("/cart/")
    assert response.content.decode().count('name="quantity"') == lines


# --- Checkout -------------------------------------------------------------------------------


def test_checkout_with_an_empty_cart_goes_back_to_the_cart() -> None:
    response = Client().get("/checkout/", follow=True)
    assert response.redirect_chain[-1][0] == "/cart/"
    assert "Your cart is empty" in response.content.decode()


def test_the_checkout_form_has_labelled_fields_and_csrf() -> None:
    make_shipping()
    client = Client()
    add_to_cart(client, stock_product())
    body = client.get("/checkout/").content.decode()
    assert "csrfmiddlewaretoken" in body
    for field in ("email", "name", "line1", "line2", "city", "postal_code", "country", "phone"):
        assert f'id="id_{field}"' in body
        assert f'for="id_{field}"' in body
    assert 'id="id_shipping_method_0"' in body
    assert 'id="place-order"' in body


def test_checkout_errors_are_shown_next_to_fields_and_keep_the_input() -> None:
    client = Client()
    add_to_cart(client, stock_product())
    response = client.post(
        "/checkout/", {**ADDRESS_FORM, "email": "not-an-email", "country": "GBR"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter an e-mail address like name@example.com." in body
    assert 'value="not-an-email"' in body
    assert 'value="12 Analytical Row"' in body
    assert not Order.objects.exists()


def pay(client: Client, response: Any, card: str, capture: Capture) -> Any:
    """Follow checkout's redirect to the sandbox pay page and pay there with `card`."""
    assert response.status_code == 302, response.content
    pay_url = response["Location"]
    assert pay_url.startswith("/pay/sandbox/pi_sbx_")
    page = client.get(pay_url)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="pay-button"' in body
    assert '<label for="id_card_number">' in body
    assert "4242 4242 4242 4242" in body
    with capture(execute=True):  # the sandbox's webhook is delivered once the payment commits
        return client.post(pay_url, {"card_number": card})


def test_guest_checkout_end_to_end_through_the_sandbox_pay_page(
    django_capture_on_commit_callbacks: Capture,
) -> None:
    standard = make_shipping("Standard", "4.95")
    product = stock_product(name="Teapot", price="30.00", stock=5)
    client = Client()
    add_to_cart(client, product, quantity=2)
    response = client.post(
        "/checkout/",
        {**ADDRESS_FORM, "email": "Guest@Example.com", "shipping_method": standard.pk},
    )
    order = Order.objects.get()
    assert order.user is None
    assert order.email.lower() == "guest@example.com"
    assert order.status == OrderStatus.PENDING
    assert first_variant(product).stock == 3

    # Before paying, the confirmation page says the order awaits payment.
    waiting = client.get(f"/orders/{order.pk}/").content.decode()
    assert "awaiting payment" in waiting

    paid = pay(client, response, GOOD_CARD, django_capture_on_commit_callbacks)
    assert paid.status_code == 302
    assert paid["Location"] == f"/orders/{order.pk}/"
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert Payment.objects.get(order=order).status == PaymentStatus.SUCCEEDED
    body = client.get(paid["Location"]).content.decode()
    assert 'id="order-status"' in body
    assert "Paid" in body
    assert "Teapot" in body
    assert "64.95" in body  # 2 x 30.00 + 4.95 shipping
    assert client.get("/cart/").content.decode().count('name="quantity"') == 0


def test_a_guests_order_is_visible_only_to_the_browser_that_placed_it(
    django_capture_on_commit_callbacks: Capture,
) -> None:
    client = Client()
    add_to_cart(client, stock_product())
    client.post("/checkout/", {**ADDRESS_FORM, "email": "guest@example.com"})
    order = Order.objects.get()
    assert client.get(f"/orders/{order.pk}/").status_code == 200
    assert Client().get(f"/orders/{order.pk}/").status_code == 404
    someone = browser_for(UserFactory.create())
    assert someone.get(f"/orders/{order.pk}/").status_code == 404
    assert someone.post(f"/orders/{order.pk}/pay/").status_code == 404


def test_registered_checkout_prefills_the_default_address_and_pays(
    django_capture_on_commit_callbacks: Capture,
) -> None:
    user: User = UserFactory.create()
    user_services.create_address(
        user=user, name="Grace Hopper", line1="1 Navy Yard", city="Arlington",
        postal_code="22202", country="us",
    )  # fmt: skip
    product = stock_product(price="10.00")
    browser = browser_for(user)
    add_to_cart(browser, product)
    form = browser.get("/checkout/").content.decode()
    assert 'value="Grace Hopper"' in form
    assert 'value="1 Navy Yard"' in form
    assert 'id="id_email"' not in form  # the account's address is used

    response = browser.post(
        "/checkout/",
        {"name": "Grace Hopper", "line1": "1 Navy Yard", "city": "Arlington",
         "postal_code": "22202", "country": "US"},
    )  # fmt: skip
    order = Order.objects.get()
    assert order.user == user
    assert order.email == user.email
    paid = pay(browser, response, GOOD_CARD, django_capture_on_commit_callbacks)
    assert paid["Location"] == f"/orders/{order.pk}/"
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    history = browser.get("/account/").content.decode()
    assert order.number in history
    assert "Paid" in history


def test_checkout_can_save_the_address_to_the_account() -> None:
    user: User = UserFactory.create()
    browser = browser_for(user)
    add_to_cart(browser, stock_product())
    browser.post("/checkout/", {**ADDRESS_FORM, "save_address": "on"})
    address = user.addresses.get()
    assert address.line1 == ADDRESS_FORM["line1"]
    assert address.country == "GB"
    assert address.is_default


def test_a_declined_card_is_a_form_error_and_the_order_can_be_paid_again(
    django_capture_on_commit_callbacks: Capture,
) -> None:
    client = Client()
    add_to_cart(client, stock_product())
    response = client.post("/checkout/", {**ADDRESS_FORM, "email": "guest@example.com"})
    declined = pay(client, response, DECLINED_CARD, django_capture_on_commit_callbacks)
    assert declined.status_code == 400
    body = declined.content.decode()
    assert "The card was declined." in body
    assert 'id="retry-payment"' in body
    order = Order.objects.get()
    assert order.status == OrderStatus.PENDING
    assert Payment.objects.get(order=order).status == PaymentStatus.FAILED

    retry = client.post(f"/orders/{order.pk}/pay/")
    assert retry.status_code == 302
    assert retry["Location"] != response["Location"]
    paid = pay(client, retry, GOOD_CARD, django_capture_on_commit_callbacks)
    assert paid.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_an_invalid_card_number_is_a_form_error_that_keeps_the_input(
    django_capture_on_commit_callbacks: Capture,
) -> None:
    client = Client()
    add_to_cart(client, stock_product())
    response = client.post("/checkout/", {**ADDRESS_FORM, "email": "guest@example.com"})
    answer = pay(client, response, "4111 1111 1111 1111", django_capture_on_commit_callbacks)
    assert answer.status_code == 400
    body = answer.content.decode()
    assert "Use the test card" in body
    assert 'value="4111 1111 1111 1111"' in body
    assert SandboxIntent.objects.get().status == SandboxIntent.Status.REQUIRES_PAYMENT


def test_an_unknown_sandbox_payment_is_404() -> None:
    assert Client().get("/pay/sandbox/pi_sbx_nothing/").status_code == 404


@override_settings(SANDBOX_ENABLED=False)
def test_the_sandbox_pay_page_is_absent_when_the_sandbox_is_off() -> None:
    assert Client().get("/pay/sandbox/pi_sbx_nothing/").status_code == 404


def test_out_of_stock_at_checkout_is_a_message_not_a_500() -> None:
    product = stock_product(stock=2)
    client = Client()
    add_to_cart(client, product, quantity=2)
    ProductVariant.objects.filter(pk=first_variant(product).pk).update(stock=1)  # sold meanwhile
    response = client.post("/checkout/", {**ADDRESS_FORM, "email": "guest@example.com"})
    assert response.status_code == 409
    body = response.content.decode()
    assert "Not enough stock" in body
    assert "1 available, 2 wanted" in body
    assert 'value="12 Analytical Row"' in body
    assert not Order.objects.exists()
    assert first_variant(product).stock == 1


def test_a_missing_shipping_choice_is_a_field_error() -> None:
    make_shipping()
    client = Client()
    add_to_cart(client, stock_product())
    response = client.post("/checkout/", {**ADDRESS_FORM, "email": "guest@example.com"})
    assert response.status_code == 400
    assert "Choose how your order is shipped." in response.content.decode()
    assert not Order.objects.exists()


def test_a_refused_checkout_lists_every_problem_at_the_top_linked_to_its_field() -> None:
    make_shipping("Standard", "4.90")
    make_shipping("Express", "12.90")
    client = Client()
    add_to_cart(client, stock_product())

    response = client.post("/checkout/", {**ADDRESS_FORM, "name": "", "email": "nope"})

    assert response.status_code == 400
    body = response.content.decode()
    summary = body.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    opening = re.search(r'<div[^>]*id="error-summary"[^>]*>', body)
    assert opening is not None
    assert 'role="alert"' in opening.group(0)  # announced, and focusable for forms.js
    assert 'tabindex="-1"' in opening.group(0)
    assert "There are 3 problems" in summary
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)
    assert links == [
        ("id_email", "E-mail: Enter an e-mail address like name@example.com."),
        ("id_name", "Full name: Enter the full name of whoever receives the parcel."),
        ("id_shipping_method_0", "Shipping method: Choose how your order is shipped."),
    ]
    for target, _ in links:  # each link lands on a control that exists
        assert f'id="{target}"' in body
    # The radio group says what is wrong with it, through its fieldset.
    assert 'aria-describedby="id_shipping_method_error"' in body
    assert 'id="id_shipping_method_error"' in body


def test_the_only_shipping_method_is_chosen_in_advance_and_one_of_many_is_not() -> None:
    only = make_shipping()
    client = Client()
    add_to_cart(client, stock_product())
    page = client.get("/checkout/").content.decode()
    assert f'value="{only.pk}" required id="id_shipping_method_0" checked>' in page

    make_shipping("Express", "12.00")
    page = client.get("/checkout/").content.decode()
    assert 'id="id_shipping_method_0">' in page
    assert " checked>" not in page


def test_the_order_received_email_is_sent_after_checkout(
    django_capture_on_commit_callbacks: Capture,
) -> None:
    client = Client()
    add_to_cart(client, stock_product())
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/checkout/", {**ADDRESS_FORM, "email": "guest@example.com"})
    assert [message.to for message in mail.outbox] == [["guest@example.com"]]


@pytest.mark.parametrize("lines", [1, 5])
def test_checkout_page_queries_do_not_grow_with_lines(
    lines: int, django_assert_num_queries: AssertQueries
) -> None:
    make_shipping()
    category = CategoryFactory.create()
    client = Client()
    for _ in range(lines):
        add_to_cart(client, stock_product(category=category))
    client.get("/checkout/")
    # Session, cart, its lines, shipping methods, the header's item count.
    with django_assert_num_queries(5):
        response = client.get("/checkout/")
    assert response.status_code == 200


@pytest.mark.parametrize("lines", [1, 5])
def test_signed_in_checkout_page_queries_do_not_grow_with_lines(
    lines: int, django_assert_num_queries: AssertQueries
) -> None:
    make_shipping()
    category = CategoryFactory.create()
    browser = browser_for(UserFactory.create())
    for _ in range(lines):
        add_to_cart(browser, stock_product(category=category))
    browser.get("/checkout/")
    # Session, user, cart, its lines, shipping methods, default address, the item count.
    with django_assert_num_queries(7):
        response = browser.get("/checkout/")
    assert response.status_code == 200


def test_a_gateway_outage_leaves_the_order_waiting_with_a_message(monkeypatch: Any) -> None:
    def unreachable(*, order: Order) -> Payment:
        raise GatewayError("The payment provider did not answer.")

    monkeypatch.setattr(payment_services, "start_payment", unreachable)
    client = Client()
    add_to_cart(client, stock_product())
    response = client.post("/checkout/", {**ADDRESS_FORM, "email": "guest@example.com"})
    order = Order.objects.get()
    assert response["Location"] == f"/orders/{order.pk}/"
    body = client.get(response["Location"]).content.decode()
    assert "The payment provider did not answer." in body
    assert 'id="pay-now"' in body


def test_a_provider_without_a_hosted_page_lands_on_the_order(monkeypatch: Any) -> None:
    def without_page(*, order: Order) -> Payment:
        return Payment(order=order, provider="stripe", provider_id="pi_1", amount=order.total)

    monkeypatch.setattr(payment_services, "start_payment", without_page)
    client = Client()
    add_to_cart(client, stock_product())
    response = client.post("/checkout/", {**ADDRESS_FORM, "email": "guest@example.com"})
    assert response["Location"] == f"/orders/{Order.objects.get().pk}/"

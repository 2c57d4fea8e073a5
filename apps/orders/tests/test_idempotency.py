"""Idempotency keys on checkout: a retry gets the first answer, never a second order."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from rest_framework.test import APIClient

from apps.catalog.models import ProductVariant
from apps.core.tests.helpers import assert_problem
from apps.orders.idempotency import MAX_KEY_LENGTH, fingerprint
from apps.orders.models import IdempotencyKey, Order
from apps.orders.tests.factories import (
    ADDRESS,
    CHECKOUT_URL,
    client_for,
    fill_cart,
    make_variant,
    new_cart,
    world,
)
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2031, 3, 1, 9, 0, tzinfo=UTC)
BODY = {"shipping_address": ADDRESS}


def post(client: APIClient, key: str | None, body: dict[str, Any] = BODY, **headers: str) -> Any:
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(CHECKOUT_URL, body, format="json", headers=headers)


@pytest.fixture
def lamp() -> ProductVariant:
    return make_variant(price="25.00", stock=10)


def stock(variant: ProductVariant) -> int:
    variant.refresh_from_db()
    return variant.stock


def test_a_retry_with_the_same_key_and_body_replays_the_first_answer(
    auth_client, user, lamp, django_capture_on_commit_callbacks
):
    fill_cart(new_cart(user), {lamp: 2})

    with django_capture_on_commit_callbacks(execute=True):
        first = post(auth_client, "order-1")
    with django_capture_on_commit_callbacks(execute=True):
        retry = post(auth_client, "order-1")

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert Order.objects.count() == 1
    assert stock(lamp) == 8
    assert len(mail.outbox) == 1
    key = IdempotencyKey.objects.get()
    assert (key.scope, key.key, key.status_code) == (f"user:{user.pk}", "order-1", 201)


def test_a_retry_after_the_cart_was_filled_again_replays_and_orders_nothing(
    auth_client, user, lamp
):
    cart = fill_cart(new_cart(user), {lamp: 2})
    first = post(auth_client, "order-1")
    fill_cart(cart, {lamp: 1})
    before = world()

    retry = post(auth_client, "order-1")

    # The retry's own order was rolled back when it found the key taken.
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert world() == before
    assert stock(lamp) == 8


def test_the_same_key_with_another_body_is_a_conflict(auth_client, user, lamp):
    fill_cart(new_cart(user), {lamp: 2})
    assert post(auth_client, "order-1").status_code == 201
    fill_cart(new_cart(user), {lamp: 1})
    before = world()

    other_address = {"shipping_address": {**ADDRESS, "city": "Paris", "country": "FR"}}
    assert_problem(post(auth_client, "order-1", other_address), 422, "idempotency_conflict")
    assert world() == before


def test_the_body_fingerprint_ignores_key_order():
    assert fingerprint({"a": 1, "b": [1, {"c": 2, "d": 3}]}) == fingerprint(
        {"b": [1, {"d": 3, "c": 2}], "a": 1}
    )
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})


def test_keys_belong_to_one_customer(lamp):
    ada, bob = UserFactory.create(), UserFactory.create()
    fill_cart(new_cart(ada), {lamp: 1})
    fill_cart(new_cart(bob), {lamp: 1})

    first = post(client_for(ada), "same-key")
    second = post(client_for(bob), "same-key")

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]
    assert sorted(Order.objects.values_list("user", flat=True)) == sorted([ada.pk, bob.pk])
    assert stock(lamp) == 8


def test_keys_of_guests_belong_to_their_cart(api_client, lamp):
    carts = [fill_cart(new_cart(), {lamp: 1}) for _ in range(2)]
    body = {"email": "guest@example.com", **BODY}

    answers = [post(api_client, "same-key", body, **{"X-Cart-Token": c.token}) for c in carts]
    retry = post(api_client, "same-key", body, **{"X-Cart-Token": carts[0].token})

    assert [answer.status_code for answer in answers] == [201, 201]
    assert answers[0].json()["id"] != answers[1].json()["id"]
    assert retry.json() == answers[0].json()
    assert Order.objects.count() == 2


def test_a_key_past_its_lifetime_places_a_new_order(settings, user, lamp, time_machine):
    settings.IDEMPOTENCY_KEY_TTL_HOURS = 24
    time_machine.move_to(T0, tick=False)
    fill_cart(new_cart(user), {lamp: 1})
    first = post(client_for(user), "order-1")
    fill_cart(new_cart(user), {lamp: 1})

    # JWTs expire in minutes: each later request signs in anew at its own time.
    time_machine.move_to(T0 + timedelta(hours=23, minutes=59), tick=False)
    within = post(client_for(user), "order-1")
    time_machine.move_to(T0 + timedelta(hours=24, minutes=1), tick=False)
    after = post(client_for(user), "order-1")

    assert first.status_code == 201
    assert within.json() == first.json()
    assert after.status_code == 201
    assert after.json()["id"] != first.json()["id"]
    assert Order.objects.count() == 2
    assert stock(lamp) == 8
    key = IdempotencyKey.objects.get()
    assert key.expires_at == T0 + timedelta(hours=48, minutes=1)


def test_a_failed_checkout_keeps_no_key_so_a_retry_can_succeed(auth_client, user, lamp):
    fill_cart(new_cart(user), {lamp: 3})
    ProductVariant.objects.filter(pk=lamp.pk).update(stock=2)

    assert_problem(post(auth_client, "order-1"), 409, "out_of_stock")
    assert IdempotencyKey.objects.count() == 0

    ProductVariant.objects.filter(pk=lamp.pk).update(stock=5)
    retry = post(auth_client, "order-1")
    assert retry.status_code == 201
    assert stock(lamp) == 2
    assert Order.objects.count() == 1


@pytest.mark.parametrize(
    "key", ["", "   ", "k" * (MAX_KEY_LENGTH + 1)], ids=["empty", "blank", "too-long"]
)
def test_a_malformed_key_is_refused(auth_client, user, lamp, key):
    fill_cart(new_cart(user), {lamp: 1})
    before = world()

    assert_problem(post(auth_client, key), 400, "invalid_idempotency_key")
    assert world() == before


def test_a_key_of_the_longest_length_is_accepted(auth_client, user, lamp):
    fill_cart(new_cart(user), {lamp: 1})

    assert post(auth_client, "k" * MAX_KEY_LENGTH).status_code == 201
    assert IdempotencyKey.objects.get().key == "k" * MAX_KEY_LENGTH


def test_without_a_key_every_request_is_a_new_attempt(auth_client, user, lamp):
    fill_cart(new_cart(user), {lamp: 1})
    assert post(auth_client, None).status_code == 201

    assert_problem(post(auth_client, None), 400, "empty_cart")
    assert IdempotencyKey.objects.count() == 0

"""Concurrency proofs on PostgreSQL: checkout, idempotency keys, vouchers and cancellation.

Every test starts real threads, each on a database connection of its own (closed when the
thread ends), released together by a barrier so the transactions really overlap. What keeps
the numbers right is then the row locks, unique indexes and conditional updates of
`apps.orders.locks` and `apps.orders.idempotency`, not the order the requests happen to run in.
The requests go through the API (one APIClient per thread), so a refusal is checked as the
problem+json answer a client sees, and a deadlock or a broken constraint would show as a 500.

SQLite serialises writers, so these tests skip there, and fail with REQUIRE_SERVICES=1 (CI).
"""

import random
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from django.db.models import F, Sum
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from apps.cart import services as cart_services
from apps.cart.models import Cart, CartLine, Voucher, VoucherUsage
from apps.catalog.models import ProductVariant
from apps.catalog.tests.factories import make_product
from apps.core.errors import InvalidTransition
from apps.core.tests.concurrency import require_postgresql, run_at_once
from apps.orders.models import IdempotencyKey, Order, OrderEvent, OrderLine, OrderStatus
from apps.orders.services.checkout import ShippingAddress, place_order
from apps.orders.services.lifecycle import cancel_order
from apps.users.models import User
from apps.users.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True)]

CHECKOUT_URL = "/api/v1/checkout/"
PROBLEM_JSON = "application/problem+json"
ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "12 St James's Square",
    "city": "London",
    "postal_code": "SW1Y 4JH",
    "country": "GB",
}
# As many buyers at once as a sale's first second brings to one product (the pool of
# PostgreSQL's default 100 connections leaves room for the test's own).
BUYERS = 64


@pytest.fixture(autouse=True)
def _real_postgresql() -> None:
    require_postgresql()


# --- Helpers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.status} {self.body.get('code', '')} {self.body.get('detail', '')}".strip()


def guest_client(index: int, cart: Cart) -> APIClient:
    """An anonymous client of `cart`, from an IP address of its own (throttles count per IP)."""
    client = APIClient(REMOTE_ADDR=f"198.51.100.{index % 250 + 1}")
    client.credentials(HTTP_X_CART_TOKEN=cart.token)
    return client


def customer_client(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


def post(client: APIClient, url: str, body: Any = None, *, key: str | None = None) -> Answer:
    """POST `body` as JSON, with `key` as its Idempotency-Key if given."""
    headers = {"Idempotency-Key": key} if key is not None else {}
    response = client.post(url, body, format="json", headers=headers)
    return Answer(
        status=response.status_code,
        content_type=response.get("Content-Type", ""),
        body=response.json() if response.content else {},
    )


def assert_problem(answer: Answer, *, status: int, code: str) -> None:
    assert answer.status == status, answer
    assert answer.content_type.startswith(PROBLEM_JSON), answer.content_type
    assert answer.body["status"] == status, answer.body
    assert answer.body["code"] == code, answer.body
    assert answer.body["type"].endswith(code), answer.body


def variant(sku: str, stock: int) -> ProductVariant:
    return make_product(sku=sku, stock=stock).variants.get()


def stock_of(*variants: ProductVariant) -> list[int]:
    by_pk = dict(
        ProductVariant.objects.filter(pk__in=[v.pk for v in variants]).values_list("pk", "stock")
    )
    return [by_pk[v.pk] for v in variants]


def unexpected(answers: list[Answer], allowed: set[int]) -> list[str]:
    return [
        f"#{index}: {answer}"
        for index, answer in enumerate(answers)
        if answer.status not in allowed
    ]


# --- Checkout: the last units --------------------------------------------------------------


def test_concurrent_checkouts_of_the_last_units_never_oversell() -> None:
    """64 guests check out overlapping carts of three scarce variants at the same moment."""
    initial = {"A": 10, "B": 7, "C": 5}
    variants = {name: variant(f"LAST-{name}", stock) for name, stock in initial.items()}
    sku = {name: v.sku for name, v in variants.items()}
    # Multi-product carts whose lines were added in different orders, plus single-product
    # carts: at least as many single carts as units, so each variant must end at exactly 0
    # (a single cart is refused only when its variant is gone). Demand: A 46, B 35, C 30.
    patterns = (
        [("A", "B")] * 14
        + [("B", "A", "C")] * 11
        + [("C", "A")] * 11
        + [("A",)] * 10
        + [("B",)] * 10
        + [("C",)] * 8
    )
    assert len(patterns) == BUYERS
    random.Random(20240611).shuffle(patterns)
    carts = []
    for names in patterns:
        cart = Cart.objects.create()
        for name in names:
            cart_services.add_to_cart(cart=cart, variant_id=variants[name].pk, quantity=1)
        carts.append(cart)

    def checkout(index: int, cart: Cart) -> Callable[[], Answer]:
        client = guest_client(index, cart)
        body = {"email": f"guest{index}@example.com", "shipping_address": ADDRESS}
        return partial(post, client, CHECKOUT_URL, body, key=str(uuid.uuid4()))

    answers = run_at_once([checkout(index, cart) for index, cart in enumerate(carts)])

    final = dict(zip(initial, stock_of(*variants.values()), strict=True))
    sold = {name: initial[name] - final[name] for name in initial}
    created = [index for index, answer in enumerate(answers) if answer.status == 201]
    refused = [index for index, answer in enumerate(answers) if answer.status == 409]
    others = unexpected(answers, {201, 409})
    outcome = (
        f"{len(answers)} checkout attempts at once: {len(created)} orders created, "
        f"units sold {sold} of {initial} (stock left {final}), "
        f"{len(refused)} refused 409 out_of_stock, {len(others)} other answers"
    )
    print(f"\n[checkout race] {outcome}")  # noqa: T201 (shown with -s)

    # Every request got an order or a clear refusal: no 500 (a deadlock, a lock timeout or a
    # broken CHECK constraint would be one), nothing else.
    assert not others, f"{outcome}; unexpected answers: {others}"
    for index in refused:
        answer = answers[index]
        assert_problem(answer, status=409, code="out_of_stock")
        named = {name for name in patterns[index] if f"({sku[name]})" in answer.body["detail"]}
        assert named, f"{outcome}; refusal #{index} names none of its SKUs: {answer}"
        # Stock only goes down here, so a variant short then is short now: no false refusal.
        assert all(final[name] == 0 for name in named), f"{outcome}; #{index}: {answer}"
        assert {error["detail"].split(":")[0] for error in answer.body["errors"]} == {
            sku[name] for name in named
        }, answer.body
        assert CartLine.objects.filter(cart=carts[index]).count() == len(patterns[index])

    # Stock: never negative, all contested units sold, and exactly what the orders hold.
    assert all(left == 0 for left in final.values()), outcome
    ordered = dict(
        OrderLine.objects.values("variant_id")
        .annotate(units=Sum("quantity"))
        .values_list("variant_id", "units")
    )
    wanted_by_orders = Counter(name for index in created for name in patterns[index])
    for name, v in variants.items():
        assert sold[name] == ordered.get(v.pk, 0) == wanted_by_orders[name], outcome

    # One order per 201, each with exactly its cart's lines, and those carts emptied.
    assert Order.objects.count() == len(created), outcome
    ids = {answers[index].body["id"] for index in created}
    assert {str(pk) for pk in Order.objects.values_list("pk", flat=True)} == ids, outcome
    for index in created:
        body = answers[index].body
        assert answers[index].content_type.startswith("application/json"), body
        assert sorted((line["sku"], line["quantity"]) for line in body["lines"]) == sorted(
            (sku[name], 1) for name in patterns[index]
        ), body
        assert body["status"] == OrderStatus.PENDING
        assert not CartLine.objects.filter(cart=carts[index]).exists()
    assert len(set(Order.objects.values_list("number", flat=True))) == len(created)


# --- Idempotency keys --------------------------------------------------------------------------


def test_one_idempotency_key_sent_by_many_at_once_places_one_order() -> None:
    """64 retries of one checkout (same customer, key and body) race; one order, one answer."""
    shirt, socks = variant("IDEM-SHIRT", 10), variant("IDEM-SOCKS", 5)
    user = UserFactory.create()
    cart = cart_services.get_or_create_cart(user_id=user.pk, token=None)
    cart_services.add_to_cart(cart=cart, variant_id=shirt.pk, quantity=2)
    cart_services.add_to_cart(cart=cart, variant_id=socks.pk, quantity=1)
    key = f"order-{uuid.uuid4()}"
    body = {"shipping_address": ADDRESS}

    answers = run_at_once(
        [partial(post, customer_client(user), CHECKOUT_URL, body, key=key) for _ in range(BUYERS)]
    )

    statuses = Counter(answer.status for answer in answers)
    print(f"\n[idempotency race] statuses {dict(statuses)}")  # noqa: T201 (shown with -s)
    # The first request places the order; the others wait for its cart lock, find the cart
    # empty (or the key taken) and replay its answer: the same 201 and the same body.
    assert statuses == {201: len(answers)}, [str(answer) for answer in answers]
    assert len({answer.body["id"] for answer in answers}) == 1
    assert all(answer.body == answers[0].body for answer in answers)
    order = Order.objects.get()
    assert str(order.pk) == answers[0].body["id"]
    assert stock_of(shirt, socks) == [8, 4]
    assert OrderLine.objects.aggregate(units=Sum("quantity"))["units"] == 3
    assert OrderEvent.objects.filter(order=order).count() == 1
    record = IdempotencyKey.objects.get()
    assert (record.key, record.scope, record.status_code) == (key, f"user:{user.pk}", 201)
    assert record.response is not None
    assert record.response["id"] == str(order.pk)


# --- Vouchers ------------------------------------------------------------------------------------


def test_voucher_usage_limit_holds_when_many_use_it_at_once() -> None:
    """24 guests check out with a 5-use voucher at the same moment: exactly 5 get it.

    Each cart holds a product of its own, so only the voucher's row lock orders them.
    """
    products = [variant(f"VOUCHER-{n:02d}", 10) for n in range(24)]
    voucher = Voucher.objects.create(
        code="FIVEONLY", kind=Voucher.Kind.PERCENT, value=Decimal(10), usage_limit=5
    )
    carts = []
    for product in products:
        cart = Cart.objects.create()
        cart_services.add_to_cart(cart=cart, variant_id=product.pk, quantity=2)
        cart_services.apply_voucher(cart=cart, code="fiveonly", user=None)
        carts.append(cart)

    def checkout(index: int, cart: Cart) -> Callable[[], Answer]:
        client = guest_client(index, cart)
        body = {"email": f"buyer{index}@example.com", "shipping_address": ADDRESS}
        return partial(post, client, CHECKOUT_URL, body)

    answers = run_at_once([checkout(index, cart) for index, cart in enumerate(carts)])

    statuses = Counter(answer.status for answer in answers)
    print(f"\n[voucher usage limit race] statuses {dict(statuses)}")  # noqa: T201
    assert not unexpected(answers, {201, 400}), unexpected(answers, {201, 400})
    assert statuses[201] == 5, dict(statuses)
    for index, answer in enumerate(answers):
        if answer.status == 201:
            assert answer.body["voucher_code"] == "FIVEONLY"
            assert Decimal(answer.body["voucher_discount"]) > 0
        else:
            assert_problem(answer, status=400, code="invalid_voucher")
            assert "used up" in answer.body["detail"]
            assert Cart.objects.filter(pk=carts[index].pk, voucher=voucher).exists()
    voucher.refresh_from_db()
    assert voucher.used_count == 5
    assert VoucherUsage.objects.filter(voucher=voucher).count() == 5
    assert Order.objects.filter(voucher=voucher).count() == Order.objects.count() == 5
    # The refused checkouts took nothing.
    assert stock_of(*products) == [8 if a.status == 201 else 10 for a in answers]


def test_per_customer_voucher_limit_holds_when_one_customer_checks_out_twice_at_once() -> None:
    """One customer (signed in, and as a guest with the same e-mail in any case) races to use
    a once-per-customer voucher 8 times while 3 other customers use it too.

    Each cart holds a product of its own, so only the voucher's row lock orders them.
    """
    voucher = Voucher.objects.create(
        code="ONCEEACH", kind=Voucher.Kind.FIXED, value=Decimal(5), per_customer_limit=1
    )
    user = UserFactory.create(email="shopper@example.com")
    # The customer's address as guests type it; other customers' guest checkouts alongside.
    same_customer = (["shopper@example.com", "Shopper@Example.com", "SHOPPER@EXAMPLE.COM"] * 3)[:7]
    emails = [*same_customer, "other1@example.com", "other2@example.com", "other3@example.com"]
    products = [variant(f"ONCE-{n:02d}", 10) for n in range(1 + len(emails))]
    carts = [cart_services.get_or_create_cart(user_id=user.pk, token=None)]
    carts += [Cart.objects.create() for _ in emails]
    for cart, product in zip(carts, products, strict=True):
        cart_services.add_to_cart(cart=cart, variant_id=product.pk, quantity=1)
        cart_services.apply_voucher(cart=cart, code="onceeach", user=cart.user)

    tasks = [partial(post, customer_client(user), CHECKOUT_URL, {"shipping_address": ADDRESS})]
    for index, (email, cart) in enumerate(zip(emails, carts[1:], strict=True)):
        body = {"email": email, "shipping_address": ADDRESS}
        tasks.append(partial(post, guest_client(index, cart), CHECKOUT_URL, body))

    answers = run_at_once(tasks)

    mine, others = answers[: 1 + len(same_customer)], answers[1 + len(same_customer) :]
    print(  # noqa: T201
        f"\n[per-customer voucher race] same customer: {dict(Counter(a.status for a in mine))}, "
        f"other customers: {dict(Counter(a.status for a in others))}"
    )
    assert [answer.status for answer in others] == [201, 201, 201], [str(a) for a in others]
    assert not unexpected(mine, {201, 400}), unexpected(mine, {201, 400})
    assert [answer.status for answer in mine].count(201) == 1, [str(a) for a in mine]
    for answer in mine:
        if answer.status == 400:
            assert_problem(answer, status=400, code="invalid_voucher")
            assert "already used" in answer.body["detail"]
    assert VoucherUsage.objects.filter(email__iexact="shopper@example.com").count() == 1
    assert VoucherUsage.objects.count() == Order.objects.filter(voucher=voucher).count() == 4
    voucher.refresh_from_db()
    assert voucher.used_count == 4
    assert stock_of(*products) == [9 if a.status == 201 else 10 for a in answers]


# --- Cancelling --------------------------------------------------------------------------------


def pending_order(*, lamps: int, bulbs: int) -> tuple[Order, ProductVariant, ProductVariant]:
    """A customer's pending order of `lamps` and `bulbs` (stock 10 and 7 before it)."""
    lamp, bulb = variant("CANCEL-LAMP", 10), variant("CANCEL-BULB", 7)
    user = UserFactory.create()
    cart = cart_services.get_or_create_cart(user_id=user.pk, token=None)
    cart_services.add_to_cart(cart=cart, variant_id=lamp.pk, quantity=lamps)
    cart_services.add_to_cart(cart=cart, variant_id=bulb.pk, quantity=bulbs)
    order = place_order(cart=cart, user=user, email=user.email, address=ShippingAddress(**ADDRESS))
    assert stock_of(lamp, bulb) == [10 - lamps, 7 - bulbs]
    return order, lamp, bulb


def test_an_order_cancelled_by_many_at_once_is_restocked_once() -> None:
    """16 cancels of the same pending order race: one cancels and restocks, 15 get a 409."""
    order, lamp, bulb = pending_order(lamps=3, bulbs=2)
    assert order.user is not None
    url = f"/api/v1/orders/{order.pk}/cancel/"

    answers = run_at_once([partial(post, customer_client(order.user), url) for _ in range(16)])

    statuses = Counter(answer.status for answer in answers)
    print(f"\n[cancel race, API] statuses {dict(statuses)}")  # noqa: T201
    assert statuses == {200: 1, 409: 15}, [str(answer) for answer in answers]
    for answer in answers:
        if answer.status == 200:
            assert answer.body["status"] == OrderStatus.CANCELLED
        else:
            assert_problem(answer, status=409, code="invalid_transition")
    assert stock_of(lamp, bulb) == [10, 7]
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert OrderEvent.objects.filter(order=order, to_status=OrderStatus.CANCELLED).count() == 1


def test_cancel_order_called_by_many_at_once_restocks_once() -> None:
    """The service itself, as the expiry task and staff call it: 16 at once, one applies."""
    order, lamp, bulb = pending_order(lamps=4, bulbs=7)

    def cancel() -> str:
        try:
            cancel_order(order=Order.objects.get(pk=order.pk), actor=None, note="Race.")
        except InvalidTransition:
            return "refused"
        return "cancelled"

    outcomes = Counter(run_at_once([cancel] * 16))

    print(f"\n[cancel race, service] {dict(outcomes)}")  # noqa: T201
    assert outcomes == {"cancelled": 1, "refused": 15}
    assert stock_of(lamp, bulb) == [10, 7]
    assert OrderEvent.objects.filter(order=order, to_status=OrderStatus.CANCELLED).count() == 1


def test_cancels_and_checkouts_of_the_same_variants_at_once_do_not_deadlock() -> None:
    """Pending orders are cancelled (restocked) while others check out the same variants.

    Checkout locks variant rows in id order; a cancel must restock in that order too, or a
    cancel holding a variant and waiting for one with a lower id meets a checkout holding the
    lower one and waiting for the other: PostgreSQL then aborts one of them with a deadlock
    error (a 500 for the customer). Three waves of 8 cancels and 8 checkouts at once.
    """
    variants = [variant(f"MIX-{n}", 100) for n in range(4)]
    # A restock (as staff do), last product first: updated row versions are written after the
    # others, so the table order of these rows is no longer their id order, as it soon is in a
    # live shop.
    for v in reversed(variants):
        ProductVariant.objects.filter(pk=v.pk).update(stock=F("stock") + 100)
    waves, rounds = 3, 8
    for wave in range(waves):
        customers = UserFactory.create_batch(rounds)
        pending = []
        for customer in customers:
            cart = cart_services.get_or_create_cart(user_id=customer.pk, token=None)
            for v in variants:
                cart_services.add_to_cart(cart=cart, variant_id=v.pk, quantity=1)
            address = ShippingAddress(**ADDRESS)
            pending.append(
                place_order(cart=cart, user=customer, email=customer.email, address=address)
            )
        tasks = []
        for index, (customer, order) in enumerate(zip(customers, pending, strict=True)):
            url = f"/api/v1/orders/{order.pk}/cancel/"
            tasks.append(partial(post, customer_client(customer), url))
            cart = Cart.objects.create()
            for v in random.Random(index).sample(variants, len(variants)):
                cart_services.add_to_cart(cart=cart, variant_id=v.pk, quantity=1)
            body = {"email": f"mixed{wave}.{index}@example.com", "shipping_address": ADDRESS}
            tasks.append(partial(post, guest_client(index, cart), CHECKOUT_URL, body))

        answers = run_at_once(tasks)

        statuses = Counter(answer.status for answer in answers)
        print(f"\n[cancel + checkout mix, wave {wave + 1}] statuses {dict(statuses)}")  # noqa: T201
        # A 500 here is PostgreSQL's "deadlock detected" (see the captured log).
        assert statuses == {200: rounds, 201: rounds}, (
            f"wave {wave + 1}",
            [str(a) for a in answers],
        )
        assert all(
            order.status == OrderStatus.CANCELLED
            for order in Order.objects.filter(pk__in=[order.pk for order in pending])
        )
    # Each wave: its pending orders took 1 of each and gave it back, its checkouts took 1.
    assert stock_of(*variants) == [200 - waves * rounds] * len(variants)
    assert Order.objects.filter(status=OrderStatus.CANCELLED).count() == waves * rounds
    assert Order.objects.filter(status=OrderStatus.PENDING).count() == waves * rounds

"""Concurrent cart writes on PostgreSQL: a double click must neither fail nor lose a unit.

Real threads, each on a database connection of its own. SQLite's in-memory test database
locks whole tables between connections, so this skips there, and fails with REQUIRE_SERVICES=1
(CI), as the checkout concurrency tests do.
"""

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from unittest import mock

import pytest
from django.db import connection, transaction

from apps.cart import services
from apps.cart.models import Cart, CartLine
from apps.cart.tests.factories import CartFactory
from apps.catalog.models import ProductVariant
from apps.catalog.tests.factories import ProductVariantFactory
from apps.core.tests.concurrency import require_postgresql

pytestmark = pytest.mark.django_db(transaction=True)

# How long a request waits, after its look-up, for the other one to make its own. A fix that
# serializes adds to a cart makes the first request wait this long once, alone.
RENDEZVOUS_SECONDS = 2


@pytest.fixture(autouse=True)
def _real_postgresql() -> None:
    require_postgresql()


def add_with_the_service_locking(cart: Cart) -> None:
    services.add_to_cart(cart=cart, sku="CLICKED", quantity=1)


def add_with_the_lookup_locking(cart: Cart) -> None:
    """As the API and the storefront add: the cart is found locked, and the add is told so."""
    with transaction.atomic():
        found = services.get_cart(user_id=None, token=cart.token, lock=True)
        assert found is not None
        services.add_to_cart(cart=found, sku="CLICKED", quantity=1, locked=True)


@pytest.mark.parametrize(
    "add", [add_with_the_service_locking, add_with_the_lookup_locking], ids=["service", "lookup"]
)
def test_two_simultaneous_adds_of_the_same_variant_both_count(add):
    """BUG: both requests find no line for the variant and both insert one.

    The second insert breaks the one-line-per-variant constraint (a 500 through the API) and
    its unit is lost. Two adds to an existing line lose one the same way, silently.
    """
    cart = CartFactory.create()
    ProductVariantFactory.create(sku="CLICKED", stock=10)
    both_looked = threading.Barrier(2)
    check_stock = services._check_stock

    def check_then_meet_the_other(variant: ProductVariant, quantity: int) -> None:
        check_stock(variant, quantity)  # runs between the line look-up and the write
        with contextlib.suppress(threading.BrokenBarrierError):
            both_looked.wait(timeout=RENDEZVOUS_SECONDS)

    def add_one() -> None:
        try:
            add(cart)
        finally:
            connection.close()

    with (
        mock.patch.object(services, "_check_stock", check_then_meet_the_other),
        ThreadPoolExecutor(max_workers=2) as pool,
    ):
        adds = [pool.submit(add_one) for _ in range(2)]

    assert [add.exception() for add in adds] == [None, None]
    assert list(CartLine.objects.filter(cart=cart).values_list("quantity", flat=True)) == [2]

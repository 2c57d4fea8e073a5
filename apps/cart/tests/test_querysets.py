"""The cart's query vocabulary: one query for the lines and the variant being added."""

from datetime import timedelta

import pytest
from django.db.models import Q

from apps.cart.models import CartLine
from apps.cart.querysets import cart_lines, cart_lines_and_variant
from apps.cart.tests.factories import CartFactory, CartLineFactory
from apps.catalog.tests.factories import ProductVariantFactory

pytestmark = pytest.mark.django_db


def snapshot(lines):
    return [
        (line.pk, line.cart_id, line.variant_id, line.quantity, line.created_at, line.updated_at)
        for line in lines
    ]


@pytest.fixture
def cart():
    """A cart of three lines whose order of addition is not their id order, beside others."""
    cart = CartFactory.create()
    CartLineFactory.create_batch(2)  # someone else's
    for quantity in (1, 3, 2):  # added 10, 30 and 20 days ago
        line = CartLineFactory.create(cart=cart, quantity=quantity)
        CartLine.objects.filter(pk=line.pk).update(
            created_at=line.created_at - timedelta(days=quantity * 10)
        )
    return cart


@pytest.mark.parametrize("by", ["sku", "id"])
def test_the_lines_are_the_carts_own_in_order_and_the_variant_is_found(
    cart, by, django_assert_num_queries
):
    wanted_variant = ProductVariantFactory.create(sku="WANTED-1")
    wanted = Q(sku="WANTED-1") if by == "sku" else Q(pk=wanted_variant.pk)

    with django_assert_num_queries(1):
        lines, variant = cart_lines_and_variant(cart, wanted)
        assert [line.variant.product.name for line in lines]  # joined, no query

    assert snapshot(lines) == snapshot(cart_lines(cart))
    assert [line.quantity for line in lines] == [3, 2, 1]
    assert variant == wanted_variant
    assert variant.product == wanted_variant.product


def test_a_variant_the_cart_holds_is_found_once_with_its_line(cart):
    held = cart_lines(cart)[1]

    lines, variant = cart_lines_and_variant(cart, Q(sku=held.variant.sku))

    assert variant == held.variant
    assert snapshot(lines) == snapshot(cart_lines(cart))
    assert next(line for line in lines if line.variant_id == variant.pk).pk == held.pk


def test_no_such_variant_gives_none_and_still_the_lines(cart):
    lines, variant = cart_lines_and_variant(cart, Q(sku="NO-SUCH"))

    assert variant is None
    assert len(lines) == 3


def test_an_empty_cart_gives_only_the_variant():
    wanted = ProductVariantFactory.create(sku="WANTED-1")

    assert cart_lines_and_variant(CartFactory.create(), Q(sku="WANTED-1")) == ([], wanted)

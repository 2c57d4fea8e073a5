"""Wishlist services and selectors: saving once, the size limit, removing, and listing."""

import contextlib
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.utils import timezone

from apps.cart.errors import CartLineNotFound
from apps.cart.models import CartLine
from apps.catalog.models import Product
from apps.core.errors import NotFound
from apps.core.tests.concurrency import require_postgresql, run_at_once
from apps.orders.tests.factories import fill_cart, new_cart
from apps.users.models import User
from apps.users.tests.factories import UserFactory
from apps.wishlist import selectors, services
from apps.wishlist.errors import NotInWishlist, WishlistFull
from apps.wishlist.models import WishlistItem
from apps.wishlist.tests.helpers import HIDE, deactivate, for_sale, saved_slugs

HIDDEN = pytest.mark.parametrize("hide", list(HIDE.values()), ids=list(HIDE))


# --- Saving ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_saving_a_product_stores_it_for_the_customer(user: User) -> None:
    lamp = for_sale(slug="desk-lamp")

    item, created = services.save_for_later(user=user, slug="desk-lamp")

    assert created is True
    assert WishlistItem.objects.get() == item
    assert (item.user_id, item.product_id) == (user.pk, lamp.pk)
    assert item.saved_at is not None
    assert abs(item.saved_at - timezone.now()) < timedelta(minutes=1)
    assert selectors.is_saved(user_id=user.pk, product_id=lamp.pk) is True


@pytest.mark.django_db
def test_saving_a_product_twice_keeps_the_first_save(user: User) -> None:
    for_sale(slug="desk-lamp")
    first, _ = services.save_for_later(user=user, slug="desk-lamp")

    again, created = services.save_for_later(user=user, slug="desk-lamp")

    assert created is False
    assert again.pk == first.pk
    assert again.saved_at == first.saved_at
    assert WishlistItem.objects.count() == 1


@pytest.mark.django_db
def test_two_customers_each_keep_their_own_save(user: User) -> None:
    lamp = for_sale(slug="desk-lamp")
    other = UserFactory.create()

    mine, mine_created = services.save_for_later(user=user, slug="desk-lamp")
    theirs, theirs_created = services.save_for_later(user=other, slug="desk-lamp")

    assert (mine_created, theirs_created) == (True, True)
    assert mine.pk != theirs.pk
    assert WishlistItem.objects.filter(product=lamp).count() == 2


@pytest.mark.django_db
def test_an_unknown_slug_is_not_found_and_stores_nothing(user: User) -> None:
    for_sale(slug="desk-lamp")

    with pytest.raises(NotFound) as raised:
        services.save_for_later(user=user, slug="no-such-lamp")

    assert raised.value.code == "not_found"
    assert "no-such-lamp" in raised.value.detail
    assert not WishlistItem.objects.exists()


@HIDDEN
@pytest.mark.django_db
def test_a_product_customers_cannot_see_is_not_found(
    user: User, hide: Callable[[Product], None]
) -> None:
    lamp = for_sale(slug="desk-lamp")
    hide(lamp)

    with pytest.raises(NotFound):
        services.save_for_later(user=user, slug="desk-lamp")

    assert not WishlistItem.objects.exists()


@pytest.mark.django_db
def test_a_full_wishlist_refuses_another_product(user: User, settings: Any) -> None:
    settings.WISHLIST_MAX_ITEMS = 2
    for slug in ["one", "two", "three"]:
        for_sale(slug=slug)
    services.save_for_later(user=user, slug="one")
    services.save_for_later(user=user, slug="two")

    with pytest.raises(WishlistFull) as raised:
        services.save_for_later(user=user, slug="three")

    assert (raised.value.code, raised.value.status) == ("wishlist_full", 409)
    assert "2" in raised.value.detail
    assert saved_slugs(user) == {"one", "two"}


@pytest.mark.django_db
def test_a_full_wishlist_still_answers_a_product_saved_already(user: User, settings: Any) -> None:
    settings.WISHLIST_MAX_ITEMS = 2
    for slug in ["one", "two"]:
        for_sale(slug=slug)
    first, _ = services.save_for_later(user=user, slug="one")
    services.save_for_later(user=user, slug="two")

    again, created = services.save_for_later(user=user, slug="one")

    assert (again.pk, created) == (first.pk, False)
    assert WishlistItem.objects.filter(user=user).count() == 2


@pytest.mark.django_db
def test_the_limit_counts_only_the_customers_own_items(user: User, settings: Any) -> None:
    settings.WISHLIST_MAX_ITEMS = 1
    for slug in ["one", "two"]:
        for_sale(slug=slug)
    other = UserFactory.create()
    services.save_for_later(user=other, slug="one")

    _, created = services.save_for_later(user=user, slug="two")

    assert created is True
    with pytest.raises(WishlistFull):
        services.save_for_later(user=user, slug="one")
    assert saved_slugs(user) == {"two"}
    assert saved_slugs(other) == {"one"}


# --- Removing -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_removing_takes_the_product_off_the_wishlist(user: User) -> None:
    lamp = for_sale(slug="desk-lamp")
    for_sale(slug="chair")
    services.save_for_later(user=user, slug="desk-lamp")
    services.save_for_later(user=user, slug="chair")

    services.remove_from_wishlist(user=user, slug="desk-lamp")

    assert saved_slugs(user) == {"chair"}
    assert selectors.is_saved(user_id=user.pk, product_id=lamp.pk) is False


@pytest.mark.django_db
def test_removing_a_product_hidden_since_it_was_saved_works(user: User) -> None:
    lamp = for_sale(slug="desk-lamp")
    services.save_for_later(user=user, slug="desk-lamp")
    deactivate(lamp)

    services.remove_from_wishlist(user=user, slug="desk-lamp")

    assert not WishlistItem.objects.exists()


@pytest.mark.parametrize("slug", ["no-such-lamp", "chair"], ids=["unknown", "not-saved"])
@pytest.mark.django_db
def test_removing_a_product_not_in_the_wishlist_is_not_in_wishlist(user: User, slug: str) -> None:
    for_sale(slug="desk-lamp")
    for_sale(slug="chair")
    services.save_for_later(user=user, slug="desk-lamp")

    with pytest.raises(NotInWishlist) as raised:
        services.remove_from_wishlist(user=user, slug=slug)

    assert (raised.value.code, raised.value.status) == ("not_in_wishlist", 404)
    assert isinstance(raised.value, NotFound)
    assert saved_slugs(user) == {"desk-lamp"}


@pytest.mark.django_db
def test_removing_leaves_other_customers_saves_alone(user: User) -> None:
    for_sale(slug="desk-lamp")
    other = UserFactory.create()
    services.save_for_later(user=other, slug="desk-lamp")

    with pytest.raises(NotInWishlist):
        services.remove_from_wishlist(user=user, slug="desk-lamp")

    assert saved_slugs(other) == {"desk-lamp"}


# --- Listing --------------------------------------------------------------------------------


def listed(user: User) -> list[str]:
    return [item["product"]["slug"] for item in selectors.list_wishlist(user_id=user.pk)]


@pytest.mark.django_db
def test_the_list_is_newest_first_with_each_products_card(user: User) -> None:
    for slug in ["one", "two", "three"]:
        for_sale(slug=slug, name=f"Product {slug}")
    saved = {slug: services.save_for_later(user=user, slug=slug)[0] for slug in ["one", "two"]}
    services.save_for_later(user=user, slug="three")

    items = selectors.list_wishlist(user_id=user.pk)

    assert [item["product"]["slug"] for item in items] == ["three", "two", "one"]
    first = items[-1]
    assert first["saved_at"] == saved["one"].saved_at
    assert first["product"]["name"] == "Product one"
    assert first["product"]["price"] == "19.99"
    assert first["product"]["in_stock"] is True

    # The time it was saved orders the list, whatever the order the rows were written in.
    WishlistItem.objects.filter(pk=saved["one"].pk).update(
        saved_at=timezone.now() + timedelta(hours=1)
    )
    WishlistItem.objects.filter(pk=saved["two"].pk).update(
        saved_at=timezone.now() - timedelta(hours=1)
    )
    assert listed(user) == ["one", "three", "two"]


@pytest.mark.django_db
def test_the_list_holds_only_the_customers_own_items(user: User) -> None:
    for slug in ["mine", "theirs"]:
        for_sale(slug=slug)
    other = UserFactory.create()
    services.save_for_later(user=user, slug="mine")
    services.save_for_later(user=other, slug="theirs")

    assert listed(user) == ["mine"]
    assert listed(other) == ["theirs"]
    assert listed(UserFactory.create()) == []


@HIDDEN
@pytest.mark.django_db
def test_a_product_hidden_after_saving_is_left_out_of_the_list(
    user: User, hide: Callable[[Product], None]
) -> None:
    lamp = for_sale(slug="desk-lamp")
    for_sale(slug="chair")
    services.save_for_later(user=user, slug="desk-lamp")
    services.save_for_later(user=user, slug="chair")

    hide(lamp)

    assert listed(user) == ["chair"]
    # Left out, not forgotten: the save is kept for when the product is back.
    assert saved_slugs(user) == {"desk-lamp", "chair"}
    assert selectors.is_saved(user_id=user.pk, product_id=lamp.pk) is True


@pytest.mark.django_db
def test_is_saved_is_per_customer_and_product(user: User) -> None:
    lamp = for_sale(slug="desk-lamp")
    chair = for_sale(slug="chair")
    services.save_for_later(user=user, slug="desk-lamp")

    assert selectors.is_saved(user_id=user.pk, product_id=lamp.pk) is True
    assert selectors.is_saved(user_id=user.pk, product_id=chair.pk) is False
    assert selectors.is_saved(user_id=UserFactory.create().pk, product_id=lamp.pk) is False


# --- At the same time (PostgreSQL) ----------------------------------------------------------

# How long a save waits, after its look-ups, for the other save to make its own: long enough
# for both threads to look before either writes. A fix that serializes saves makes the first
# one wait this long once, alone.
RENDEZVOUS_SECONDS = 2


def rendezvous_before_writing() -> Any:
    """Patch the save's write to wait until both saves have looked at the wishlist."""
    both_looked = threading.Barrier(2)
    create = WishlistItem.objects.create

    def meet_the_other_then_write(**fields: Any) -> WishlistItem:
        with contextlib.suppress(threading.BrokenBarrierError):
            both_looked.wait(timeout=RENDEZVOUS_SECONDS)
        return create(**fields)

    return mock.patch.object(WishlistItem.objects, "create", meet_the_other_then_write)


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_saves_of_the_same_product_both_succeed_with_one_row() -> None:
    """A double click: both requests find nothing saved, both write; one row is kept and both
    answer it, neither fails on the one-save-per-product constraint."""
    require_postgresql()
    user = UserFactory.create()
    lamp = for_sale(slug="desk-lamp")

    def save() -> tuple[Any, bool]:
        item, created = services.save_for_later(user=user, slug="desk-lamp")
        return item.pk, created

    with rendezvous_before_writing():
        results = run_at_once([save, save])

    assert sorted(created for _, created in results) == [False, True]
    (row,) = WishlistItem.objects.filter(user=user, product=lamp)
    assert {pk for pk, _ in results} == {row.pk}


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_saves_cannot_overfill_the_wishlist(settings: Any) -> None:
    """One place left, two different products saved at once: one is saved, the other is
    refused as WishlistFull; the wishlist never holds more than WISHLIST_MAX_ITEMS."""
    require_postgresql()
    settings.WISHLIST_MAX_ITEMS = 2
    user = UserFactory.create()
    for slug in ["kept", "lamp", "chair"]:
        for_sale(slug=slug)
    services.save_for_later(user=user, slug="kept")

    def save(slug: str) -> Callable[[], str]:
        def task() -> str:
            try:
                services.save_for_later(user=user, slug=slug)
            except WishlistFull:
                return "full"
            return "saved"

        return task

    with rendezvous_before_writing():
        results = run_at_once([save("lamp"), save("chair")])

    assert sorted(results) == ["full", "saved"]
    assert WishlistItem.objects.filter(user=user).count() == 2


# --- From the cart --------------------------------------------------------------------------


def test_a_cart_line_moves_to_the_wishlist_and_out_of_the_cart(user: User) -> None:
    lamp = for_sale(slug="desk-lamp")
    cart = fill_cart(new_cart(user), {lamp.variants.get(): 2})
    line = cart.lines.get()

    item = services.save_cart_line_for_later(user=user, cart=cart, line_id=line.pk)

    assert (item.user_id, item.product_id) == (user.pk, lamp.pk)
    assert not CartLine.objects.filter(cart=cart).exists()


@HIDDEN
def test_a_line_whose_product_is_hidden_since_stays_in_the_cart(
    user: User, hide: Callable[[Product], None]
) -> None:
    lamp = for_sale(slug="desk-lamp")
    cart = fill_cart(new_cart(user), {lamp.variants.get(): 1})
    hide(lamp)

    with pytest.raises(NotFound):
        services.save_cart_line_for_later(user=user, cart=cart, line_id=cart.lines.get().pk)

    assert CartLine.objects.filter(cart=cart).count() == 1
    assert saved_slugs(user) == set()


def test_another_carts_line_is_not_found(user: User) -> None:
    lamp = for_sale(slug="desk-lamp")
    theirs = fill_cart(new_cart(UserFactory.create()), {lamp.variants.get(): 1})

    with pytest.raises(CartLineNotFound):
        services.save_cart_line_for_later(
            user=user, cart=new_cart(user), line_id=theirs.lines.get().pk
        )

    assert CartLine.objects.filter(cart=theirs).count() == 1

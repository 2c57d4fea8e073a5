"""Saved addresses: one default per customer (in the services and in the database), scoping."""

from typing import Any

import pytest
from django.contrib.admin.sites import site
from django.db import IntegrityError, transaction

from apps.users import selectors, services
from apps.users.errors import AddressNotFound
from apps.users.models import Address, User
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FIELDS: dict[str, Any] = {
    "name": " Ada Lovelace ",
    "line1": "12 Analytical Row",
    "city": "London",
    "postal_code": "N1 9GU",
    "country": "gb",
}


def add(user: User, **overrides: Any) -> Address:
    return services.create_address(user=user, **{**FIELDS, **overrides})


def defaults(user: User) -> list[Address]:
    return list(Address.objects.filter(user=user, is_default=True))


def test_the_first_address_becomes_the_default_and_is_cleaned() -> None:
    user = UserFactory.create()
    address = add(user)
    assert address.is_default
    assert address.name == "Ada Lovelace"
    assert address.country == "GB"
    second = add(user, line1="1 Other Street")
    assert not second.is_default
    assert defaults(user) == [address]


def test_a_new_default_replaces_the_old_one() -> None:
    user = UserFactory.create()
    first = add(user)
    second = add(user, line1="2 New Street", is_default=True)
    assert defaults(user) == [second]
    first.refresh_from_db()
    assert not first.is_default


def test_set_default_moves_the_default() -> None:
    user = UserFactory.create()
    first, second = add(user), add(user, line1="2 New Street")
    services.set_default_address(address=second)
    assert defaults(user) == [second]
    services.set_default_address(address=first)
    assert defaults(user) == [first]


def test_the_database_refuses_a_second_default_per_user() -> None:
    user = UserFactory.create()
    add(user)
    with pytest.raises(IntegrityError), transaction.atomic():
        Address.objects.create(user=user, **{**FIELDS, "is_default": True})
    # Another customer has a default of their own, and non-default rows are unlimited.
    other = UserFactory.create()
    add(other)
    Address.objects.create(user=user, **FIELDS)
    assert Address.objects.filter(is_default=True).count() == 2


def test_update_changes_fields_but_not_the_default() -> None:
    user = UserFactory.create()
    address = add(user)
    services.update_address(address=address, city=" Paris ", country="fr")
    address.refresh_from_db()
    assert (address.city, address.country, address.is_default) == ("Paris", "FR", True)
    with pytest.raises(TypeError):
        services.update_address(address=address, is_default="no")


def test_deleting_the_default_promotes_the_newest_other_address() -> None:
    user = UserFactory.create()
    first = add(user)
    add(user, line1="2 Older Street")
    newest = add(user, line1="3 Newest Street")
    services.delete_address(address=first)
    assert defaults(user) == [newest]
    services.delete_address(address=add(user, line1="4 Plain Street"))
    assert defaults(user) == [newest]


def test_selectors_are_scoped_to_the_owner() -> None:
    owner, stranger = UserFactory.create(), UserFactory.create()
    mine = add(owner)
    second = add(owner, line1="2 New Street")
    assert list(selectors.list_addresses(user=owner)) == [mine, second]
    assert selectors.default_address(user=owner) == mine
    assert selectors.default_address(user=stranger) is None
    assert selectors.get_address(user=owner, address_id=mine.pk) == mine
    with pytest.raises(AddressNotFound):
        selectors.get_address(user=stranger, address_id=mine.pk)


def test_addresses_are_in_the_back_office() -> None:
    assert Address in site._registry

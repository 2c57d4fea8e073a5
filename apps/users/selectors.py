"""User reads: a customer's saved addresses, always scoped to their owner."""

from typing import Any

from django.db.models import QuerySet

from apps.users.errors import AddressNotFound
from apps.users.models import Address, User
from apps.users.querysets import normalize_email


def list_addresses(*, user: User) -> QuerySet[Address]:
    """Return the user's saved addresses, the default first, then the newest."""
    return Address.objects.filter(user=user).order_by("-is_default", "-created_at")


def get_address(*, user: User, address_id: Any) -> Address:
    """Return one of the user's addresses.

    Raises:
        AddressNotFound: no such address among the user's (another customer's is not found).
    """
    address = Address.objects.filter(user=user, pk=address_id).first()
    if address is None:
        raise AddressNotFound("No such address.")
    return address


def default_address(*, user: User) -> Address | None:
    """Return the user's default address, or None when they have not chosen one."""
    return Address.objects.filter(user=user, is_default=True).first()


def email_registered(email: str) -> bool:
    """Return whether an account uses this e-mail address, in any letter case."""
    return User.objects.with_email(normalize_email(email)).exists()

"""Factories for users."""

import re
from typing import Any

import factory
from factory.django import DjangoModelFactory

from apps.users.models import User

DEFAULT_PASSWORD = "correct-horse-battery-staple"


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.django.Password(DEFAULT_PASSWORD)


class StaffUserFactory(UserFactory):
    is_staff = True


class SuperUserFactory(StaffUserFactory):
    email = factory.Sequence(lambda n: f"admin{n}@example.com")
    is_superuser = True


NEW_PASSWORD = "a-brand-new-passphrase"

# Passwords that each fail one of the password validators for a user with this e-mail, keyed
# by test id, with words the validator's message contains and the validator's error code.
WEAK_PASSWORD_EMAIL = "ada.lovelace@example.com"
WEAK_PASSWORDS = {
    "too-short": ("Xy7!aB", "too short", "password_too_short"),
    "too-common": ("password123", "too common", "password_too_common"),
    "numeric": ("73915582046", "entirely numeric", "password_entirely_numeric"),
    "similar-to-email": ("ada.lovelace@example", "too similar", "password_too_similar"),
}


def sign_up_path(message: Any) -> str:
    """Return the path of the finish-your-account link in a sign-up e-mail."""
    match = re.search(r"https?://[^/\s]+(/account/register/[^/\s]+/)", message.body)
    assert match is not None, message.body
    return match.group(1)

"""The user model and its manager: normalized, case-insensitively unique e-mail logins."""

import pytest
from django.contrib.auth.hashers import identify_hasher, make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.users.models import User
from apps.users.tests.factories import UserFactory
from config.settings import base as base_settings

pytestmark = pytest.mark.django_db


# --- Manager --------------------------------------------------------------------------------


def test_create_user_normalizes_email_and_hashes_password():
    user = User.objects.create_user("  Jane.Doe@Example.COM ", password="s3cret-enough-pw")

    user.refresh_from_db()
    assert user.email == "jane.doe@example.com"
    assert user.password != "s3cret-enough-pw"
    assert user.check_password("s3cret-enough-pw")
    assert (user.is_staff, user.is_superuser, user.is_active) == (False, False, True)


def test_create_user_without_password_has_unusable_password():
    user = User.objects.create_user("nopass@example.com")

    assert not user.has_usable_password()


@pytest.mark.parametrize("email", ["", None])
def test_create_user_requires_an_email(email):
    with pytest.raises(ValueError, match="e-mail address"):
        User.objects.create_user(email, password="s3cret-enough-pw")

    assert User.objects.count() == 0


def test_create_superuser_sets_staff_and_superuser_flags():
    user = User.objects.create_superuser("Boss@Example.com", password="s3cret-enough-pw")

    user.refresh_from_db()
    assert user.email == "boss@example.com"
    assert user.is_staff
    assert user.is_superuser


@pytest.mark.parametrize("flags", [{"is_staff": False}, {"is_superuser": False}])
def test_create_superuser_refuses_missing_flags(flags):
    with pytest.raises(ValueError, match="is_staff=True and is_superuser=True"):
        User.objects.create_superuser("boss@example.com", password="s3cret-enough-pw", **flags)

    assert User.objects.count() == 0


def test_get_by_natural_key_ignores_case():
    user = UserFactory.create(email="ada@example.com")

    assert User.objects.get_by_natural_key("ADA@example.com") == user
    with pytest.raises(User.DoesNotExist):
        User.objects.get_by_natural_key("nobody@example.com")


# --- Case-insensitive uniqueness in the database ----------------------------------------------


def test_database_rejects_email_differing_only_by_case_on_insert():
    UserFactory.create(email="ada@example.com")

    # bulk_create bypasses the manager's normalization: only the LOWER(email) constraint stops it.
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="Ada@Example.com", password="x")])

    assert list(User.objects.values_list("email", flat=True)) == ["ada@example.com"]


def test_database_rejects_email_differing_only_by_case_on_update():
    UserFactory.create(email="ada@example.com")
    other = UserFactory.create(email="grace@example.com")

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=other.pk).update(email="ADA@example.com")

    other.refresh_from_db()
    assert other.email == "grace@example.com"


def test_full_clean_normalizes_email_and_reports_case_insensitive_duplicate():
    UserFactory.create(email="ada@example.com")
    duplicate = User(email="Ada@Example.com", password="x")

    with pytest.raises(ValidationError) as excinfo:
        duplicate.full_clean()

    assert duplicate.email == "ada@example.com"
    assert excinfo.value.message_dict["email"] == [
        "A user with this e-mail address already exists."
    ]


# --- Query vocabulary -------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["ada@example.com", "ADA@Example.Com", "  ada@example.com "])
def test_with_email_matches_case_insensitively(query):
    ada = UserFactory.create(email="ada@example.com")
    UserFactory.create(email="adam@example.com")

    assert list(User.objects.with_email(query)) == [ada]


def test_with_email_composes_with_active():
    UserFactory.create(email="gone@example.com", is_active=False)

    assert not User.objects.with_email("gone@example.com").active().exists()
    assert User.objects.with_email("gone@example.com").exists()


# --- Names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("full_name", "expected_full", "expected_short"),
    [
        ("Ada Lovelace", "Ada Lovelace", "Ada"),
        ("Plato", "Plato", "Plato"),
        ("", "ada@example.com", "ada@example.com"),
    ],
)
def test_names_fall_back_to_email(full_name, expected_full, expected_short):
    user = User(email="ada@example.com", full_name=full_name)

    assert user.get_full_name() == expected_full
    assert user.get_short_name() == expected_short
    assert str(user) == "ada@example.com"


# --- Settings ---------------------------------------------------------------------------------


def test_base_settings_hash_passwords_with_argon2_first(settings):
    assert base_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"

    # The library behind it is installed: with the base hashers, new hashes are Argon2.
    settings.PASSWORD_HASHERS = base_settings.PASSWORD_HASHERS
    assert identify_hasher(make_password("s3cret-enough-pw")).algorithm == "argon2"


def test_base_settings_enable_the_password_validators():
    names = {
        validator["NAME"].rsplit(".", 1)[1] for validator in base_settings.AUTH_PASSWORD_VALIDATORS
    }

    assert names >= {
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    }

"""Factories for users."""

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

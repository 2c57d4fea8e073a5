"""Staff users holding one of the back-office roles, for the role tests of every app."""

from django.contrib.auth.models import Group
from django.test import Client

from apps.users.models import User
from apps.users.tests.factories import StaffUserFactory


def staff_with_role(role: str) -> User:
    """Return a new staff user who is a member of the `role` group (made by a migration)."""
    user = StaffUserFactory.create()
    user.groups.add(Group.objects.get(name=role))
    return user


def admin_client_for(user: User) -> Client:
    """Return a test client logged in to the admin as `user` (by session, as staff log in)."""
    client = Client()
    client.force_login(user)
    return client

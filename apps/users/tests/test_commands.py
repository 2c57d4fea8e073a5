"""The create_demo_users command: the printed logins work, and only where they are safe."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from apps.users.models import User
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# (e-mail, password, staff, superuser) as the command prints and creates them.
DEMO_LOGINS = [
    ("admin@emporium.localhost", "emporium-admin", True, True),
    ("staff@emporium.localhost", "emporium-staff", True, False),
    ("catalog@emporium.localhost", "emporium-catalog", True, False),
    ("orders@emporium.localhost", "emporium-orders", True, False),
    ("support@emporium.localhost", "emporium-support", True, False),
    ("customer@emporium.localhost", "emporium-customer", False, False),
]


def create_demo_users(*args: str) -> str:
    out = StringIO()
    call_command("create_demo_users", *args, stdout=out)
    return out.getvalue()


def assert_demo_logins_work() -> None:
    for email, password, is_staff, is_superuser in DEMO_LOGINS:
        user = authenticate(email=email, password=password)
        assert user is not None, email
        assert (user.is_staff, user.is_superuser, user.is_active) == (is_staff, is_superuser, True)


def test_creates_the_demo_users_it_prints(settings):
    settings.DEBUG = True

    output = create_demo_users()

    assert User.objects.count() == len(DEMO_LOGINS)
    for email, password, _, _ in DEMO_LOGINS:
        assert f"{email}  /  {password}" in output
    assert_demo_logins_work()


def test_refuses_with_debug_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="--force"):
        create_demo_users()

    assert not User.objects.exists()


def test_force_creates_them_with_debug_off(settings):
    settings.DEBUG = False

    create_demo_users("--force")

    assert_demo_logins_work()


def test_rerun_resets_the_demo_users_without_duplicating_them(settings):
    settings.DEBUG = True
    create_demo_users()
    customer = User.objects.get(email="customer@emporium.localhost")
    customer.set_password("changed-by-someone")
    customer.is_active = False
    customer.is_staff = True
    customer.save()
    bystander = UserFactory.create()

    create_demo_users()

    assert User.objects.count() == len(DEMO_LOGINS) + 1
    assert_demo_logins_work()
    assert User.objects.get(email="customer@emporium.localhost").pk == customer.pk
    assert User.objects.filter(pk=bystander.pk).exists()


def test_rerun_finds_an_existing_account_in_another_case(settings):
    settings.DEBUG = True
    existing = User.objects.bulk_create([User(email="Staff@Emporium.localhost")])[0]

    create_demo_users()

    assert User.objects.count() == len(DEMO_LOGINS)
    assert User.objects.with_email("staff@emporium.localhost").get().pk == existing.pk


def test_staff_demo_users_hold_their_roles(settings):
    settings.DEBUG = True

    create_demo_users()

    def groups(email: str) -> set[str]:
        return set(User.objects.get(email=email).groups.values_list("name", flat=True))

    assert groups("catalog@emporium.localhost") == {"Catalog managers"}
    assert groups("orders@emporium.localhost") == {"Order managers"}
    assert groups("support@emporium.localhost") == {"Support"}
    assert groups("customer@emporium.localhost") == set()

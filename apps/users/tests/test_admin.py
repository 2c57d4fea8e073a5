"""The users back office: list, search, filter, add and change users."""

import pytest
from django.urls import reverse, reverse_lazy

from apps.users.models import User
from apps.users.tests.factories import (
    DEFAULT_PASSWORD,
    NEW_PASSWORD,
    StaffUserFactory,
    SuperUserFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

CHANGELIST_URL = reverse_lazy("admin:users_user_changelist")
ADD_URL = reverse_lazy("admin:users_user_add")


@pytest.fixture
def superuser():
    return SuperUserFactory.create(email="boss@example.com")


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def people():
    return {
        "ada": UserFactory.create(email="ada@example.com", full_name="Ada Lovelace"),
        "grace": StaffUserFactory.create(email="grace@navy.example", full_name="Grace Hopper"),
        "alan": UserFactory.create(
            email="alan@example.com", full_name="Alan Turing", is_active=False
        ),
    }


def listed_emails(response) -> set[str]:
    assert response.status_code == 200
    return {user.email for user in response.context["cl"].result_list}


def test_admin_is_mounted_at_the_admin_url_setting(settings):
    assert str(CHANGELIST_URL) == f"/{settings.ADMIN_URL}users/user/"


def test_changelist_lists_every_user(admin_client, people):
    response = admin_client.get(CHANGELIST_URL)

    assert listed_emails(response) == {user.email for user in people.values()} | {
        "boss@example.com"
    }
    assert b"ada@example.com" in response.content


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ADA@example", {"ada@example.com"}),
        ("hopper", {"grace@navy.example"}),
        ("navy", {"grace@navy.example"}),
        ("example.com", {"ada@example.com", "alan@example.com", "boss@example.com"}),
        ("nobody-matches", set()),
    ],
)
def test_changelist_searches_email_and_name(admin_client, people, query, expected):
    response = admin_client.get(CHANGELIST_URL, {"q": query})

    assert listed_emails(response) == expected


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"is_staff__exact": "1"}, {"grace@navy.example", "boss@example.com"}),
        ({"is_active__exact": "0"}, {"alan@example.com"}),
        ({"is_superuser__exact": "1"}, {"boss@example.com"}),
        ({"is_staff__exact": "0", "q": "a"}, {"ada@example.com", "alan@example.com"}),
    ],
)
def test_changelist_filters_by_role_and_activity(admin_client, people, filters, expected):
    response = admin_client.get(CHANGELIST_URL, filters)

    assert listed_emails(response) == expected


def test_add_form_renders(admin_client):
    response = admin_client.get(ADD_URL)

    assert response.status_code == 200
    assert set(response.context["adminform"].form.fields) >= {
        "email",
        "full_name",
        "password1",
        "password2",
    }


def test_add_form_creates_user_with_normalized_email(admin_client):
    response = admin_client.post(
        ADD_URL,
        {
            "email": "  New.Person@Example.COM ",
            "full_name": "New Person",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(email="new.person@example.com")
    assert user.full_name == "New Person"
    assert user.check_password(NEW_PASSWORD)
    assert not user.is_staff
    assert not user.is_superuser
    assert response["Location"] == reverse("admin:users_user_change", args=[user.pk])


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": "ADA@example.com"}, "email"),
        ({"email": "not-an-email"}, "email"),
        ({"password2": "a-different-passphrase"}, "password2"),
        ({"password1": "12345678", "password2": "12345678"}, "password2"),
    ],
    ids=["email-taken-in-other-case", "invalid-email", "mismatch", "weak-password"],
)
def test_add_form_refuses_invalid_input(admin_client, people, changes, field):
    count = User.objects.count()
    data = {
        "email": "new.person@example.com",
        "full_name": "New Person",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        **changes,
    }

    response = admin_client.post(ADD_URL, data)

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert User.objects.count() == count


def test_change_page_renders_profile_and_activity(admin_client, people):
    ada = people["ada"]

    response = admin_client.get(reverse("admin:users_user_change", args=[ada.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert "ada@example.com" in content
    assert "Ada Lovelace" in content
    assert "Last seen at" in content
    assert "Welcome email sent at" in content
    assert set(response.context["adminform"].form.fields) >= {
        "email",
        "full_name",
        "is_active",
        "is_staff",
    }


def test_change_page_saves_with_normalized_email(admin_client, people):
    ada = people["ada"]

    response = admin_client.post(
        reverse("admin:users_user_change", args=[ada.pk]),
        {"email": "Countess@Example.COM", "full_name": "Augusta Ada King", "is_active": "on"},
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    ada.refresh_from_db()
    assert ada.email == "countess@example.com"
    assert ada.full_name == "Augusta Ada King"
    assert ada.check_password(DEFAULT_PASSWORD)  # the change form never touches the password


def test_back_office_is_closed_to_customers(client, people):
    client.force_login(people["ada"])

    response = client.get(CHANGELIST_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))

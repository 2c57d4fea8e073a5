"""The authentication and current-user API: contracts, bad input, tokens and throttling.

Every error is checked as a problem+json answer, and every refused request is checked to
have left the stored users exactly as they were.
"""

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import jwt
import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken

from apps.core.tests.helpers import assert_problem
from apps.users.models import User
from apps.users.services import password_reset_uid
from apps.users.tests.factories import (
    DEFAULT_PASSWORD,
    NEW_PASSWORD,
    WEAK_PASSWORD_EMAIL,
    WEAK_PASSWORDS,
    UserFactory,
)

pytestmark = pytest.mark.django_db

REGISTER_URL = "/api/v1/auth/register/"
TOKEN_URL = "/api/v1/auth/token/"
REFRESH_URL = "/api/v1/auth/token/refresh/"
LOGOUT_URL = "/api/v1/auth/logout/"
RESET_URL = "/api/v1/auth/password/reset/"
RESET_CONFIRM_URL = "/api/v1/auth/password/reset/confirm/"
ME_URL = "/api/v1/users/me/"
PASSWORD_URL = "/api/v1/users/me/password/"

MISSING = object()  # marks a field to leave out of a payload
RESET_LINK = re.compile(r"/account/reset/(?P<uid>[\w-]+)/(?P<token>[\w-]+)/")
WEAK = pytest.mark.parametrize(
    ("password", "message", "code"), list(WEAK_PASSWORDS.values()), ids=list(WEAK_PASSWORDS)
)


# --- Helpers ----------------------------------------------------------------------------------


def field_error(body: dict, field: str) -> dict:
    return next(error for error in body["errors"] if error["field"] == field)


def stored_users() -> list:
    """Return what a refused request must not change: every user's identity and credentials."""
    return list(
        User.objects.order_by("pk").values(
            "pk", "email", "full_name", "password", "is_staff", "is_superuser", "is_active"
        )
    )


def payload(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """Return `base` with `changes` applied; a change to MISSING removes the field."""
    merged = {**base, **changes}
    return {key: value for key, value in merged.items() if value is not MISSING}


def client_with_token(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def obtain_tokens(client: APIClient, email: str, password: str = DEFAULT_PASSWORD) -> dict:
    response = client.post(TOKEN_URL, {"email": email, "password": password})
    assert response.status_code == 200, response.content
    return response.json()


def signed_with_another_key(token: RefreshToken) -> str:
    return jwt.encode(dict(token.payload), "not-the-signing-key-" + "x" * 32, algorithm="HS256")


def refresh_status(refresh: str) -> int:
    return APIClient().post(REFRESH_URL, {"refresh": refresh}).status_code


def request_reset_link(client: APIClient, email: str, capture) -> tuple[str, str]:
    with capture(execute=True):
        response = client.post(RESET_URL, {"email": email})
    assert response.status_code == 202
    [message] = mail.outbox
    match = RESET_LINK.search(str(message.body))
    assert match, message.body
    return match["uid"], match["token"]


@pytest.fixture
def expired_access(user, time_machine) -> str:
    """An access token of `user`, with the clock moved just past its lifetime."""
    issued = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    time_machine.move_to(issued, tick=False)
    access = str(RefreshToken.for_user(user).access_token)
    time_machine.move_to(issued + jwt_settings.ACCESS_TOKEN_LIFETIME, tick=False)
    time_machine.shift(1)
    return access


# --- Routing and generic errors ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("register", REGISTER_URL),
        ("token-obtain", TOKEN_URL),
        ("token-refresh", REFRESH_URL),
        ("logout", LOGOUT_URL),
        ("password-reset", RESET_URL),
        ("password-reset-confirm", RESET_CONFIRM_URL),
        ("me", ME_URL),
        ("change-password", PASSWORD_URL),
    ],
)
def test_url_names_reverse_to_the_documented_paths(name, path):
    assert reverse(f"v1:users:{name}") == path


POST_ENDPOINTS = [
    REGISTER_URL,
    TOKEN_URL,
    REFRESH_URL,
    LOGOUT_URL,
    RESET_URL,
    RESET_CONFIRM_URL,
    PASSWORD_URL,
]


@pytest.mark.parametrize("url", POST_ENDPOINTS)
def test_malformed_json_is_a_parse_error(auth_client, url):
    before = stored_users()

    response = auth_client.post(
        url, '{"email": "ada@example.com",', content_type="application/json"
    )

    assert_problem(response, 400, "parse_error")
    assert stored_users() == before


def test_malformed_json_on_profile_update_is_a_parse_error(auth_client, user):
    response = auth_client.patch(ME_URL, '{"full_name": ', content_type="application/json")

    assert_problem(response, 400, "parse_error")
    assert User.objects.get(pk=user.pk).full_name == user.full_name


@pytest.mark.parametrize("url", POST_ENDPOINTS)
@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ("email=ada%40example.com&password=x", "application/x-www-form-urlencoded"),
        ("email: ada@example.com", "text/plain"),
        ("<email>ada@example.com</email>", "application/xml"),
    ],
    ids=["form", "text", "xml"],
)
def test_bodies_other_than_json_are_unsupported(auth_client, url, data, content_type):
    before = stored_users()

    response = auth_client.post(url, data, content_type=content_type)

    assert_problem(response, 415, "unsupported_media_type")
    assert stored_users() == before


@pytest.mark.parametrize("url", POST_ENDPOINTS)
@pytest.mark.parametrize(
    ("data", "code"),
    [
        ("[]", "invalid"),
        ('["ada@example.com"]', "invalid"),
        ('"ada@example.com"', "invalid"),
        ("42", "invalid"),
        ("null", "null"),
    ],
    ids=["empty-list", "list", "string", "number", "null"],
)
def test_json_bodies_that_are_not_objects_are_refused(auth_client, url, data, code):
    before = stored_users()

    response = auth_client.post(url, data, content_type="application/json")

    body = assert_problem(response, 400, "validation_error", field="non_field_errors")
    assert field_error(body, "non_field_errors")["code"] == code
    assert stored_users() == before


@pytest.mark.parametrize(
    ("method", "url", "allowed"),
    [
        ("get", REGISTER_URL, "POST"),
        ("get", TOKEN_URL, "POST"),
        ("put", REFRESH_URL, "POST"),
        ("get", LOGOUT_URL, "POST"),
        ("get", RESET_URL, "POST"),
        ("delete", RESET_CONFIRM_URL, "POST"),
        ("put", ME_URL, "PATCH"),
        ("delete", ME_URL, "PATCH"),
        ("post", ME_URL, "PATCH"),
        ("get", PASSWORD_URL, "POST"),
    ],
)
def test_wrong_method_is_not_allowed(auth_client, method, url, allowed):
    before = stored_users()

    response = getattr(auth_client, method)(url, {"full_name": "Changed"}, format="json")

    assert_problem(response, 405, "method_not_allowed")
    assert allowed in response["Allow"]
    assert stored_users() == before


@pytest.mark.parametrize("method", ["get", "post", "delete"])
@pytest.mark.parametrize("path", ["/api/v1/nothing-here/", "/api/v2/users/me/", "/api/"])
def test_unknown_api_url_is_a_not_found_problem(api_client, method, path):
    response = getattr(api_client, method)(path)

    body = assert_problem(response, 404, "not_found")
    assert path in body["detail"]
    assert "trailing slash" not in body["detail"]


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("path", ["/api/v1/users/me", "/api/v1/auth/register"])
def test_missing_trailing_slash_is_a_not_found_problem_with_a_hint(api_client, method, path):
    response = getattr(api_client, method)(path, {}, format="json")

    body = assert_problem(response, 404, "not_found")
    assert f"Did you mean {path}/" in body["detail"]
    assert not User.objects.exists()


# --- Registration -----------------------------------------------------------------------------

REGISTRATION = {
    "email": "ada@example.com",
    "full_name": "Ada Lovelace",
    "password": NEW_PASSWORD,
    "password_confirm": NEW_PASSWORD,
}


def test_register_creates_an_account(api_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            REGISTER_URL, payload(REGISTRATION, email="  Ada@Example.COM ", full_name=" Ada ")
        )

    assert response.status_code == 201, response.content
    user = User.objects.get()
    assert response.json() == {
        "id": str(user.pk),
        "email": "ada@example.com",
        "full_name": "Ada",
        "date_joined": user.date_joined.isoformat().replace("+00:00", "Z"),
        "is_staff": False,
    }
    assert user.check_password(NEW_PASSWORD)
    assert not user.is_staff
    assert not user.is_superuser
    assert [message.to for message in mail.outbox] == [["ada@example.com"]]


def test_register_succeeds_when_the_broker_is_down(api_client, django_capture_on_commit_callbacks):
    broker_down = ConnectionRefusedError("broker unreachable")
    with (
        mock.patch("apps.users.tasks.send_welcome_email.delay", side_effect=broker_down) as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = api_client.post(REGISTER_URL, REGISTRATION)

    assert response.status_code == 201, response.content
    delay.assert_called_once()
    user = User.objects.get(pk=response.json()["id"])
    assert user.welcome_email_sent_at is None  # left for the periodic sweep
    assert mail.outbox == []


def test_register_without_full_name(api_client):
    response = api_client.post(REGISTER_URL, payload(REGISTRATION, full_name=MISSING))

    assert response.status_code == 201, response.content
    assert response.json()["full_name"] == ""


def test_register_ignores_fields_it_does_not_know(api_client):
    response = api_client.post(
        REGISTER_URL, payload(REGISTRATION, is_staff=True, is_superuser=True, id="not-a-uuid")
    )

    assert response.status_code == 201, response.content
    user = User.objects.get()
    assert not user.is_staff
    assert not user.is_superuser


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        pytest.param({"email": MISSING}, "email", "required", id="email-missing"),
        pytest.param({"password": MISSING}, "password", "required", id="password-missing"),
        pytest.param(
            {"password_confirm": MISSING}, "password_confirm", "required", id="confirm-missing"
        ),
        pytest.param({"email": None}, "email", "null", id="email-null"),
        pytest.param({"email": ""}, "email", "blank", id="email-blank"),
        pytest.param({"email": 12345}, "email", "invalid", id="email-number"),
        pytest.param({"email": ["ada@example.com"]}, "email", "invalid", id="email-list"),
        pytest.param({"email": {"address": "ada@example.com"}}, "email", "invalid", id="email-obj"),
        pytest.param({"email": True}, "email", "invalid", id="email-bool"),
        pytest.param({"email": "ada@"}, "email", "invalid", id="email-no-domain"),
        pytest.param({"email": "ada.example.com"}, "email", "invalid", id="email-no-at"),
        pytest.param({"email": "ada @example.com"}, "email", "invalid", id="email-space"),
        pytest.param({"email": f"{'a' * 250}@example.com"}, "email", "max_length", id="email-long"),
        pytest.param({"password": {"value": "x"}}, "password", "invalid", id="password-object"),
        pytest.param({"password": ["a", "b"]}, "password", "invalid", id="password-list"),
        pytest.param({"password": None}, "password", "null", id="password-null"),
        pytest.param({"password": ""}, "password", "blank", id="password-blank"),
        pytest.param({"password": "x" * 129}, "password", "max_length", id="password-long"),
        pytest.param({"full_name": ["Ada"]}, "full_name", "invalid", id="full-name-list"),
        pytest.param({"full_name": "A" * 151}, "full_name", "max_length", id="full-name-long"),
        pytest.param(
            {"password_confirm": "a-different-passphrase"},
            "password_confirm",
            "password_mismatch",
            id="confirmation-mismatch",
        ),
        pytest.param(
            {"password_confirm": f"{NEW_PASSWORD} "},
            "password_confirm",
            "password_mismatch",
            id="confirmation-trailing-space",
        ),
    ],
)
def test_register_refuses_invalid_input(
    api_client, user, changes, field, code, django_capture_on_commit_callbacks
):
    before = stored_users()

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(REGISTER_URL, payload(REGISTRATION, **changes))

    body = assert_problem(response, 400, "validation_error", field=field)
    assert field_error(body, field)["code"] == code
    assert stored_users() == before
    assert mail.outbox == []


@WEAK
def test_register_refuses_weak_password(api_client, password, message, code):
    response = api_client.post(
        REGISTER_URL,
        payload(
            REGISTRATION, email=WEAK_PASSWORD_EMAIL, password=password, password_confirm=password
        ),
    )

    body = assert_problem(response, 400, "invalid_password", field="password")
    assert message in field_error(body, "password")["detail"]
    assert field_error(body, "password")["code"] == code
    assert password not in response.content.decode()
    assert not User.objects.exists()


@pytest.mark.parametrize("email", ["ada@example.com", "ADA@example.com", " Ada@Example.Com "])
def test_register_refuses_an_email_already_taken_in_any_case(
    api_client, email, django_capture_on_commit_callbacks
):
    UserFactory.create(email="ada@example.com")
    before = stored_users()

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(REGISTER_URL, payload(REGISTRATION, email=email))

    assert_problem(response, 409, "email_taken", field="email")
    assert stored_users() == before
    assert mail.outbox == []


# --- Tokens -----------------------------------------------------------------------------------


def test_obtain_tokens_with_email_in_any_case(api_client, user):
    tokens = obtain_tokens(api_client, user.email.upper())

    assert set(tokens) == {"access", "refresh"}
    me = client_with_token(tokens["access"]).get(ME_URL)
    assert me.json()["id"] == str(user.pk)
    user.refresh_from_db()
    assert user.last_login is not None


@pytest.mark.parametrize(
    "credentials",
    [
        pytest.param({"password": "not-the-password"}, id="wrong-password"),
        pytest.param({"email": "nobody@example.com"}, id="unknown-email"),
        pytest.param({"password": DEFAULT_PASSWORD.upper()}, id="password-in-other-case"),
    ],
)
def test_obtain_tokens_refuses_wrong_credentials(api_client, user, credentials):
    before = stored_users()

    response = api_client.post(
        TOKEN_URL, payload({"email": user.email, "password": DEFAULT_PASSWORD}, **credentials)
    )

    assert_problem(response, 401, "no_active_account")
    assert "access" not in response.json()
    assert stored_users() == before
    assert User.objects.get(pk=user.pk).last_login is None


def test_obtain_tokens_refuses_inactive_user(api_client):
    user = UserFactory.create(is_active=False)

    response = api_client.post(TOKEN_URL, {"email": user.email, "password": DEFAULT_PASSWORD})

    assert_problem(response, 401, "no_active_account")
    assert User.objects.get(pk=user.pk).last_login is None


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        pytest.param({"email": MISSING}, "email", "required", id="email-missing"),
        pytest.param({"password": MISSING}, "password", "required", id="password-missing"),
        pytest.param({"email": ["ada@example.com"]}, "email", "invalid", id="email-list"),
        pytest.param({"email": None}, "email", "null", id="email-null"),
        pytest.param({"password": {"value": "x"}}, "password", "invalid", id="password-object"),
        pytest.param({"password": ""}, "password", "blank", id="password-blank"),
    ],
)
def test_obtain_tokens_refuses_invalid_input(api_client, user, changes, field, code):
    response = api_client.post(
        TOKEN_URL, payload({"email": user.email, "password": DEFAULT_PASSWORD}, **changes)
    )

    body = assert_problem(response, 400, "validation_error", field=field)
    assert field_error(body, field)["code"] == code
    assert User.objects.get(pk=user.pk).last_login is None


def test_refresh_rotates_and_the_old_refresh_token_stops_working(api_client, user):
    first = obtain_tokens(api_client, user.email)

    response = api_client.post(REFRESH_URL, {"refresh": first["refresh"]})
    assert response.status_code == 200, response.content
    second = response.json()
    assert set(second) == {"access", "refresh"}
    assert second["refresh"] != first["refresh"]
    assert client_with_token(second["access"]).get(ME_URL).status_code == 200

    # Replaying the rotated token is refused, and the new one keeps working.
    replay = api_client.post(REFRESH_URL, {"refresh": first["refresh"]})
    assert_problem(replay, 401, "token_not_valid")
    assert refresh_status(second["refresh"]) == 200


@pytest.mark.parametrize(
    "make_refresh",
    [
        pytest.param(lambda user: "not-a-jwt", id="garbage"),
        pytest.param(lambda user: str(RefreshToken.for_user(user).access_token), id="access"),
        pytest.param(
            lambda user: signed_with_another_key(RefreshToken.for_user(user)), id="forged"
        ),
    ],
)
def test_refresh_refuses_invalid_tokens(api_client, user, make_refresh):
    response = api_client.post(REFRESH_URL, {"refresh": make_refresh(user)})

    body = assert_problem(response, 401, "token_not_valid")
    assert "access" not in body


def test_refresh_refuses_an_expired_token(api_client, user, time_machine):
    issued = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    time_machine.move_to(issued, tick=False)
    refresh = str(RefreshToken.for_user(user))
    time_machine.move_to(issued + jwt_settings.REFRESH_TOKEN_LIFETIME, tick=False)
    time_machine.shift(1)

    assert_problem(api_client.post(REFRESH_URL, {"refresh": refresh}), 401, "token_not_valid")


def test_refresh_refuses_a_deleted_users_token(api_client, user):
    refresh = str(RefreshToken.for_user(user))
    user.delete()

    response = api_client.post(REFRESH_URL, {"refresh": refresh})

    assert_problem(response, 401, "no_active_account")


def test_refresh_refuses_a_deactivated_users_token(api_client, user):
    refresh = str(RefreshToken.for_user(user))
    User.objects.filter(pk=user.pk).update(is_active=False)

    assert_problem(api_client.post(REFRESH_URL, {"refresh": refresh}), 401, "no_active_account")


@pytest.mark.parametrize(
    ("data", "code"),
    [({}, "required"), ({"refresh": ["x"]}, "invalid"), ({"refresh": None}, "null")],
    ids=["missing", "list", "null"],
)
def test_refresh_refuses_invalid_input(api_client, data, code):
    response = api_client.post(REFRESH_URL, data)

    body = assert_problem(response, 400, "validation_error", field="refresh")
    assert field_error(body, "refresh")["code"] == code


def test_access_token_works_until_its_lifetime_is_over(user, time_machine):
    issued = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    lifetime = jwt_settings.ACCESS_TOKEN_LIFETIME
    time_machine.move_to(issued, tick=False)
    client = client_with_token(str(RefreshToken.for_user(user).access_token))

    time_machine.move_to(issued + lifetime - timedelta(seconds=1), tick=False)
    assert client.get(ME_URL).status_code == 200

    time_machine.move_to(issued + lifetime + timedelta(seconds=1), tick=False)
    response = client.get(ME_URL)
    assert_problem(response, 401, "token_not_valid")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_expired_access_token_cannot_change_the_profile(expired_access, user):
    before = stored_users()

    response = client_with_token(expired_access).patch(ME_URL, {"full_name": "Changed"})

    assert_problem(response, 401, "token_not_valid")
    assert stored_users() == before
    assert User.objects.get(pk=user.pk).last_seen_at is None


@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        ("Bearer not-a-jwt", "token_not_valid"),
        ("Bearer a.b.c", "token_not_valid"),
        ("Bearer ", "bad_authorization_header"),
        ("Bearer two parts", "bad_authorization_header"),
    ],
    ids=["garbage", "bad-segments", "empty", "three-parts"],
)
def test_malformed_access_token_is_refused(api_client, authorization, code):
    api_client.credentials(HTTP_AUTHORIZATION=authorization)

    assert_problem(api_client.get(ME_URL), 401, code)


def test_refresh_token_is_not_accepted_as_an_access_token(api_client, user):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user)}")

    assert_problem(api_client.get(ME_URL), 401, "token_not_valid")


# --- Logout -----------------------------------------------------------------------------------


def test_logout_revokes_the_refresh_token(api_client, user):
    tokens = obtain_tokens(api_client, user.email)
    other_session = obtain_tokens(api_client, user.email)

    response = client_with_token(tokens["access"]).post(LOGOUT_URL, {"refresh": tokens["refresh"]})

    assert response.status_code == 204
    assert response.content == b""
    assert_problem(
        api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}), 401, "token_not_valid"
    )
    assert refresh_status(other_session["refresh"]) == 200


def test_logout_refuses_another_users_refresh_token(auth_client, api_client):
    someone_else = UserFactory.create()
    their_refresh = obtain_tokens(api_client, someone_else.email)["refresh"]

    response = auth_client.post(LOGOUT_URL, {"refresh": their_refresh})

    assert_problem(response, 400, "token_not_valid")
    assert refresh_status(their_refresh) == 200  # their session is untouched


def test_logout_twice_is_refused(api_client, user):
    tokens = obtain_tokens(api_client, user.email)
    client = client_with_token(tokens["access"])
    assert client.post(LOGOUT_URL, {"refresh": tokens["refresh"]}).status_code == 204

    assert_problem(client.post(LOGOUT_URL, {"refresh": tokens["refresh"]}), 400, "token_not_valid")


def test_logout_refuses_a_refresh_token_already_rotated(api_client, user):
    tokens = obtain_tokens(api_client, user.email)
    assert refresh_status(tokens["refresh"]) == 200

    response = client_with_token(tokens["access"]).post(LOGOUT_URL, {"refresh": tokens["refresh"]})

    assert_problem(response, 400, "token_not_valid")


@pytest.mark.parametrize(
    ("data", "code"),
    [({}, "required"), ({"refresh": {"token": "x"}}, "invalid"), ({"refresh": ""}, "blank")],
    ids=["missing", "object", "blank"],
)
def test_logout_refuses_invalid_input(auth_client, data, code):
    response = auth_client.post(LOGOUT_URL, data)

    body = assert_problem(response, 400, "validation_error", field="refresh")
    assert field_error(body, "refresh")["code"] == code


def test_logout_refuses_garbage_token(auth_client):
    assert_problem(auth_client.post(LOGOUT_URL, {"refresh": "not-a-jwt"}), 400, "token_not_valid")


def test_logout_requires_authentication(api_client, user):
    refresh = str(RefreshToken.for_user(user))

    response = api_client.post(LOGOUT_URL, {"refresh": refresh})

    assert_problem(response, 401, "not_authenticated")
    assert refresh_status(refresh) == 200


def test_logout_with_expired_access_token_is_refused(expired_access, user):
    refresh = str(RefreshToken.for_user(user))

    response = client_with_token(expired_access).post(LOGOUT_URL, {"refresh": refresh})

    assert_problem(response, 401, "token_not_valid")
    assert refresh_status(refresh) == 200


# --- Password reset ---------------------------------------------------------------------------


def test_password_reset_request_answers_alike_whether_or_not_the_account_exists(
    api_client, django_capture_on_commit_callbacks
):
    UserFactory.create(email="known@example.com")
    UserFactory.create(email="inactive@example.com", is_active=False)
    answers = []

    for email in ["known@example.com", "unknown@example.com", "inactive@example.com"]:
        with django_capture_on_commit_callbacks(execute=True):
            response = api_client.post(RESET_URL, {"email": email})
        body = response.json()
        body.pop("request_id", None)
        answers.append((response.status_code, response["Content-Type"], body))

    assert answers[0][0] == 202
    assert answers[0] == answers[1] == answers[2]
    assert [message.to for message in mail.outbox] == [["known@example.com"]]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({}, "required"),
        ({"email": "not-an-email"}, "invalid"),
        ({"email": ["known@example.com"]}, "invalid"),
        ({"email": 42}, "invalid"),
        ({"email": None}, "null"),
    ],
    ids=["missing", "invalid", "list", "number", "null"],
)
def test_password_reset_request_refuses_invalid_input(
    api_client, data, code, django_capture_on_commit_callbacks
):
    UserFactory.create(email="known@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(RESET_URL, data)

    body = assert_problem(response, 400, "validation_error", field="email")
    assert field_error(body, "email")["code"] == code
    assert mail.outbox == []


def test_password_reset_confirm_sets_the_new_password_once(
    api_client, user, django_capture_on_commit_callbacks
):
    old_session = obtain_tokens(api_client, user.email)
    uid, token = request_reset_link(api_client, user.email, django_capture_on_commit_callbacks)
    confirmation = {
        "uid": uid,
        "token": token,
        "new_password": NEW_PASSWORD,
        "new_password_confirm": NEW_PASSWORD,
    }

    response = api_client.post(RESET_CONFIRM_URL, confirmation)

    assert response.status_code == 204, response.content
    obtain_tokens(api_client, user.email, NEW_PASSWORD)
    assert_problem(
        api_client.post(TOKEN_URL, {"email": user.email, "password": DEFAULT_PASSWORD}),
        401,
        "no_active_account",
    )
    assert refresh_status(old_session["refresh"]) == 401

    # The link works once.
    replay = api_client.post(
        RESET_CONFIRM_URL,
        payload(
            confirmation, new_password="third-passphrase", new_password_confirm="third-passphrase"
        ),
    )
    assert_problem(replay, 400, "invalid_token")
    assert User.objects.get(pk=user.pk).check_password(NEW_PASSWORD)


@pytest.fixture
def reset_confirmation(user) -> dict[str, str]:

    return {
        "uid": password_reset_uid(user),
        "token": default_token_generator.make_token(user),
        "new_password": NEW_PASSWORD,
        "new_password_confirm": NEW_PASSWORD,
    }


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"uid": "bm90LWEtdXVpZA"}, id="uid-not-a-uuid"),
        pytest.param({"uid": "%%%"}, id="uid-not-base64"),
        pytest.param({"token": "cz1x2y-0123456789abcdef0123456789abcdef"}, id="token-forged"),
        pytest.param({"token": "nonsense"}, id="token-nonsense"),
    ],
)
def test_password_reset_confirm_refuses_bad_links(api_client, user, reset_confirmation, changes):
    before = stored_users()

    response = api_client.post(RESET_CONFIRM_URL, payload(reset_confirmation, **changes))

    assert_problem(response, 400, "invalid_token")
    assert stored_users() == before


def test_password_reset_confirm_refuses_another_users_uid(api_client, reset_confirmation):
    someone_else = UserFactory.create()
    before = stored_users()

    response = api_client.post(
        RESET_CONFIRM_URL, payload(reset_confirmation, uid=password_reset_uid(someone_else))
    )

    assert_problem(response, 400, "invalid_token")
    assert stored_users() == before


@WEAK
def test_password_reset_confirm_refuses_weak_password(api_client, password, message, code):

    user = UserFactory.create(email=WEAK_PASSWORD_EMAIL, full_name="Ada Lovelace")
    before = stored_users()

    response = api_client.post(
        RESET_CONFIRM_URL,
        {
            "uid": password_reset_uid(user),
            "token": default_token_generator.make_token(user),
            "new_password": password,
            "new_password_confirm": password,
        },
    )

    body = assert_problem(response, 400, "invalid_password", field="new_password")
    assert message in field_error(body, "new_password")["detail"]
    assert field_error(body, "new_password")["code"] == code
    assert stored_users() == before


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        pytest.param({"uid": MISSING}, "uid", "required", id="uid-missing"),
        pytest.param({"token": MISSING}, "token", "required", id="token-missing"),
        pytest.param({"uid": ["x"]}, "uid", "invalid", id="uid-list"),
        pytest.param({"token": {"t": 1}}, "token", "invalid", id="token-object"),
        pytest.param({"token": "t" * 129}, "token", "max_length", id="token-long"),
        pytest.param(
            {"new_password": MISSING}, "new_password", "required", id="new-password-missing"
        ),
        pytest.param(
            {"new_password_confirm": "something-else-entirely"},
            "new_password_confirm",
            "password_mismatch",
            id="confirmation-mismatch",
        ),
    ],
)
def test_password_reset_confirm_refuses_invalid_input(
    api_client, user, reset_confirmation, changes, field, code
):
    before = stored_users()

    response = api_client.post(RESET_CONFIRM_URL, payload(reset_confirmation, **changes))

    body = assert_problem(response, 400, "validation_error", field=field)
    assert field_error(body, field)["code"] == code
    assert stored_users() == before


# --- The current user -------------------------------------------------------------------------


def test_get_me_returns_the_signed_in_user_and_notes_they_were_seen(auth_client, user):
    assert user.last_seen_at is None

    response = auth_client.get(ME_URL)

    assert response.status_code == 200
    assert response.json() == {
        "id": str(user.pk),
        "email": user.email,
        "full_name": user.full_name,
        "date_joined": user.date_joined.isoformat().replace("+00:00", "Z"),
        "is_staff": False,
    }
    user.refresh_from_db()
    assert user.last_seen_at is not None


def test_each_token_sees_only_its_own_user(auth_client, user):
    someone_else = UserFactory.create()
    their_client = client_with_token(str(RefreshToken.for_user(someone_else).access_token))

    assert auth_client.get(ME_URL).json()["id"] == str(user.pk)
    assert their_client.get(ME_URL).json()["id"] == str(someone_else.pk)


def test_get_me_runs_a_constant_number_of_queries(
    auth_client, django_assert_max_num_queries, django_assert_num_queries
):
    UserFactory.create_batch(5)

    # Load the user; the first request also writes last_seen_at.
    with django_assert_max_num_queries(2):
        assert auth_client.get(ME_URL).status_code == 200
    for _ in range(3):
        with django_assert_num_queries(1):
            assert auth_client.get(ME_URL).status_code == 200


@pytest.mark.parametrize("method", ["get", "patch"])
def test_me_requires_authentication(api_client, user, method):
    before = stored_users()

    response = getattr(api_client, method)(ME_URL, {"full_name": "Intruder"})

    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert stored_users() == before


def test_patch_me_changes_full_name(auth_client, user):
    response = auth_client.patch(ME_URL, {"full_name": "  Grace Hopper "})

    assert response.status_code == 200, response.content
    assert response.json()["full_name"] == "Grace Hopper"
    assert User.objects.get(pk=user.pk).full_name == "Grace Hopper"


def test_patch_me_ignores_fields_that_are_not_editable(auth_client, user):
    before = User.objects.values("email", "is_staff", "is_superuser", "is_active").get(pk=user.pk)

    response = auth_client.patch(
        ME_URL,
        {
            "full_name": "Grace Hopper",
            "email": "grace@example.com",
            "is_staff": True,
            "is_superuser": True,
            "is_active": False,
            "id": "00000000-0000-0000-0000-000000000000",
        },
    )

    assert response.status_code == 200, response.content
    assert response.json()["email"] == user.email
    assert response.json()["is_staff"] is False
    assert response.json()["id"] == str(user.pk)
    after = User.objects.values("email", "is_staff", "is_superuser", "is_active").get(pk=user.pk)
    assert after == before
    assert User.objects.get(pk=user.pk).full_name == "Grace Hopper"


def test_patch_me_without_full_name_changes_nothing(auth_client, user):
    before = stored_users()

    response = auth_client.patch(ME_URL, {"email": "grace@example.com"})

    assert response.status_code == 200
    assert response.json()["full_name"] == user.full_name
    assert stored_users() == before


@pytest.mark.parametrize(
    ("full_name", "code"),
    [
        (None, "null"),
        (["Grace"], "invalid"),
        ({"first": "Grace"}, "invalid"),
        (True, "invalid"),
        ("G" * 151, "max_length"),
    ],
    ids=["null", "list", "object", "bool", "too-long"],
)
def test_patch_me_refuses_invalid_full_name(auth_client, user, full_name, code):
    before = stored_users()

    response = auth_client.patch(ME_URL, {"full_name": full_name}, format="json")

    body = assert_problem(response, 400, "validation_error", field="full_name")
    assert field_error(body, "full_name")["code"] == code
    assert stored_users() == before


# --- Change password --------------------------------------------------------------------------

PASSWORD_CHANGE = {
    "current_password": DEFAULT_PASSWORD,
    "new_password": NEW_PASSWORD,
    "new_password_confirm": NEW_PASSWORD,
}


def test_change_password_sets_it_and_signs_out_refresh_tokens(api_client, user):
    tokens = obtain_tokens(api_client, user.email)
    client = client_with_token(tokens["access"])

    response = client.post(PASSWORD_URL, PASSWORD_CHANGE)

    assert response.status_code == 204, response.content
    assert User.objects.get(pk=user.pk).check_password(NEW_PASSWORD)
    assert refresh_status(tokens["refresh"]) == 401
    obtain_tokens(api_client, user.email, NEW_PASSWORD)


def test_change_password_refuses_wrong_current_password(api_client, user):
    tokens = obtain_tokens(api_client, user.email)
    before = stored_users()

    response = client_with_token(tokens["access"]).post(
        PASSWORD_URL, payload(PASSWORD_CHANGE, current_password="not-my-password")
    )

    assert_problem(response, 400, "invalid_password", field="current_password")
    assert stored_users() == before
    assert refresh_status(tokens["refresh"]) == 200


@WEAK
def test_change_password_refuses_weak_new_password(password, message, code):
    user = UserFactory.create(email=WEAK_PASSWORD_EMAIL, full_name="Ada Lovelace")
    client = client_with_token(str(RefreshToken.for_user(user).access_token))
    before = stored_users()

    response = client.post(
        PASSWORD_URL,
        payload(PASSWORD_CHANGE, new_password=password, new_password_confirm=password),
    )

    body = assert_problem(response, 400, "invalid_password", field="new_password")
    assert message in field_error(body, "new_password")["detail"]
    assert field_error(body, "new_password")["code"] == code
    assert stored_users() == before


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        pytest.param(
            {"current_password": MISSING}, "current_password", "required", id="current-missing"
        ),
        pytest.param({"new_password": MISSING}, "new_password", "required", id="new-missing"),
        pytest.param(
            {"new_password_confirm": MISSING},
            "new_password_confirm",
            "required",
            id="confirm-missing",
        ),
        pytest.param({"new_password": {"v": 1}}, "new_password", "invalid", id="new-object"),
        pytest.param({"current_password": 12345678}, "current_password", None, id="current-int"),
        pytest.param(
            {"new_password_confirm": "another-passphrase"},
            "new_password_confirm",
            "password_mismatch",
            id="confirmation-mismatch",
        ),
    ],
)
def test_change_password_refuses_invalid_input(auth_client, user, changes, field, code):
    before = stored_users()

    response = auth_client.post(PASSWORD_URL, payload(PASSWORD_CHANGE, **changes))

    if code is None:  # a number is read as its digits: the password is simply wrong
        assert_problem(response, 400, "invalid_password", field=field)
    else:
        body = assert_problem(response, 400, "validation_error", field=field)
        assert field_error(body, field)["code"] == code
    assert stored_users() == before


def test_change_password_requires_authentication(api_client, user):
    before = stored_users()

    response = api_client.post(PASSWORD_URL, PASSWORD_CHANGE)

    assert_problem(response, 401, "not_authenticated")
    assert stored_users() == before


# --- Throttling -------------------------------------------------------------------------------


def set_throttle_rate(settings, scope: str, rate: str) -> None:
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], scope: rate}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


def throttle_cases(user: User) -> dict[str, tuple[str, dict[str, Any]]]:
    """Return, per scope, an endpoint and a request that would succeed if not throttled."""
    return {
        "login": (TOKEN_URL, {"email": user.email, "password": DEFAULT_PASSWORD}),
        "register": (REGISTER_URL, REGISTRATION),
        "password_reset": (RESET_URL, {"email": user.email}),
    }


@pytest.mark.parametrize("scope", ["login", "register", "password_reset"])
def test_sensitive_endpoints_are_throttled_per_scope(
    api_client, user, settings, scope, django_capture_on_commit_callbacks
):
    set_throttle_rate(settings, scope, "2/min")
    url, good_request = throttle_cases(user)[scope]
    for _ in range(2):  # the allowance is spent by any request, even a refused one
        assert api_client.post(url, {}).status_code == 400
    before = stored_users()

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(url, good_request)

    assert_problem(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 60
    assert stored_users() == before
    assert mail.outbox == []
    assert User.objects.get(pk=user.pk).last_login is None

    # The limit is per client: another address still gets through.
    other_client = APIClient(REMOTE_ADDR="203.0.113.7")
    with django_capture_on_commit_callbacks(execute=True):
        assert other_client.post(url, good_request).status_code < 300


def test_password_reset_request_and_confirm_share_one_allowance(api_client, user, settings):
    set_throttle_rate(settings, "password_reset", "2/min")
    assert api_client.post(RESET_URL, {"email": user.email}).status_code == 202
    assert api_client.post(RESET_URL, {"email": user.email}).status_code == 202

    assert_problem(api_client.post(RESET_CONFIRM_URL, {}), 429, "throttled")


def test_signed_in_requests_are_throttled_per_user(auth_client, user, settings):
    set_throttle_rate(settings, "user", "2/min")
    assert auth_client.get(ME_URL).status_code == 200
    assert auth_client.patch(ME_URL, {"full_name": "First"}).status_code == 200

    response = auth_client.patch(ME_URL, {"full_name": "Third"})

    assert_problem(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
    assert User.objects.get(pk=user.pk).full_name == "First"

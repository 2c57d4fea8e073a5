"""Business rules of the user services: registration, passwords, sign-out and presence."""

import re
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.cache import cache
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken
from rest_framework_simplejwt.tokens import RefreshToken

from apps.core.errors import InvalidToken
from apps.users import services
from apps.users.errors import EmailAlreadyRegistered, InvalidPassword, InvalidRefreshToken
from apps.users.models import User
from apps.users.querysets import UserQuerySet
from apps.users.tests.factories import (
    DEFAULT_PASSWORD,
    NEW_PASSWORD,
    WEAK_PASSWORD_EMAIL,
    WEAK_PASSWORDS,
    UserFactory,
)

pytestmark = pytest.mark.django_db

RESET_LINK = re.compile(r"/account/reset/(?P<uid>[\w-]+)/(?P<token>[\w-]+)/")
WEAK = pytest.mark.parametrize(
    ("password", "message", "code"), list(WEAK_PASSWORDS.values()), ids=list(WEAK_PASSWORDS)
)


def assert_refresh_revoked(refresh: str) -> None:
    with pytest.raises(TokenError, match="blacklisted"):
        RefreshToken(refresh)  # type: ignore[arg-type]


def assert_refresh_valid(refresh: str) -> None:
    RefreshToken(refresh)  # type: ignore[arg-type]


# --- register_user ----------------------------------------------------------------------------


def test_register_user_creates_account_and_sends_welcome_email_after_commit(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        user = services.register_user(
            email="  Ada.Lovelace@Example.COM ", password=NEW_PASSWORD, full_name="  Ada Lovelace "
        )
        assert mail.outbox == []  # nothing leaves before the account is committed

    assert len(callbacks) == 1
    user.refresh_from_db()
    assert user.email == "ada.lovelace@example.com"
    assert user.full_name == "Ada Lovelace"
    assert user.check_password(NEW_PASSWORD)
    assert not user.is_staff
    assert user.welcome_email_sent_at is not None
    [message] = mail.outbox
    assert message.to == ["ada.lovelace@example.com"]
    assert message.subject == "Welcome to Emporium"
    assert "Hello Ada," in message.body


def test_register_user_refuses_email_taken_in_another_case(django_capture_on_commit_callbacks):
    existing = UserFactory.create(email="ada@example.com")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(EmailAlreadyRegistered) as excinfo,
    ):
        services.register_user(email="ADA@Example.com", password=NEW_PASSWORD)

    assert excinfo.value.code == "email_taken"
    assert excinfo.value.status == 409
    assert set(excinfo.value.errors or {}) == {"email"}
    assert callbacks == []
    assert User.objects.count() == 1
    existing.refresh_from_db()
    assert existing.check_password(DEFAULT_PASSWORD)


def test_register_user_turns_a_lost_race_into_email_taken(django_capture_on_commit_callbacks):
    UserFactory.create(email="ada@example.com")

    # A concurrent registration commits between the existence check and the insert.
    with (
        mock.patch.object(UserQuerySet, "exists", return_value=False),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(EmailAlreadyRegistered),
    ):
        services.register_user(email="Ada@example.com", password=NEW_PASSWORD)

    assert callbacks == []
    assert User.objects.count() == 1


@WEAK
def test_register_user_refuses_weak_password(
    password, message, code, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(InvalidPassword) as excinfo,
    ):
        services.register_user(email=WEAK_PASSWORD_EMAIL, password=password)

    assert list(excinfo.value.errors or {}) == ["password"]
    [error] = excinfo.value.errors["password"]  # type: ignore[index]
    assert message in " ".join(error.messages)
    assert error.code == code
    assert callbacks == []
    assert not User.objects.exists()


# --- update_user_profile ----------------------------------------------------------------------


def test_update_user_profile_strips_and_saves_full_name(user):
    services.update_user_profile(user=user, full_name="  Grace Hopper ")

    user.refresh_from_db()
    assert user.full_name == "Grace Hopper"


# --- change_password --------------------------------------------------------------------------


def test_change_password_sets_new_password_and_revokes_refresh_tokens(user):
    sessions = [str(RefreshToken.for_user(user)) for _ in range(2)]
    other_user_session = str(RefreshToken.for_user(UserFactory.create()))

    services.change_password(
        user=user, current_password=DEFAULT_PASSWORD, new_password=NEW_PASSWORD
    )

    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    for refresh in sessions:
        assert_refresh_revoked(refresh)
    assert_refresh_valid(other_user_session)


def test_change_password_refuses_wrong_current_password(user):
    session = str(RefreshToken.for_user(user))

    with pytest.raises(InvalidPassword) as excinfo:
        services.change_password(
            user=user, current_password="not-my-password", new_password=NEW_PASSWORD
        )

    assert set(excinfo.value.errors or {}) == {"current_password"}
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)
    assert_refresh_valid(session)


@WEAK
def test_change_password_refuses_weak_new_password(password, message, code):
    user = UserFactory.create(email=WEAK_PASSWORD_EMAIL, full_name="Ada Lovelace")
    session = str(RefreshToken.for_user(user))

    with pytest.raises(InvalidPassword) as excinfo:
        services.change_password(
            user=user, current_password=DEFAULT_PASSWORD, new_password=password
        )

    assert list(excinfo.value.errors or {}) == ["new_password"]
    [error] = excinfo.value.errors["new_password"]  # type: ignore[index]
    assert message in " ".join(error.messages)
    assert error.code == code
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)
    assert_refresh_valid(session)


def test_revoke_refresh_tokens_counts_only_live_unrevoked_tokens(user):
    live = RefreshToken.for_user(user)
    RefreshToken.for_user(user).blacklist()

    assert services.revoke_refresh_tokens(user=user) == 1
    assert BlacklistedToken.objects.filter(token__jti=live["jti"]).exists()
    assert services.revoke_refresh_tokens(user=user) == 0


# --- request_password_reset and reset_password ------------------------------------------------


def request_reset(email: str, capture) -> list:
    with capture(execute=True):
        services.request_password_reset(email=email)
    return list(mail.outbox)


def reset_link_parts(message) -> tuple[str, str]:
    match = RESET_LINK.search(message.body)
    assert match, message.body
    return match["uid"], match["token"]


@pytest.mark.parametrize(
    "make_user",
    [
        pytest.param(lambda: None, id="unknown"),
        pytest.param(
            lambda: UserFactory.create(email="ada@example.com", is_active=False), id="inactive"
        ),
        pytest.param(
            lambda: UserFactory.create(email="ada@example.com", password=None), id="no-password"
        ),
    ],
)
def test_request_password_reset_sends_nothing_without_an_eligible_account(
    make_user, django_capture_on_commit_callbacks
):
    make_user()

    assert request_reset("ada@example.com", django_capture_on_commit_callbacks) == []


def test_password_reset_link_sets_a_new_password_once(user, django_capture_on_commit_callbacks):
    session = str(RefreshToken.for_user(user))

    [message] = request_reset(user.email.upper(), django_capture_on_commit_callbacks)

    assert message.to == [user.email]
    assert message.subject == "Reset your Emporium password"
    uid, token = reset_link_parts(message)
    assert uid == services.password_reset_uid(user)

    assert services.reset_password(uid=uid, token=token, new_password=NEW_PASSWORD) == user
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert_refresh_revoked(session)

    with pytest.raises(InvalidToken):
        services.reset_password(uid=uid, token=token, new_password="yet-another-passphrase")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_each_reset_request_sends_its_own_email(user, django_capture_on_commit_callbacks):
    request_reset(user.email, django_capture_on_commit_callbacks)

    assert len(request_reset(user.email, django_capture_on_commit_callbacks)) == 2


def _uid_for(pk: object) -> str:
    return urlsafe_base64_encode(force_bytes(pk))


def _tampered(token: str) -> str:
    return token[:-1] + ("1" if token.endswith("0") else "0")


@pytest.mark.parametrize(
    "make_link",
    [
        pytest.param(lambda uid, token: ("%%%", token), id="uid-not-base64"),
        pytest.param(lambda uid, token: (_uid_for("42"), token), id="uid-not-a-uuid"),
        pytest.param(lambda uid, token: (_uid_for(b"\xff\xfe"), token), id="uid-not-utf8"),
        pytest.param(
            lambda uid, token: (_uid_for(UserFactory.build().pk), token), id="uid-unknown"
        ),
        pytest.param(
            lambda uid, token: (_uid_for(UserFactory.create().pk), token), id="uid-of-another-user"
        ),
        pytest.param(lambda uid, token: (uid, _tampered(token)), id="token-tampered"),
        pytest.param(lambda uid, token: (uid, ""), id="token-empty"),
    ],
)
def test_reset_password_refuses_bad_uid_or_token(user, make_link):
    uid, token = make_link(
        services.password_reset_uid(user), default_token_generator.make_token(user)
    )

    with pytest.raises(InvalidToken) as excinfo:
        services.reset_password(uid=uid, token=token, new_password=NEW_PASSWORD)

    assert excinfo.value.code == "invalid_token"
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_reset_password_refuses_inactive_user():
    user = UserFactory.create(is_active=False)
    uid, token = services.password_reset_uid(user), default_token_generator.make_token(user)

    with pytest.raises(InvalidToken):
        services.reset_password(uid=uid, token=token, new_password=NEW_PASSWORD)

    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_reset_password_refuses_weak_password_and_keeps_the_link_usable(user):
    uid, token = services.password_reset_uid(user), default_token_generator.make_token(user)

    with pytest.raises(InvalidPassword) as excinfo:
        services.reset_password(uid=uid, token=token, new_password="12345678")

    assert set(excinfo.value.errors or {}) == {"new_password"}
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)
    services.reset_password(uid=uid, token=token, new_password=NEW_PASSWORD)
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_reset_password_token_expires(user, time_machine):
    uid, token = services.password_reset_uid(user), default_token_generator.make_token(user)

    time_machine.move_to(
        datetime.now(tz=UTC) + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 1), tick=False
    )

    with pytest.raises(InvalidToken):
        services.reset_password(uid=uid, token=token, new_password=NEW_PASSWORD)


# --- log_out ----------------------------------------------------------------------------------


def test_log_out_blacklists_the_refresh_token(user):
    refresh = str(RefreshToken.for_user(user))
    other_session = str(RefreshToken.for_user(user))

    services.log_out(user=user, refresh_token=refresh)

    assert_refresh_revoked(refresh)
    assert_refresh_valid(other_session)


def test_log_out_refuses_another_users_token(user):
    someone_else = UserFactory.create()
    their_refresh = str(RefreshToken.for_user(someone_else))

    with pytest.raises(InvalidRefreshToken):
        services.log_out(user=user, refresh_token=their_refresh)

    assert_refresh_valid(their_refresh)
    assert not BlacklistedToken.objects.exists()


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda user: "not-a-jwt", id="garbage"),
        pytest.param(lambda user: str(RefreshToken.for_user(user).access_token), id="access"),
    ],
)
def test_log_out_refuses_invalid_tokens(user, make_token):
    with pytest.raises(InvalidRefreshToken) as excinfo:
        services.log_out(user=user, refresh_token=make_token(user))

    assert excinfo.value.code == "token_not_valid"
    assert not BlacklistedToken.objects.exists()


def test_log_out_refuses_an_already_blacklisted_token(user):
    refresh = str(RefreshToken.for_user(user))
    services.log_out(user=user, refresh_token=refresh)

    with pytest.raises(InvalidRefreshToken):
        services.log_out(user=user, refresh_token=refresh)

    assert BlacklistedToken.objects.count() == 1


# --- touch_last_seen --------------------------------------------------------------------------


def test_touch_last_seen_writes_at_most_once_per_interval(
    user, time_machine, django_assert_num_queries
):
    start = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    time_machine.move_to(start, tick=False)

    assert services.touch_last_seen(user=user) is True
    user.refresh_from_db()
    assert user.last_seen_at == start

    # Within the interval the cache answers: no query at all.
    time_machine.shift(timedelta(seconds=settings.LAST_SEEN_INTERVAL - 1))
    with django_assert_num_queries(0):
        assert services.touch_last_seen(user=user) is False

    # A cold cache (restart, another process) still writes nothing inside the interval.
    cache.clear()
    assert services.touch_last_seen(user=user) is False
    user.refresh_from_db()
    assert user.last_seen_at == start

    # Past the interval, the next call writes again.
    time_machine.shift(timedelta(seconds=2))
    cache.clear()
    assert services.touch_last_seen(user=user) is True
    user.refresh_from_db()
    assert user.last_seen_at == start + timedelta(seconds=settings.LAST_SEEN_INTERVAL + 1)


def test_touch_last_seen_falls_back_to_the_database_when_the_cache_is_unreachable(user):
    # django-redis with IGNORE_EXCEPTIONS answers None instead of raising.
    with mock.patch("apps.users.services.cache.add", return_value=None):
        assert services.touch_last_seen(user=user) is True
        assert services.touch_last_seen(user=user) is False  # the conditional update refuses
    user.refresh_from_db()
    assert user.last_seen_at is not None


def test_touch_last_seen_is_per_user(user):
    other = UserFactory.create()

    assert services.touch_last_seen(user=user) is True
    assert services.touch_last_seen(user=other) is True

    other.refresh_from_db()
    assert other.last_seen_at is not None

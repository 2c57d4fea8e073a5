"""The e-mail tasks: each e-mail goes out once, and a failed send can be retried."""

import smtplib
import uuid
from unittest import mock

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.utils import timezone

from apps.users import services, tasks
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SMTP_DOWN = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def nonce() -> str:
    return uuid.uuid4().hex


# --- send_welcome_email -----------------------------------------------------------------------


def test_send_welcome_email_sends_once(user):
    assert tasks.send_welcome_email(str(user.pk)) is True
    assert tasks.send_welcome_email(str(user.pk)) is False

    [message] = mail.outbox
    assert message.to == [user.email]
    assert user.email in message.body
    user.refresh_from_db()
    assert user.welcome_email_sent_at is not None


def test_send_welcome_email_skips_unknown_user():
    assert tasks.send_welcome_email(str(uuid.uuid4())) is False

    assert mail.outbox == []


def test_send_welcome_email_releases_its_claim_when_sending_fails(user):
    with (
        mock.patch("apps.users.tasks.send_mail", side_effect=SMTP_DOWN) as send_mail,
        pytest.raises(smtplib.SMTPException),
    ):
        tasks.send_welcome_email.run(str(user.pk))

    send_mail.assert_called_once()
    user.refresh_from_db()
    assert user.welcome_email_sent_at is None

    # The retry finds the claim free and sends.
    assert tasks.send_welcome_email(str(user.pk)) is True
    assert len(mail.outbox) == 1


# --- send_password_reset_email ----------------------------------------------------------------


def test_send_password_reset_email_sends_once_per_nonce(user):
    first = nonce()

    assert tasks.send_password_reset_email(str(user.pk), first) is True
    assert tasks.send_password_reset_email(str(user.pk), first) is False
    assert len(mail.outbox) == 1

    # Another request (another nonce) is another e-mail.
    assert tasks.send_password_reset_email(str(user.pk), nonce()) is True
    assert len(mail.outbox) == 2


def test_send_password_reset_email_carries_a_valid_link(user, settings):
    settings.PASSWORD_RESET_URL = "https://shop.example/reset?uid={uid}&token={token}"

    tasks.send_password_reset_email(str(user.pk), nonce())

    [message] = mail.outbox
    assert message.to == [user.email]
    link = next(line for line in message.body.splitlines() if line.startswith("https://"))
    prefix = f"https://shop.example/reset?uid={services.password_reset_uid(user)}&token="
    assert link.startswith(prefix)
    assert default_token_generator.check_token(user, link.removeprefix(prefix))


@pytest.mark.parametrize(
    "make_user_id",
    [
        pytest.param(lambda: str(uuid.uuid4()), id="unknown"),
        pytest.param(lambda: str(UserFactory.create(is_active=False).pk), id="inactive"),
    ],
)
def test_send_password_reset_email_skips_missing_or_inactive_user(make_user_id):
    assert tasks.send_password_reset_email(make_user_id(), nonce()) is False

    assert mail.outbox == []


def test_send_password_reset_email_releases_its_claim_when_sending_fails(user):
    request_nonce = nonce()

    with (
        mock.patch("apps.users.tasks.send_mail", side_effect=SMTP_DOWN),
        pytest.raises(smtplib.SMTPException),
    ):
        tasks.send_password_reset_email.run(str(user.pk), request_nonce)

    assert tasks.send_password_reset_email(str(user.pk), request_nonce) is True
    assert len(mail.outbox) == 1


# --- send_sign_up_email ----------------------------------------------------------------------


def test_send_sign_up_email_sends_once_per_nonce_with_a_link_that_reads_back() -> None:
    first = nonce()

    assert tasks.send_sign_up_email("ada@example.com", "Ada", "/checkout/", first) is True
    assert tasks.send_sign_up_email("ada@example.com", "Ada", "/checkout/", first) is False

    (message,) = mail.outbox
    token = message.body.split("/account/register/")[1].split("/")[0]
    assert services.read_sign_up_token(token) == {
        "email": "ada@example.com",
        "full_name": "Ada",
        "next": "/checkout/",
    }


def test_send_sign_up_email_to_an_address_with_an_account_carries_no_sign_up_link(user) -> None:
    assert tasks.send_sign_up_email(user.email, "", "", nonce()) is True

    (message,) = mail.outbox
    assert message.subject == "You already have an Emporium account"
    assert "/account/register/" not in message.body


def test_send_sign_up_email_releases_its_claim_when_sending_fails() -> None:
    claim = nonce()
    with (
        mock.patch.object(tasks, "send_mail", side_effect=SMTP_DOWN),
        pytest.raises(smtplib.SMTPServerDisconnected),
    ):
        tasks.send_sign_up_email("ada@example.com", "", "", claim)

    assert tasks.send_sign_up_email("ada@example.com", "", "", claim) is True
    assert len(mail.outbox) == 1


# --- Retry policy -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "task", [tasks.send_welcome_email, tasks.send_password_reset_email, tasks.send_sign_up_email]
)
def test_email_tasks_retry_mail_server_errors_and_ack_late(task):
    assert set(task.autoretry_for) >= {smtplib.SMTPException, ConnectionError, TimeoutError}
    assert task.retry_backoff
    assert task.acks_late


def test_send_password_reset_email_still_sends_when_the_cache_is_unreachable(user):
    # django-redis with IGNORE_EXCEPTIONS answers None instead of raising.
    with mock.patch("apps.users.tasks.cache.add", return_value=None):
        assert tasks.send_password_reset_email(str(user.pk), nonce()) is True
    assert len(mail.outbox) == 1


# --- send_missing_welcome_emails ------------------------------------------------------------


def test_sweep_sends_the_welcome_emails_that_were_missed(time_machine):
    time_machine.move_to("2026-11-01 12:00:00+00:00", tick=False)
    missed = UserFactory.create()
    already_sent = UserFactory.create(welcome_email_sent_at=timezone.now())
    UserFactory.create(is_active=False)
    time_machine.move_to("2026-11-01 12:30:00+00:00", tick=False)
    too_recent = UserFactory.create()  # its own task may still be in the queue

    assert tasks.send_missing_welcome_emails() == 1

    [message] = mail.outbox
    assert message.to == [missed.email]
    missed.refresh_from_db()
    assert missed.welcome_email_sent_at is not None
    too_recent.refresh_from_db()
    assert too_recent.welcome_email_sent_at is None
    assert already_sent.email not in message.to
    # Nothing is left to send, so a second sweep enqueues nothing.
    assert tasks.send_missing_welcome_emails() == 0


def test_sweep_leaves_accounts_older_than_its_window(time_machine):
    time_machine.move_to("2026-11-01 12:00:00+00:00", tick=False)
    UserFactory.create()
    time_machine.move_to("2026-11-20 12:00:00+00:00", tick=False)

    assert tasks.send_missing_welcome_emails(max_age_days=7) == 0
    assert mail.outbox == []


def test_sweep_is_scheduled(settings):
    schedules = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "users.send_missing_welcome_emails" in schedules

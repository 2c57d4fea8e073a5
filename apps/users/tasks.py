"""Background jobs for users: the sign-up, welcome and password-reset e-mails."""

import logging
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone

from apps.core.tasks import RETRY_OPTIONS

logger = logging.getLogger(__name__)

# The most messages one sweep enqueues; the next run takes the rest.
SWEEP_BATCH_SIZE = 500


@shared_task(name="users.send_welcome_email", **RETRY_OPTIONS)
def send_welcome_email(user_id: str) -> bool:
    """Send the welcome e-mail once; return False when it was already sent (or the user is gone).

    The conditional update claims the send, so a redelivered message finds it taken; a failed
    send releases the claim before the retry.
    """
    from apps.users.models import User

    claimed = User.objects.filter(pk=user_id, welcome_email_sent_at__isnull=True).update(
        welcome_email_sent_at=timezone.now()
    )
    if not claimed:
        logger.info("Welcome e-mail for user %s already sent or user gone; skipping", user_id)
        return False
    user = User.objects.get(pk=user_id)
    try:
        send_mail(
            subject="Welcome to Emporium",
            message=render_to_string("users/email/welcome.txt", {"user": user}),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[user.email],
        )
    except Exception:
        User.objects.filter(pk=user_id).update(welcome_email_sent_at=None)
        raise
    logger.info("Welcome e-mail sent to user %s", user_id)
    return True


def _send_or_release(
    claim_key: str, *, subject: str, template: str, context: dict[str, Any], to: str
) -> None:
    """Send a claimed e-mail; if sending fails, release the claim so the retry sends it."""
    try:
        send_mail(
            subject=subject,
            message=render_to_string(template, context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[to],
        )
    except Exception:
        cache.delete(claim_key)
        raise


@shared_task(name="users.send_password_reset_email", **RETRY_OPTIONS)
def send_password_reset_email(user_id: str, nonce: str) -> bool:
    """Send one password-reset e-mail per request (identified by its nonce)."""
    from apps.users.models import User
    from apps.users.services import password_reset_uid

    user = User.objects.active().filter(pk=user_id).first()
    claim_key = f"users:password-reset-sent:{nonce}"
    # `add` answers False when the claim exists, and None when the cache is unreachable: then
    # the e-mail goes out anyway (a rare duplicate beats a silently lost reset link).
    if user is None or cache.add(claim_key, 1, timeout=settings.PASSWORD_RESET_TIMEOUT) is False:
        logger.info("Password reset e-mail %s already sent or user gone; skipping", nonce)
        return False
    link = settings.PASSWORD_RESET_URL.format(
        uid=password_reset_uid(user), token=default_token_generator.make_token(user)
    )
    _send_or_release(
        claim_key,
        subject="Reset your Emporium password",
        template="users/email/password_reset.txt",
        context={"user": user, "link": link, "hours": settings.PASSWORD_RESET_TIMEOUT // 3600},
        to=user.email,
    )
    logger.info("Password reset e-mail sent to user %s", user_id)
    return True


@shared_task(name="users.send_sign_up_email", **RETRY_OPTIONS)
def send_sign_up_email(email: str, full_name: str, next_url: str, nonce: str) -> bool:
    """Send one sign-up e-mail per request (identified by its nonce): the link to finish an
    account, or, when one has this address already, a note saying so and how to sign in."""
    from apps.users import selectors
    from apps.users.services import sign_up_token

    claim_key = f"users:sign-up-sent:{nonce}"
    # As for reset links: a duplicate when the cache is unreachable beats a lost link.
    if cache.add(claim_key, 1, timeout=settings.SIGN_UP_TIMEOUT) is False:
        logger.info("Sign-up e-mail %s already sent; skipping", nonce)
        return False
    if selectors.email_registered(email):
        subject, template = "You already have an Emporium account", "users/email/account_exists.txt"
        context = {"email": email, "sign_in": settings.SIGN_IN_URL}
    else:
        token = sign_up_token(email=email, full_name=full_name, next_url=next_url)
        subject, template = "Finish creating your Emporium account", "users/email/sign_up.txt"
        context = {
            "full_name": full_name,
            "link": settings.SIGN_UP_URL.format(token=token),
            "hours": settings.SIGN_UP_TIMEOUT // 3600,
        }
    _send_or_release(claim_key, subject=subject, template=template, context=context, to=email)
    logger.info("Sign-up e-mail %s sent", nonce)
    return True


@shared_task(name="users.send_missing_welcome_emails", acks_late=True)
def send_missing_welcome_emails(*, older_than_minutes: int = 10, max_age_days: int = 7) -> int:
    """Re-enqueue welcome e-mails that were never sent (e.g. the broker was down at sign-up).

    Only accounts between `older_than_minutes` and `max_age_days` old are considered: newer
    ones may still be in the queue, older ones are past the point of a welcome. Returns how
    many were enqueued.
    """
    from apps.users.models import User

    now = timezone.now()
    missing = (
        User.objects.active()
        .filter(
            welcome_email_sent_at__isnull=True,
            date_joined__lte=now - timedelta(minutes=older_than_minutes),
            date_joined__gte=now - timedelta(days=max_age_days),
        )
        .values_list("pk", flat=True)[:SWEEP_BATCH_SIZE]
    )
    user_ids = [str(pk) for pk in missing]
    for user_id in user_ids:
        send_welcome_email.delay(user_id)
    if user_ids:
        logger.warning("Re-enqueued %d missed welcome e-mails", len(user_ids))
    return len(user_ids)

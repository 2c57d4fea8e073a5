"""Every write to users: registration, profile, passwords, sign-out and presence."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from apps.core.errors import InvalidToken
from apps.users import selectors as user_selectors
from apps.users import tasks
from apps.users.errors import (
    EMAIL_TAKEN,
    EmailAlreadyRegistered,
    InvalidPassword,
    InvalidRefreshToken,
)
from apps.users.models import Address, User
from apps.users.querysets import normalize_email


def _validate_new_password(*, password: str, user: User, field: str) -> None:
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        raise InvalidPassword(
            "The password does not meet the password rules.", errors={field: exc.error_list}
        ) from exc


def _email_taken() -> EmailAlreadyRegistered:
    return EmailAlreadyRegistered(EMAIL_TAKEN, errors={"email": [EMAIL_TAKEN]})


def register_user(*, email: str, password: str, full_name: str = "") -> User:
    """Create a customer account and send the welcome e-mail once the account is committed.

    Raises:
        EmailAlreadyRegistered: another account uses this address, in any letter case.
        InvalidPassword: the password fails the password validators.
    """
    email = normalize_email(email)
    user = User(email=email, full_name=full_name.strip())
    _validate_new_password(password=password, user=user, field="password")
    if user_selectors.email_registered(email):
        raise _email_taken()
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save(force_insert=True)
            # robust: an unreachable broker must not fail a committed registration; the
            # periodic `users.send_missing_welcome_emails` task sends what was missed.
            transaction.on_commit(lambda: tasks.send_welcome_email.delay(str(user.pk)), robust=True)
    except IntegrityError as exc:  # a concurrent registration won the race
        raise _email_taken() from exc
    return user


# --- Sign-up by e-mail link (the storefront) --------------------------------------------------

SIGN_UP_SALT = "users.sign-up"


def request_sign_up(*, email: str, full_name: str, next_url: str = "") -> None:
    """E-mail `email` a link to finish opening an account, or, when an account has that address
    already, an e-mail saying so and how to sign in. The caller's answer is the same either
    way, and so is its timing: the task decides which e-mail, after the request."""
    email = normalize_email(email)
    nonce = uuid.uuid4().hex  # makes the task idempotent: a redelivery sends no second e-mail
    transaction.on_commit(
        lambda: tasks.send_sign_up_email.delay(email, full_name.strip(), next_url, nonce),
        robust=True,
    )


def sign_up_token(*, email: str, full_name: str, next_url: str = "") -> str:
    """Return the signed, timestamped token of a sign-up link (it carries no secret)."""
    payload = {"email": email, "full_name": full_name, "next": next_url}
    return signing.dumps(payload, salt=SIGN_UP_SALT, compress=True)


def read_sign_up_token(token: str) -> dict[str, str]:
    """Return the e-mail, name and next page a sign-up link was made for.

    Raises:
        InvalidToken: the link was tampered with, or is older than SIGN_UP_TIMEOUT.
    """
    try:
        payload = signing.loads(token, salt=SIGN_UP_SALT, max_age=settings.SIGN_UP_TIMEOUT)
    except signing.BadSignature as exc:  # SignatureExpired included
        raise InvalidToken("The sign-up link is invalid or has expired.") from exc
    return {key: str(payload.get(key) or "") for key in ("email", "full_name", "next")}


def update_user_profile(*, user: User, full_name: str) -> User:
    """Change the editable profile fields of a user."""
    user.full_name = full_name.strip()
    user.save(update_fields=["full_name"])
    return user


def revoke_refresh_tokens(*, user: User) -> int:
    """Blacklist every refresh token issued to the user; return how many were revoked."""
    outstanding = OutstandingToken.objects.filter(user=user).exclude(
        Q(blacklistedtoken__isnull=False) | Q(expires_at__lte=timezone.now())
    )
    created = BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )
    return len(created)


def _set_password(*, user: User, password: str) -> None:
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        revoke_refresh_tokens(user=user)


def change_password(*, user: User, current_password: str, new_password: str) -> None:
    """Replace the user's password and sign out every other session holding a refresh token.

    Raises:
        InvalidPassword: the current password is wrong, or the new one fails the rules.
    """
    if not user.check_password(current_password):
        raise InvalidPassword(
            "The current password is not correct.",
            errors={"current_password": ["The current password is not correct."]},
        )
    _validate_new_password(password=new_password, user=user, field="new_password")
    _set_password(user=user, password=new_password)


def request_password_reset(*, email: str) -> None:
    """E-mail a reset link if an active account has this address; reveal nothing either way."""
    user = User.objects.active().with_email(email).first()
    if user is None or not user.has_usable_password():
        return
    # The nonce makes the task idempotent: a redelivered message sends no second e-mail.
    nonce = uuid.uuid4().hex
    transaction.on_commit(
        lambda: tasks.send_password_reset_email.delay(str(user.pk), nonce), robust=True
    )


def password_reset_uid(user: User) -> str:
    """Return the opaque user id carried in a password-reset link."""
    return urlsafe_base64_encode(force_bytes(user.pk))


def _reset_link_user(*, uid: str, token: str) -> User:
    invalid = InvalidToken("The password reset link is invalid or has expired.")
    try:
        user_id = uuid.UUID(force_str(urlsafe_base64_decode(uid)))
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise invalid from exc
    user = User.objects.active().filter(pk=user_id).first()
    if user is None or not default_token_generator.check_token(user, token):
        raise invalid
    return user


def check_reset_link(*, uid: str, token: str) -> None:
    """Check a password-reset link's uid and token before offering to choose a password.

    Raises:
        InvalidToken: the uid or token is malformed, expired or already used.
    """
    _reset_link_user(uid=uid, token=token)


def reset_password(*, uid: str, token: str, new_password: str) -> User:
    """Set a new password from a reset link's uid and token; the token then stops working.

    Raises:
        InvalidToken: the uid or token is malformed, expired or already used.
        InvalidPassword: the new password fails the password rules.
    """
    user = _reset_link_user(uid=uid, token=token)
    _validate_new_password(password=new_password, user=user, field="new_password")
    _set_password(user=user, password=new_password)
    return user


def log_out(*, user: User, refresh_token: str) -> None:
    """Blacklist the given refresh token of this user, ending that session.

    Raises:
        InvalidRefreshToken: the token is invalid, expired, already revoked, or not the user's.
    """
    try:
        token = RefreshToken(refresh_token)  # type: ignore[arg-type]
    except TokenError as exc:
        raise InvalidRefreshToken("The refresh token is invalid or expired.") from exc
    if str(token.get(jwt_settings.USER_ID_CLAIM)) != str(user.pk):
        raise InvalidRefreshToken("The refresh token is invalid or expired.")
    token.blacklist()


def touch_last_seen(*, user: User) -> bool:
    """Record that the user was just seen, writing at most once per LAST_SEEN_INTERVAL.

    The cache gate keeps the common case free of queries; the conditional update keeps the
    write rate bounded even when the cache is cold or shared by several processes.
    """
    interval = settings.LAST_SEEN_INTERVAL
    # False: seen recently. None: the cache is unreachable, and the conditional update decides.
    if cache.add(f"users:last-seen:{user.pk}", 1, timeout=interval) is False:
        return False
    now = timezone.now()
    updated = (
        User.objects.filter(pk=user.pk)
        .filter(
            Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=now - timedelta(seconds=interval))
        )
        .update(last_seen_at=now)
    )
    return bool(updated)


# --- Saved addresses ------------------------------------------------------------------------

ADDRESS_FIELDS = ("name", "line1", "line2", "city", "postal_code", "country", "phone")


def _clear_default(user: User) -> None:
    Address.objects.filter(user=user, is_default=True).update(is_default=False)


def create_address(
    *,
    user: User,
    name: str,
    line1: str,
    city: str,
    postal_code: str,
    country: str,
    line2: str = "",
    phone: str = "",
    is_default: bool = False,
) -> Address:
    """Save a shipping address for the user; their first address becomes the default."""
    with transaction.atomic():
        # Lock the user's row: two concurrent "make default" writes take turns.
        User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()
        first = not Address.objects.filter(user=user).exists()
        if is_default and not first:
            _clear_default(user)
        return Address.objects.create(
            user=user,
            name=name.strip(),
            line1=line1.strip(),
            line2=line2.strip(),
            city=city.strip(),
            postal_code=postal_code.strip(),
            country=country.strip().upper(),
            phone=phone.strip(),
            is_default=is_default or first,
        )


def update_address(*, address: Address, **changes: str) -> Address:
    """Change an address's fields (not whether it is the default: see `set_default_address`)."""
    unknown = set(changes) - set(ADDRESS_FIELDS)
    if unknown:
        raise TypeError(f"update_address() got unexpected fields: {', '.join(sorted(unknown))}")
    for field, value in changes.items():
        value = value.strip()
        setattr(address, field, value.upper() if field == "country" else value)
    address.save(update_fields=[*changes, "updated_at"])
    return address


def set_default_address(*, address: Address) -> Address:
    """Make this the user's default address (the previous default stops being it)."""
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=address.user_id).values_list(
            "pk", flat=True
        ).first()
        Address.objects.filter(user_id=address.user_id, is_default=True).exclude(
            pk=address.pk
        ).update(is_default=False)
        address.is_default = True
        address.save(update_fields=["is_default", "updated_at"])
    return address


def delete_address(*, address: Address) -> None:
    """Delete a saved address; when it was the default, the newest other one becomes default."""
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=address.user_id).values_list(
            "pk", flat=True
        ).first()
        was_default = address.is_default
        user_id = address.user_id
        address.delete()
        if was_default:
            successor = Address.objects.filter(user_id=user_id).order_by("-created_at").first()
            if successor is not None:
                successor.is_default = True
                successor.save(update_fields=["is_default", "updated_at"])

"""The custom user: e-mail is the login, unique case-insensitively."""

import uuid
from typing import ClassVar

from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from apps.core.models import TimeStampedModel
from apps.users.querysets import UserManager, normalize_email


class User(AbstractBaseUser, PermissionsMixin):
    """A customer or a member of staff, signing in with an e-mail address."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Stored normalized (lower case); `unique` is what Django's auth checks ask of a login
    # field, the LOWER(email) constraint below is what makes it case-insensitive in the database.
    email = models.EmailField(
        "e-mail address",
        max_length=254,
        unique=True,
        error_messages={"unique": "A user with this e-mail address already exists."},
    )
    full_name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(
        default=False, help_text="Whether the user can log into the back office."
    )
    is_active = models.BooleanField(
        default=True, help_text="Unselect this instead of deleting accounts."
    )
    date_joined = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    welcome_email_sent_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects: ClassVar[UserManager] = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["-date_joined"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="users_user_email_ci_unique",
                violation_error_message="A user with this e-mail address already exists.",
            ),
        ]
        indexes = [models.Index(fields=["-date_joined"], name="users_user_joined_idx")]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email(self.email)

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Address(TimeStampedModel):
    """A shipping address a customer saved; at most one of theirs is the default."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="addresses")
    name = models.CharField(max_length=150, help_text="Who receives the parcel.")
    line1 = models.CharField("address line 1", max_length=200)
    line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100)
    postal_code = models.CharField(max_length=20)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 code, e.g. GB.")
    phone = models.CharField(max_length=32, blank=True)
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_default", "-created_at"]
        constraints = [
            # The database, not only the service, guarantees a single default per customer.
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(is_default=True),
                name="users_address_one_default_per_user",
            ),
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="users_address_user_idx")]

    def __str__(self) -> str:
        return f"{self.name}, {self.line1}, {self.city}"

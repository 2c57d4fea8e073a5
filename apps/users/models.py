"""The custom user: e-mail is the login, unique case-insensitively."""

import uuid
from typing import ClassVar

from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

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

"""Query vocabulary for users, and the manager that creates them."""

import unicodedata
from typing import TYPE_CHECKING, Any

from django.contrib.auth.base_user import BaseUserManager
from django.db import models
from django.db.models.functions import Lower

if TYPE_CHECKING:
    from apps.users.models import User


def normalize_email(email: str) -> str:
    """Return the canonical form of an e-mail address: trimmed, NFKC, lower case."""
    return unicodedata.normalize("NFKC", email).strip().lower()


class UserQuerySet(models.QuerySet["User"]):
    def with_email(self, email: str) -> "UserQuerySet":
        """Filter by e-mail, case-insensitively, through the unique index on LOWER(email)."""
        return self.alias(email_lower=Lower("email")).filter(email_lower=normalize_email(email))

    def active(self) -> "UserQuerySet":
        """Return users that may sign in."""
        return self.filter(is_active=True)


class UserManager(BaseUserManager["User"]):
    """Create users and superusers identified by e-mail."""

    use_in_migrations = True

    def get_queryset(self) -> UserQuerySet:
        return UserQuerySet(self.model, using=self._db)

    def with_email(self, email: str) -> UserQuerySet:
        return self.get_queryset().with_email(email)

    def active(self) -> UserQuerySet:
        return self.get_queryset().active()

    def get_by_natural_key(self, username: str | None) -> "User":
        return self.with_email(username or "").get()

    def _create_user(self, email: str, password: str | None, **extra_fields: Any) -> "User":
        if not email:
            raise ValueError("Users must have an e-mail address.")
        user = self.model(email=normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields: Any) -> "User":
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> "User":
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if extra_fields["is_staff"] is not True or extra_fields["is_superuser"] is not True:
            raise ValueError("A superuser must have is_staff=True and is_superuser=True.")
        return self._create_user(email, password, **extra_fields)

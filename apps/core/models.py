"""Abstract base models shared by every app."""

import uuid
from typing import Any

from django.db import models


class TimeStampedModel(models.Model):
    """Record when a row was created and last changed."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class UUIDModel(models.Model):
    """Use a random UUID as the primary key, for resources whose ids are public."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    class Meta:
        abstract = True


class PublicModel(UUIDModel, TimeStampedModel):
    """A public resource: UUID primary key and timestamps."""

    class Meta:
        abstract = True


def money_field(**kwargs: Any) -> "models.DecimalField[Any, Any]":
    """Return a field for an amount of money (12 digits, 2 decimal places)."""
    return models.DecimalField(max_digits=12, decimal_places=2, **kwargs)

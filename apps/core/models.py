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


def remember_related(instance: models.Model, name: str, rows: list[Any]) -> None:
    """Give `instance` its `name` relation as `prefetch_related` would, from rows in hand.

    For rows a service has just written or read: `getattr(instance, name).all()` then answers
    from them, without a query.
    """
    related = getattr(instance, name).all()  # unevaluated: makes no query
    related._result_cache, related._prefetch_done = rows, True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[name] = related

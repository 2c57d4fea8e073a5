"""Abstract base models shared by every app."""

import uuid

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

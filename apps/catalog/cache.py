"""The catalog cache: answers stored under a catalog version that every catalog write bumps.

Keys look like `catalog:v42:products:<hash of the query>`. A write bumps the version once its
transaction commits, so every older key is unreachable at once and no key can be missed. When
the cache is unreachable (django-redis is set to ignore errors), reads fall through to the
database and nothing is stored.
"""

import hashlib
import logging
import math
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

VERSION_KEY = "catalog:version"
T = TypeVar("T")


def get_catalog_version() -> int | None:
    """Return the current catalog version, or None when the cache cannot be reached."""
    version = cache.get(VERSION_KEY)
    if version is None:
        # First use (or the cache was flushed): start a version. add() keeps a concurrent
        # first writer's value.
        cache.add(VERSION_KEY, 1, timeout=None)
        version = cache.get(VERSION_KEY)
    return int(version) if version is not None else None


def bump_catalog_version() -> None:
    """Invalidate every cached catalog answer (call through `bump_catalog_version_on_commit`)."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no version yet (or it was evicted): any new one invalidates
        cache.add(VERSION_KEY, 1, timeout=None)


def bump_catalog_version_on_commit() -> None:
    """Invalidate the catalog cache once the current transaction commits."""
    transaction.on_commit(bump_catalog_version, robust=True)


def catalog_key(name: str, *parts: object) -> str | None:
    """Return the versioned cache key for an answer, or None without a reachable cache."""
    version = get_catalog_version()
    if version is None:
        return None
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=12).hexdigest() if parts else ""
    return f"catalog:v{version}:{name}:{digest}"


def cached(
    name: str,
    *parts: object,
    compute: Callable[[], T],
    expires_at: Callable[[T], datetime | None] | datetime | None = None,
) -> T:
    """Return the cached answer for (`name`, `parts`), computing and storing it on a miss.

    The answer lives CATALOG_CACHE_TIMEOUT seconds at most, and not past `expires_at` (a
    time, or a function of the computed answer giving one): e.g. when a discount starts.
    """
    key = catalog_key(name, *parts)
    if key is None:
        return compute()
    value = cache.get(key)
    if value is None:
        value = compute()
        until = expires_at(value) if callable(expires_at) else expires_at
        ttl = settings.CATALOG_CACHE_TIMEOUT
        if until is not None:
            ttl = min(ttl, math.ceil((until - timezone.now()).total_seconds()))
        if ttl > 0:
            cache.set(key, value, timeout=ttl)
    return value

"""The catalog cache: answers stored under a catalog version that every catalog write bumps.

Keys look like `catalog:v42:products:<hash of the query>`. A write bumps the version once its
transaction commits, so every older key is unreachable at once and no key can be missed.
Answers too costly to compute in a request after every write (`cached_or_stale`) are also
kept under `catalog:latest:…`, and served for a while as a task computes the current one. Whole
HTTP answers (`StoredResponse`, `catalog:response:…`) carry the version they were made under
instead, so one read of two keys, the version and the answer, tells whether one is current; a
process keeps a copy of the last ones it served, and then reads only the version. When
the cache is unreachable (django-redis is set to ignore errors), reads fall through to the
database and nothing is stored.
"""

import hashlib
import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

VERSION_KEY = "catalog:version"
# How long one caller has to enqueue the refresh of a stale answer before another may.
REFRESH_CLAIM_SECONDS = 60
T = TypeVar("T")


def _first_version() -> int:
    """Return a version to start from: microseconds since the epoch, so that no start after a
    flush of the cache (Redis keeps nothing on disk) repeats a version an earlier one used,
    and an answer a process still holds in memory (`StoredResponse`) cannot pass for current."""
    return time.time_ns() // 1000


def get_catalog_version() -> int | None:
    """Return the current catalog version, or None when the cache cannot be reached."""
    version = cache.get(VERSION_KEY)
    if version is None:
        # First use (or the cache was flushed): start a version. add() keeps a concurrent
        # first writer's value.
        cache.add(VERSION_KEY, _first_version(), timeout=None)
        version = cache.get(VERSION_KEY)
    return int(version) if version is not None else None


def bump_catalog_version() -> None:
    """Invalidate every cached catalog answer (call through `bump_catalog_version_on_commit`)."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no version yet (or it was evicted): any new one invalidates
        cache.add(VERSION_KEY, _first_version(), timeout=None)


def bump_catalog_version_on_commit() -> None:
    """Invalidate the catalog cache once the current transaction commits."""
    transaction.on_commit(bump_catalog_version, robust=True)


def _digest(parts: tuple[object, ...]) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=12).hexdigest() if parts else ""


def catalog_key(name: str, *parts: object) -> str | None:
    """Return the versioned cache key for an answer, or None without a reachable cache."""
    version = get_catalog_version()
    if version is None:
        return None
    return f"catalog:v{version}:{name}:{_digest(parts)}"


def _latest_key(name: str, parts: tuple[object, ...]) -> str:
    """Return the key of the last answer stored for (`name`, `parts`), whatever its version."""
    return f"catalog:latest:{name}:{_digest(parts)}"


def _lifetime(value: T, expires_at: Callable[[T], datetime | None] | datetime | None) -> int:
    """Return how many seconds an answer may be served as current (0 or less: not at all)."""
    until = expires_at(value) if callable(expires_at) else expires_at
    ttl: int = settings.CATALOG_CACHE_TIMEOUT
    if until is not None:
        ttl = min(ttl, math.ceil((until - timezone.now()).total_seconds()))
    return ttl


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
        ttl = _lifetime(value, expires_at)
        if ttl > 0:
            cache.set(key, value, timeout=ttl)
    return value


def store_current(
    name: str,
    *parts: object,
    compute: Callable[[], T],
    expires_at: Callable[[T], datetime | None] | datetime | None = None,
) -> T:
    """Compute the answer for (`name`, `parts`) and store it as current and as the latest."""
    key = catalog_key(name, *parts)
    value = compute()
    if key is None:
        return value
    ttl = _lifetime(value, expires_at)
    if ttl > 0:
        cache.set(key, value, timeout=ttl)
    cache.set(
        _latest_key(name, parts), (time.time(), value), timeout=settings.CATALOG_STALE_SECONDS
    )
    return value


def cached_or_stale(
    name: str,
    *parts: object,
    compute: Callable[[], T],
    refresh: Callable[[], object],
    expires_at: Callable[[T], datetime | None] | datetime | None = None,
) -> T:
    """Return the answer for (`name`, `parts`) as `cached` does, but serve the previous one
    while the current one is computed in the background.

    For answers too costly to compute in a request after every catalog write (the facet
    counts of a large catalog): when the current version has no answer but one computed at
    most CATALOG_STALE_SECONDS ago exists, that one is returned and `refresh()` (which
    enqueues a task calling `store_current`) is called by one caller per version and key;
    where tasks run eagerly the fresh answer is returned at once. With no recent answer, or if
    enqueueing fails, it is computed here.
    """
    key = catalog_key(name, *parts)
    if key is None:
        return compute()
    latest_key = _latest_key(name, parts)
    found = cache.get_many([key, latest_key])
    if key in found:
        return found[key]
    latest = found.get(latest_key)
    if latest is None or time.time() - latest[0] > settings.CATALOG_STALE_SECONDS:
        return store_current(name, *parts, compute=compute, expires_at=expires_at)
    if cache.add(f"{key}:refreshing", 1, timeout=REFRESH_CLAIM_SECONDS):
        try:
            refresh()
        except Exception:  # the broker is down: answer from the database, as `cached` would
            logger.warning("Could not enqueue the refresh of %s; computing it here", key)
            return store_current(name, *parts, compute=compute, expires_at=expires_at)
        fresh = cache.get(key)  # stored already when the task ran eagerly
        if fresh is not None:
            return fresh
    return latest[1]


# --- Whole answers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredResponse:
    """An HTTP answer's body, as made under catalog version `version`, current until
    `expires` (a POSIX time) at the latest."""

    version: int
    content: bytes
    content_type: str
    etag: str
    expires: float

    def is_current(self, version: int) -> bool:
        return self.version == version and time.time() < self.expires


class _ProcessResponses:
    """The answers this process served last (CATALOG_LOCAL_RESPONSES of them, least recently
    used out first), so that a current one is not read from the cache again: the round trip
    still reads the version, which tells whether the copy here is current, but not the body."""

    def __init__(self) -> None:
        self._items: OrderedDict[str, StoredResponse] = OrderedDict()
        self._lock = threading.Lock()  # threaded workers share it

    def get(self, key: str) -> StoredResponse | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: str, response: StoredResponse) -> None:
        size: int = settings.CATALOG_LOCAL_RESPONSES
        with self._lock:
            self._items[key] = response
            self._items.move_to_end(key)
            while len(self._items) > size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


process_responses = _ProcessResponses()


def response_key(*parts: object) -> str:
    """Return the key a whole answer for (`parts`) is stored under, whatever the version."""
    return f"catalog:response:{_digest(parts)}"


@dataclass(frozen=True)
class ResponseLookup:
    """Finding the current answer under `key`: read `keys` from the cache (in one round trip,
    maybe with other commands), then `resolve` what was found."""

    key: str
    held: StoredResponse | None  # this process's copy, current or not

    @property
    def keys(self) -> list[str]:
        """The version, and the answer too unless this process holds a copy."""
        return [VERSION_KEY] if self.held is not None else [VERSION_KEY, self.key]

    def resolve(self, found: Mapping[str, object]) -> tuple[int | None, StoredResponse | None]:
        """Return the catalog version, and the answer if one made under it is current. A
        missing version is started, as `get_catalog_version` does; a copy held here that is
        older than the version costs a second read."""
        version = found.get(VERSION_KEY)
        if version is None:
            return get_catalog_version(), None
        current = int(version)  # type: ignore[call-overload]
        if self.held is not None and self.held.is_current(current):
            return current, self.held
        stored = found[self.key] if self.key in found else cache.get(self.key)
        if isinstance(stored, StoredResponse) and stored.is_current(current):
            process_responses.put(self.key, stored)
            return current, stored
        return current, None


def lookup_response(key: str) -> ResponseLookup:
    """Start finding the current answer stored under `key`."""
    return ResponseLookup(key, process_responses.get(key))


def read_response(key: str) -> tuple[int | None, StoredResponse | None]:
    """Return the catalog version and the current answer stored under `key`, in one read."""
    lookup = lookup_response(key)
    return lookup.resolve(cache.get_many(lookup.keys))


def store_response(
    key: str,
    *,
    version: int,
    content: bytes,
    content_type: str,
    etag: str = "",
    expires_at: datetime | None,
) -> None:
    """Keep an answer made under `version` until the catalog changes: CATALOG_CACHE_TIMEOUT at
    most, and not past `expires_at` (e.g. when a discount starts)."""
    now = time.time()
    expires = now + settings.CATALOG_CACHE_TIMEOUT
    if expires_at is not None:
        expires = min(expires, expires_at.timestamp())
    if expires > now:
        response = StoredResponse(version, content, content_type, etag, expires)
        cache.set(key, response, timeout=math.ceil(expires - now))
        process_responses.put(key, response)

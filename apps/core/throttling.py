"""Throttles: one Redis round trip per request, rates read when they run.

DRF's own throttles keep each client's request history as a list in the cache: a read and a
write per request, and a list as long as the rate allows (at a high limit, large). These
count instead: a counter per client and window, and a sliding-window estimate from this
window's count and the last one's (the previous count weighted by how much of it still
overlaps the last `duration` seconds). On Redis that is one pipelined round trip; on another
cache (local memory) a few cache calls. A cache outage lets requests through, as it does
for every other cache read.
"""

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from django.core.cache import cache
from redis.exceptions import RedisError
from rest_framework import throttling
from rest_framework.request import Request
from rest_framework.settings import api_settings

if TYPE_CHECKING:  # rest_framework.views imports the throttles named in the settings
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)


def count_request(key: str, *, window: int, duration: int) -> tuple[int, int]:
    """Count a request in `key`'s window number `window`; return (this window's, the last's)."""
    current, previous = f"{key}:{window}", f"{key}:{window - 1}"
    client = _redis_client()
    if client is None:
        cache.add(current, 0, timeout=2 * duration)
        return cache.incr(current), cache.get(previous, 0)
    current, previous = cache.make_key(current), cache.make_key(previous)
    try:
        pipe = client.pipeline(transaction=False)
        pipe.incr(current)
        pipe.expire(current, 2 * duration)
        pipe.get(previous)
        counted, _, before = pipe.execute()
    except RedisError as exc:
        logger.warning("Throttle not applied, the cache is unavailable: %s", exc)
        return 0, 0
    return int(counted), int(before or 0)


def _redis_client() -> Any:
    client: Any = getattr(cache, "client", None)  # django-redis's, on a Redis cache
    return client.get_client(write=True) if hasattr(client, "get_client") else None


class _CountingMixin:
    """`SimpleRateThrottle` with counters instead of a history, and live rates."""

    scope: str | None
    rate: str | None
    key: str | None
    num_requests: Any
    duration: Any
    timer: Any
    get_cache_key: Callable[[Request, "APIView"], str | None]

    def get_rate(self) -> str | None:
        """Return this scope's rate from the current REST_FRAMEWORK settings."""
        rates = cast(dict[str, str | None], api_settings.DEFAULT_THROTTLE_RATES)
        return rates.get(self.scope or "")

    def allow_request(self, request: Request, view: "APIView") -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        window, elapsed = divmod(self.timer(), self.duration)
        current, previous = count_request(self.key, window=int(window), duration=self.duration)
        estimate = previous * (1 - elapsed / self.duration) + current
        self._retry_after = self.duration - elapsed
        return estimate <= self.num_requests

    def wait(self) -> float | None:
        """Return the seconds until this window ends, for the Retry-After header."""
        return max(getattr(self, "_retry_after", 0.0), 1.0)


class AnonRateThrottle(_CountingMixin, throttling.AnonRateThrottle):
    """Limit anonymous clients per IP address."""


class UserRateThrottle(_CountingMixin, throttling.UserRateThrottle):
    """Limit signed-in users per user."""


class ScopedRateThrottle(_CountingMixin, throttling.ScopedRateThrottle):
    """Limit a sensitive action (login, registration, password reset) by its own scope."""

    def allow_request(self, request: Request, view: "APIView") -> bool:
        # The scope, so the rate, is the view's: known only now (as in DRF's own class).
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


# For views with a tight scope of their own (`throttle_scope`), on top of the per-client
# limits every view has (REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]).
SCOPED_THROTTLES: list[type[throttling.BaseThrottle]] = [
    AnonRateThrottle,
    UserRateThrottle,
    ScopedRateThrottle,
]

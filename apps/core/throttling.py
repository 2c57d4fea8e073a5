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
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

from django.core.cache import cache
from django.http import HttpRequest
from redis.exceptions import RedisError
from rest_framework import throttling
from rest_framework.request import Request
from rest_framework.settings import api_settings

if TYPE_CHECKING:  # rest_framework.views imports the throttles named in the settings
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)


def count_request(key: str, *, window: int, duration: int) -> tuple[int, int]:
    """Count a request in `key`'s window number `window`; return (this window's, the last's)."""
    counts, _ = count_requests([(key, window, duration)])
    return counts[0]


def count_requests(
    windows: Sequence[tuple[str, int, int]], *, also_get: Sequence[str] = ()
) -> tuple[list[tuple[int, int]], dict[str, Any]]:
    """Count a request in each (key, window number, duration); also read the cache keys
    `also_get`, all in one round trip on Redis.

    Return each window's (this window's, the last's) counts and the values found (a cache
    `get_many`). On a Redis error nothing is counted or found, and a warning is logged.
    """
    client = _redis_client()
    if client is None:
        counts = []
        for key, window, duration in windows:
            current = f"{key}:{window}"
            cache.add(current, 0, timeout=2 * duration)
            counts.append((cache.incr(current), cache.get(f"{key}:{window - 1}", 0)))
        return counts, cache.get_many(also_get) if also_get else {}
    try:
        pipe = client.pipeline(transaction=False)
        for key, window, duration in windows:
            current = cache.make_key(f"{key}:{window}")
            pipe.incr(current)
            pipe.expire(current, 2 * duration)
            pipe.get(cache.make_key(f"{key}:{window - 1}"))
        for key in also_get:
            pipe.get(cache.make_key(key))
        replies = pipe.execute()
    except RedisError as exc:
        logger.warning("Throttle not applied, the cache is unavailable: %s", exc)
        return [(0, 0)] * len(windows), {}
    counted = [(int(replies[3 * i]), int(replies[3 * i + 2] or 0)) for i in range(len(windows))]
    decode = cache.client.decode  # type: ignore[attr-defined]
    found = {
        key: decode(value)
        for key, value in zip(also_get, replies[3 * len(windows) :], strict=True)
        if value is not None
    }
    return counted, found


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
        # Counted already, in the round trip that read a stored answer (`count_ahead`)?
        ahead: dict[tuple[str, int], tuple[int, int]] = getattr(request, "throttle_counts", {})
        counted = ahead.pop((self.key, int(window)), None)
        if counted is None:
            counted = count_request(self.key, window=int(window), duration=self.duration)
        return self.judge(counted, elapsed=elapsed)

    def judge(self, counted: tuple[int, int], *, elapsed: float) -> bool:
        """Return whether this window's and the last window's counts allow the request,
        `elapsed` seconds into this window."""
        current, previous = counted
        estimate = previous * (1 - elapsed / self.duration) + current
        self._retry_after = self.duration - elapsed
        return bool(estimate <= self.num_requests)

    def wait(self) -> float | None:
        """Return the seconds until this window ends, for the Retry-After header."""
        return max(getattr(self, "_retry_after", 0.0), 1.0)


class AnonRateThrottle(_CountingMixin, throttling.AnonRateThrottle):
    """Limit anonymous clients per IP address."""


class UserRateThrottle(_CountingMixin, throttling.UserRateThrottle):
    """Limit signed-in users per user."""

    def get_cache_key(self, request: Request, view: "APIView") -> str | None:
        # Anonymous clients have their own, lower limit (AnonRateThrottle): DRF's class would
        # count them a second time, by address, at the signed-in rate.
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)


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


def count_ahead(
    request: HttpRequest, view: "APIView", *, also_get: Sequence[str] = ()
) -> tuple[bool, dict[str, Any]]:
    """Count `request` in each of `view`'s throttles and read the cache keys `also_get`, in
    one round trip: for an answer served before DRF runs (`CatalogView`).

    Return whether every throttle allows the request, and the values found. The counts are
    kept on the request, so if DRF runs after all its throttles judge them without counting
    the request again (and answer 429 with Retry-After). A throttle that can only be applied
    in DRF (not a counting one, or a scoped one, whose rate is the view's) makes the answer
    "not allowed" here: the caller then lets DRF run, which applies it.
    """
    windows: list[tuple[str, int, int]] = []
    judged: list[tuple[_CountingMixin, float]] = []
    only_in_drf = False
    for throttle in view.get_throttles():
        if not isinstance(throttle, _CountingMixin) or isinstance(throttle, ScopedRateThrottle):
            only_in_drf = True
            continue
        if throttle.rate is None:  # no limit set for this scope
            continue
        key = throttle.get_cache_key(request, view)  # type: ignore[arg-type]
        if key is None:
            continue
        window, elapsed = divmod(throttle.timer(), throttle.duration)
        windows.append((key, int(window), throttle.duration))
        judged.append((throttle, elapsed))
    counts, found = count_requests(windows, also_get=also_get)
    request.throttle_counts = {  # type: ignore[attr-defined]
        (key, window): counted for (key, window, _), counted in zip(windows, counts, strict=True)
    }
    allowed = not only_in_drf and all(
        throttle.judge(counted, elapsed=elapsed)
        for (throttle, elapsed), counted in zip(judged, counts, strict=True)
    )
    return allowed, found

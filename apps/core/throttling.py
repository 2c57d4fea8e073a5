"""Throttles that read their rates when they run, so a settings change applies at once."""

from typing import cast

from rest_framework import throttling
from rest_framework.settings import api_settings


class _LiveRatesMixin:
    scope: str | None

    def get_rate(self) -> str | None:
        """Return this scope's rate from the current REST_FRAMEWORK settings."""
        rates = cast(dict[str, str | None], api_settings.DEFAULT_THROTTLE_RATES)
        return rates.get(self.scope or "")


class AnonRateThrottle(_LiveRatesMixin, throttling.AnonRateThrottle):
    """Limit anonymous clients per IP address."""


class UserRateThrottle(_LiveRatesMixin, throttling.UserRateThrottle):
    """Limit signed-in users per user."""


class ScopedRateThrottle(_LiveRatesMixin, throttling.ScopedRateThrottle):
    """Limit a sensitive action (login, registration, password reset) by its own scope."""


# For views with a tight scope of their own (`throttle_scope`), on top of the per-client
# limits every view has (REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]).
SCOPED_THROTTLES: list[type[throttling.BaseThrottle]] = [
    AnonRateThrottle,
    UserRateThrottle,
    ScopedRateThrottle,
]

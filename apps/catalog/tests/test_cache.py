"""The catalog cache: a version every write bumps, answers stored under it, outages survived."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from apps.catalog.cache import (
    VERSION_KEY,
    bump_catalog_version,
    bump_catalog_version_on_commit,
    cached,
    catalog_key,
    get_catalog_version,
)
from apps.catalog.tests.test_api_support import UNREACHABLE_REDIS


class Counter:
    """A compute function that counts its calls."""

    def __init__(self, value: object = "answer") -> None:
        self.calls = 0
        self.value = value

    def __call__(self) -> object:
        self.calls += 1
        return self.value


def test_the_version_starts_at_one_and_each_bump_adds_one():
    assert get_catalog_version() == 1
    assert get_catalog_version() == 1

    bump_catalog_version()
    bump_catalog_version()

    assert get_catalog_version() == 3


def test_a_bump_without_a_version_starts_one():
    bump_catalog_version()

    assert cache.get(VERSION_KEY) == 1


def test_keys_carry_the_version_and_the_parts():
    key = catalog_key("products", {"tag": "sale"}, 24)

    assert key is not None
    assert key.startswith("catalog:v1:products:")
    assert catalog_key("products", {"tag": "sale"}, 24) == key
    assert catalog_key("products", {"tag": "eco"}, 24) != key
    assert catalog_key("product", {"tag": "sale"}, 24) != key
    assert catalog_key("tags") == "catalog:v1:tags:"
    bump_catalog_version()
    assert catalog_key("products", {"tag": "sale"}, 24) == key.replace(":v1:", ":v2:")


def test_an_answer_is_computed_once_per_version():
    compute = Counter()

    assert cached("thing", 1, compute=compute) == "answer"
    assert cached("thing", 1, compute=compute) == "answer"
    assert compute.calls == 1
    cached("thing", 2, compute=compute)
    assert compute.calls == 2

    bump_catalog_version()
    cached("thing", 1, compute=compute)
    assert compute.calls == 3


def test_an_answer_lives_no_longer_than_its_expiry(time_machine, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.CATALOG_CACHE_TIMEOUT = 600
    time_machine.move_to(timezone.now(), tick=False)
    compute = Counter()
    soon = timezone.now() + timedelta(seconds=30)

    cached("thing", compute=compute, expires_at=soon)
    cached("thing", compute=compute, expires_at=lambda value: soon)
    time_machine.shift(29)
    cached("thing", compute=compute, expires_at=soon)
    assert compute.calls == 1

    time_machine.shift(1)
    cached("other", compute=compute)
    cached("thing", compute=compute, expires_at=soon + timedelta(days=1))
    assert compute.calls == 3
    time_machine.shift(599)
    cached("thing", compute=compute, expires_at=soon + timedelta(days=1))
    assert compute.calls == 3  # the default timeout bounds it
    time_machine.shift(1)
    cached("thing", compute=compute, expires_at=soon + timedelta(days=1))
    assert compute.calls == 4


def test_an_answer_already_expired_is_not_stored():
    compute = Counter()
    past = timezone.now() - timedelta(seconds=1)

    cached("thing", compute=compute, expires_at=past)
    cached("thing", compute=compute, expires_at=past)

    assert compute.calls == 2


@pytest.mark.django_db
def test_a_bump_on_commit_waits_for_the_commit(django_capture_on_commit_callbacks):
    get_catalog_version()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        bump_catalog_version_on_commit()
        assert get_catalog_version() == 1

    assert len(callbacks) == 1
    assert get_catalog_version() == 2


def test_an_unreachable_cache_falls_through_to_computing(settings):
    settings.CACHES = UNREACHABLE_REDIS
    compute = Counter()

    assert get_catalog_version() is None
    assert catalog_key("products", 1) is None
    assert cached("thing", compute=compute) == "answer"
    assert cached("thing", compute=compute) == "answer"
    assert compute.calls == 2
    bump_catalog_version()  # does not raise

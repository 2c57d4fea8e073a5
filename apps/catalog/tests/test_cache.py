"""The catalog cache: a version every write bumps, answers stored under it, stale answers
served while a task refreshes them, outages survived."""

import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from apps.catalog.cache import (
    VERSION_KEY,
    bump_catalog_version,
    bump_catalog_version_on_commit,
    cached,
    cached_or_stale,
    catalog_key,
    get_catalog_version,
    store_current,
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


def test_the_version_starts_from_the_clock_and_each_bump_adds_one():
    before = time.time_ns() // 1000
    first = get_catalog_version()
    assert first is not None
    assert before <= first <= time.time_ns() // 1000
    assert get_catalog_version() == first

    bump_catalog_version()
    bump_catalog_version()

    assert get_catalog_version() == first + 2


def test_a_start_after_a_flush_never_repeats_a_version():
    first = get_catalog_version()
    assert first is not None
    bump_catalog_version()
    cache.clear()  # Redis restarted: it keeps nothing on disk

    bump_catalog_version()  # a bump without a version starts one
    again = cache.get(VERSION_KEY)

    assert again > first + 1


def test_keys_carry_the_version_and_the_parts():
    key = catalog_key("products", {"tag": "sale"}, 24)
    version = get_catalog_version()

    assert key is not None
    assert version is not None
    assert key.startswith(f"catalog:v{version}:products:")
    assert catalog_key("products", {"tag": "sale"}, 24) == key
    assert catalog_key("products", {"tag": "eco"}, 24) != key
    assert catalog_key("product", {"tag": "sale"}, 24) != key
    assert catalog_key("tags") == f"catalog:v{version}:tags:"
    bump_catalog_version()
    assert catalog_key("products", {"tag": "sale"}, 24) == key.replace(
        f":v{version}:", f":v{version + 1}:"
    )


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
    first = get_catalog_version()
    assert first is not None

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        bump_catalog_version_on_commit()
        assert get_catalog_version() == first

    assert len(callbacks) == 1
    assert get_catalog_version() == first + 1


def test_an_unreachable_cache_falls_through_to_computing(settings):
    settings.CACHES = UNREACHABLE_REDIS
    compute = Counter()

    assert get_catalog_version() is None
    assert catalog_key("products", 1) is None
    assert cached("thing", compute=compute) == "answer"
    assert cached("thing", compute=compute) == "answer"
    assert compute.calls == 2
    bump_catalog_version()  # does not raise


# --- Stale while a task refreshes ------------------------------------------------------------


class Refresh:
    """A refresh that counts its calls; `eager` stores the new answer at once, as a task run
    eagerly does; `fails` raises as enqueueing does when the broker is down."""

    def __init__(self, compute: Counter, *, eager: bool = False, fails: bool = False) -> None:
        self.calls = 0
        self.compute, self.eager, self.fails = compute, eager, fails

    def __call__(self) -> None:
        self.calls += 1
        if self.fails:
            raise ConnectionError("broker unreachable")
        if self.eager:
            store_current("facets", 1, compute=self.compute)


def test_after_a_write_the_previous_answer_is_served_and_one_refresh_enqueued():
    compute = Counter("before")
    refresh = Refresh(compute)
    assert cached_or_stale("facets", 1, compute=compute, refresh=refresh) == "before"
    assert (compute.calls, refresh.calls) == (1, 0)  # the first answer: computed here

    bump_catalog_version()
    compute.value = "after"

    assert cached_or_stale("facets", 1, compute=compute, refresh=refresh) == "before"
    assert cached_or_stale("facets", 1, compute=compute, refresh=refresh) == "before"
    assert (compute.calls, refresh.calls) == (1, 1)  # one refresh for every caller

    store_current("facets", 1, compute=compute)  # what the task does
    assert cached_or_stale("facets", 1, compute=compute, refresh=refresh) == "after"
    assert (compute.calls, refresh.calls) == (2, 1)
    assert cached_or_stale("facets", 2, compute=compute, refresh=refresh) == "after"
    assert compute.calls == 3  # other parts have answers of their own


def test_an_eager_refresh_answers_with_the_new_answer_at_once():
    compute = Counter("before")
    refresh = Refresh(compute, eager=True)
    cached_or_stale("facets", 1, compute=compute, refresh=refresh)
    bump_catalog_version()
    compute.value = "after"

    assert cached_or_stale("facets", 1, compute=compute, refresh=refresh) == "after"
    assert (compute.calls, refresh.calls) == (2, 1)


def test_an_answer_older_than_the_stale_limit_is_computed_in_the_request(time_machine, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.CATALOG_STALE_SECONDS = 900
    time_machine.move_to(timezone.now(), tick=False)
    compute = Counter("before")
    refresh = Refresh(compute)
    cached_or_stale("facets", 1, compute=compute, refresh=refresh)
    time_machine.shift(899)
    bump_catalog_version()
    assert cached_or_stale("facets", 1, compute=compute, refresh=refresh) == "before"

    time_machine.shift(2)
    bump_catalog_version()
    compute.value = "after"

    assert cached_or_stale("facets", 1, compute=compute, refresh=refresh) == "after"
    assert (compute.calls, refresh.calls) == (2, 1)


def test_when_the_refresh_cannot_be_enqueued_the_request_computes_it(caplog):
    compute = Counter("before")
    refresh = Refresh(compute, fails=True)
    cached_or_stale("facets", 1, compute=compute, refresh=refresh)
    bump_catalog_version()
    compute.value = "after"

    assert cached_or_stale("facets", 1, compute=compute, refresh=refresh) == "after"
    assert cached_or_stale("facets", 1, compute=compute, refresh=refresh) == "after"
    assert (compute.calls, refresh.calls) == (2, 1)
    assert "Could not enqueue the refresh" in caplog.text


def test_an_unreachable_cache_computes_stale_answers_every_time(settings):
    settings.CACHES = UNREACHABLE_REDIS
    compute = Counter()
    refresh = Refresh(compute)

    assert cached_or_stale("facets", 1, compute=compute, refresh=refresh) == "answer"
    assert cached_or_stale("facets", 1, compute=compute, refresh=refresh) == "answer"
    assert store_current("facets", 1, compute=compute) == "answer"
    assert (compute.calls, refresh.calls) == (3, 0)

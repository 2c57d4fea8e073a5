"""The per-client throttles: counted windows, one Redis round trip, open when the cache is down."""

import logging
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.test import override_settings
from redis.client import Pipeline
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework import throttling as drf_throttling
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from apps.core import throttling
from apps.core.tests.helpers import assert_problem

LOCAL_MEMORY = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CATEGORIES_URL = "/api/v1/categories/"


@pytest.fixture
def rate(settings: Any) -> Any:
    def set_rate(value: str) -> None:
        rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": value}
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}

    return set_rate


def anonymous_throttle(at: float) -> Any:
    throttle = throttling.AnonRateThrottle()
    throttle.timer = lambda: at
    return throttle


def allowed(throttle: Any, address: str = "203.0.113.7") -> bool:
    request = Request(APIRequestFactory().get("/", REMOTE_ADDR=address))
    request.user = AnonymousUser()
    return bool(throttle.allow_request(request, view=None))


@pytest.mark.parametrize("caches", [None, LOCAL_MEMORY], ids=["configured", "local-memory"])
def test_a_client_gets_its_rate_then_a_429_with_retry_after(api_client, db, rate, caches):
    rate("3/min")
    with override_settings(**({"CACHES": caches} if caches else {})):
        cache.clear()
        answers = [api_client.get(CATEGORIES_URL, REMOTE_ADDR="203.0.113.7") for _ in range(4)]
        other = api_client.get(CATEGORIES_URL, REMOTE_ADDR="203.0.113.8")

    assert [answer.status_code for answer in answers[:3]] == [200, 200, 200]
    assert_problem(answers[3], 429, "throttled")
    assert 1 <= int(answers[3]["Retry-After"]) <= 60
    assert other.status_code == 200  # counted per client


def test_an_anonymous_client_is_held_to_the_anonymous_rate_only(api_client, db, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "3/min", "user": "1/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}

    answers = [api_client.get(CATEGORIES_URL, REMOTE_ADDR="203.0.113.7") for _ in range(4)]

    # Not counted a second time at the signed-in rate (1/min), by address.
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]


def test_the_last_window_counts_for_the_part_that_still_overlaps(rate):
    rate("4/min")
    # Four requests in the last seconds of one minute...
    assert all(allowed(anonymous_throttle(at=60 * 1000 + 59)) for _ in range(4))
    # ...weigh almost fully at the start of the next: 4 x 0.95 + 1 > 4.
    assert not allowed(anonymous_throttle(at=60 * 1001 + 3))
    # Half a minute later they weigh half: 4 x 0.5 + 1 (the refused one) + 1 <= 4.
    assert allowed(anonymous_throttle(at=60 * 1001 + 30))


def test_on_redis_a_request_is_one_round_trip(rate, monkeypatch):
    client = throttling._redis_client()
    if client is None:
        pytest.skip("the cache is not Redis here; CI runs this on Redis")
    rate("100/min")
    trips: list[str] = []
    execute = Pipeline.execute

    def counting_execute(pipe: Pipeline, *args: Any, **kwargs: Any) -> Any:
        trips.append(f"pipeline of {len(pipe.command_stack)}")
        return execute(pipe, *args, **kwargs)

    def single(*args: Any, **kwargs: Any) -> Any:
        trips.append(f"command {args[0]}")
        raise AssertionError("a throttle sends no command outside its pipeline")

    with monkeypatch.context() as patched:
        patched.setattr(Pipeline, "execute", counting_execute)
        patched.setattr(type(client), "execute_command", single)
        assert allowed(anonymous_throttle(at=60 * 1000 + 1))
    assert trips == ["pipeline of 3"]


def test_when_the_cache_is_down_requests_pass_and_it_is_logged(rate, monkeypatch, caplog):
    if throttling._redis_client() is None:
        pytest.skip("the cache is not Redis here; CI runs this on Redis")
    rate("1/min")

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise RedisConnectionError("connection refused")

    with monkeypatch.context() as patched, caplog.at_level(logging.WARNING):
        patched.setattr(Pipeline, "execute", refuse)
        assert all(allowed(anonymous_throttle(at=60 * 1000 + 1)) for _ in range(3))
    assert "the cache is unavailable" in caplog.text


@pytest.mark.parametrize(
    "other", [throttling.ScopedRateThrottle, drf_throttling.AnonRateThrottle], ids=["scoped", "drf"]
)
def test_a_throttle_only_drf_can_apply_keeps_the_answer_from_being_served_ahead(rate, other):
    rate("100/min")

    class Counted(APIView):
        throttle_classes = [throttling.AnonRateThrottle]
        throttle_scope = "login"

    class WithOther(Counted):
        throttle_classes = [throttling.AnonRateThrottle, other]

    def anonymous_get() -> Any:
        request = APIRequestFactory().get("/", REMOTE_ADDR="203.0.113.7")
        request.user = AnonymousUser()
        return request

    assert throttling.count_ahead(anonymous_get(), Counted())[0] is True
    # The caller then lets DRF run, which applies the other throttle.
    assert throttling.count_ahead(anonymous_get(), WithOther())[0] is False

"""Health, readiness and version endpoints."""

from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_touching_the_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_reports_each_check_with_its_timing():
    response = Client().get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache"}
    for check in body["checks"].values():
        assert check["status"] == "ok"
        assert check["duration_ms"] >= 0


def test_readyz_is_503_when_the_database_fails():
    with mock.patch(
        "apps.core.views.READINESS_CHECKS",
        {"database": mock.Mock(side_effect=OperationalError("down")), "cache": lambda: None},
    ):
        response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["database"] == {
        "status": "fail",
        "error": "OperationalError",
        "duration_ms": body["checks"]["database"]["duration_ms"],
    }
    assert body["checks"]["cache"]["status"] == "ok"


def test_readyz_is_503_when_the_cache_loses_writes():
    with mock.patch("apps.core.views.cache") as cache:
        cache.get.return_value = None  # what an unreachable Redis with IGNORE_EXCEPTIONS does
        response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"]["error"] == "ConnectionError"


def test_concurrent_readiness_probes_do_not_read_each_others_values():
    """Probes of other workers and pods share the cache: one landing between another's write
    and read must not make that one report the cache down (nor leave keys behind)."""
    from django.core.cache import cache as real_cache

    from apps.core import views

    original_set = real_cache.set
    interleaved: list[None] = []

    def set_then_let_another_probe_run(key, value, timeout=None):
        original_set(key, value, timeout=timeout)
        if not interleaved:
            interleaved.append(None)
            views._check_cache()  # another probe, between this one's write and its read

    with mock.patch.object(real_cache, "set", side_effect=set_then_let_another_probe_run):
        response = Client().get("/readyz")

    assert interleaved
    assert response.status_code == 200, response.json()
    assert not [key for key in _cache_keys(real_cache) if "readyz" in key]


def _cache_keys(cache) -> list[str]:
    """Return the keys the test cache holds (local memory or Redis)."""
    if hasattr(cache, "_cache"):  # local-memory backend
        return [str(key) for key in cache._cache]
    return [key.decode() for key in cache.client.get_client().keys("*readyz*")]


def test_version_reports_release_and_commit(settings):
    settings.RELEASE = "2026.11.0"
    settings.GIT_COMMIT = "abc1234"
    assert Client().get("/version").json() == {"release": "2026.11.0", "commit": "abc1234"}


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/version"])
def test_health_endpoints_refuse_writes(path):
    assert Client().post(path).status_code == 405


def test_index_links_to_the_docs_and_the_back_office(settings):
    body = Client().get("/").content.decode()
    assert 'href="/api/docs/"' in body
    assert f'href="/{settings.ADMIN_URL}"' in body

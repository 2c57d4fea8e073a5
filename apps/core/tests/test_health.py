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

"""The load benchmark's own routes (config.urls_bench): the ceiling and the cold-catalog switch."""

import pytest

from apps.catalog.cache import get_catalog_version

pytestmark = [pytest.mark.django_db, pytest.mark.urls("config.urls_bench")]


def test_the_ceiling_answers_a_fixed_body_without_queries(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/bench/ceiling")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "ceiling": True}
    assert client.post("/bench/ceiling").status_code == 405


def test_the_project_routes_are_served_too(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/products/").status_code == 200


def test_only_the_cold_header_invalidates_the_catalog_cache(client, settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "config.urls_bench.ColdCatalogMiddleware"]
    before = get_catalog_version()
    assert before is not None

    client.get("/bench/ceiling", headers={"X-Bench-Catalog": "warm"})
    assert get_catalog_version() == before
    client.get("/bench/ceiling", headers={"X-Bench-Catalog": "cold"})
    assert get_catalog_version() == before + 1

"""Benchmark routes (config.settings.bench only): the project's URLs plus a ceiling to compare with.

`/bench/ceiling` answers a small fixed JSON body through the whole middleware stack without
touching the database or the cache: the most requests per second this server configuration can
serve, against which every endpoint's rate is reported. `/bench/ceiling-redis` is the same plus
the one Redis round trip a throttled cached answer needs at least (the client's throttle
counted and the catalog version read, `count_requests`): the most a warm read with production's
throttles can reach. `ColdCatalogMiddleware` lets the load
generator ask for a cold catalog answer (the cache version bumped before the view runs).
"""

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.catalog.cache import VERSION_KEY, bump_catalog_version
from apps.core.throttling import count_requests
from config.urls import handler400, handler403, handler404, handler500, urlpatterns

COLD_HEADER = "X-Bench-Catalog"


@never_cache
@require_GET
def ceiling(request: HttpRequest) -> JsonResponse:
    """Answer a fixed body: no database, no cache, no serializer."""
    return JsonResponse({"status": "ok", "ceiling": True})


@never_cache
@require_GET
def ceiling_redis(request: HttpRequest) -> JsonResponse:
    """Answer the ceiling's body after one pipelined Redis round trip, as a throttle makes."""
    window = int(time.time() // 60)
    count_requests(
        [(f"bench-ceiling:{request.META.get('REMOTE_ADDR')}", window, 60)], also_get=[VERSION_KEY]
    )
    return JsonResponse({"status": "ok", "ceiling": True})


class ColdCatalogMiddleware:
    """With `X-Bench-Catalog: cold`, invalidate the catalog cache before the request.

    One Redis INCR, as a catalog write does on commit: the request then computes every cached
    part of its answer (categories, discounts, the page) from the database.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.headers.get(COLD_HEADER) == "cold":
            bump_catalog_version()
        return self.get_response(request)


urlpatterns = [
    path("bench/ceiling", ceiling, name="bench-ceiling"),
    path("bench/ceiling-redis", ceiling_redis, name="bench-ceiling-redis"),
    *urlpatterns,
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]

"""Health, readiness, version and metrics endpoints; problem+json answers for unrouted API paths;
media files where no proxy or bucket serves them."""

import logging
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.urls import Resolver404, resolve
from django.views import defaults, static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from drf_spectacular.utils import extend_schema
from prometheus_client import CONTENT_TYPE_LATEST
from rest_framework import exceptions
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from apps.core.metrics import may_read_metrics, render_metrics
from apps.core.problems import DATABASE_UNAVAILABLE_DETAIL, is_api_request, problem_response

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Answer that the process is alive; touches no database, cache or network."""
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache() -> None:
    # The cache swallows connection errors by design (the site keeps serving without it), so
    # readiness writes and reads back a value: a silent miss means the cache is not reachable.
    # A key of its own per probe: probes of other workers and pods share the cache, and a
    # shared key would let one probe read another's value and report a healthy cache down.
    token = uuid.uuid4().hex
    key = f"readyz:probe:{token}"
    cache.set(key, token, timeout=10)
    try:
        if cache.get(key) != token:
            raise ConnectionError("the cache did not return the value just written")
    finally:
        cache.delete(key)


READINESS_CHECKS: dict[str, Callable[[], None]] = {
    "database": _check_database,
    "cache": _check_cache,
}


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Check the database and the cache; 200 when both answer, 503 otherwise, with timings."""
    checks: dict[str, dict[str, Any]] = {}
    for name, check in READINESS_CHECKS.items():
        started = time.perf_counter()
        try:
            check()
        except Exception as exc:
            logger.warning("Readiness check %s failed: %s", name, exc)
            checks[name] = {"status": "fail", "error": type(exc).__name__}
        else:
            checks[name] = {"status": "ok"}
        checks[name]["duration_ms"] = round((time.perf_counter() - started) * 1000, 2)
    healthy = all(check["status"] == "ok" for check in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "fail", "checks": checks}, status=200 if healthy else 503
    )


@require_GET
def version(request: HttpRequest) -> JsonResponse:
    """Return the release and commit this process runs."""
    return JsonResponse({"release": settings.RELEASE, "commit": settings.GIT_COMMIT})


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Serve Prometheus metrics to internal networks or the token holder; others get a 404."""
    if not may_read_metrics(request):
        # 404, not 403: to outsiders the endpoint does not exist.
        return problem_response(status=404, code="not_found", detail="Not found.")
    return HttpResponse(render_metrics(), content_type=CONTENT_TYPE_LATEST)


@require_GET
def media(request: HttpRequest, path: str) -> HttpResponseBase:
    """Serve a file of MEDIA_ROOT when MEDIA_SERVE is on (the demo, the tests); else 404.

    In production nginx serves MEDIA_ROOT, or the bucket serves the files, before a request
    gets here. Stored names are never reused (a new upload gets a new name), so a day of
    caching is safe.
    """
    if not settings.MEDIA_SERVE or settings.MEDIA_BUCKET:
        raise Http404("Media are not served by the application.")
    response = static.serve(request, path, document_root=str(settings.MEDIA_ROOT))
    response["Cache-Control"] = "public, max-age=86400"
    return response


@extend_schema(exclude=True)
class ApiNotFoundView(APIView):
    """Answer any unrouted path under /api/ with a 404 problem, whatever the method.

    `initial()` runs before DRF looks up a handler for the method, so raising there answers
    every method the same way.
    """

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        detail = f"No API endpoint at {request.path}."
        if not request.path.endswith("/"):
            try:
                resolve(request.path + "/")
            except Resolver404:
                pass
            else:
                detail += f" Did you mean {request.path}/ (with a trailing slash)?"
        raise exceptions.NotFound(detail)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Answer 400 as problem+json under /api/, Django's page elsewhere."""
    if is_api_request(request):
        return problem_response(status=400, code="bad_request", detail="The request is malformed.")
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Answer 403 as problem+json under /api/, Django's page elsewhere."""
    if is_api_request(request):
        return problem_response(
            status=403,
            code="permission_denied",
            detail="You do not have permission to perform this action.",
        )
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Answer 404 as problem+json under /api/, Django's page elsewhere."""
    if is_api_request(request):
        return problem_response(
            status=404, code="not_found", detail=f"No API endpoint at {request.path}."
        )
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """Answer 500 (503: database down) as problem+json under /api/, Django's page elsewhere."""
    if is_api_request(request):
        if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
            response = problem_response(
                status=503, code="service_unavailable", detail=DATABASE_UNAVAILABLE_DETAIL
            )
            response["Retry-After"] = "5"
            return response
        return problem_response(
            status=500,
            code="server_error",
            detail="An unexpected error occurred. Quote the request id when reporting it.",
        )
    return defaults.server_error(request)

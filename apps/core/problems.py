"""RFC 9457 problem details: the one shape every API error is answered in.

`problem_exception_handler` is DRF's exception handler; `problem_response` builds the same body
for plain Django views (unknown URLs, 400/403/404/500 handlers) so no error escapes the format.
"""

import logging
from http import HTTPStatus
from math import ceil
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import set_rollback

from apps.core.context import get_request_id
from apps.core.errors import DomainError

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:emporium:problem:"

# Titles describe the kind of problem; they never change from one occurrence to the next.
TITLES = {
    "validation_error": "Invalid input",
    "parse_error": "Malformed request body",
    "bad_request": "Bad request",
    "request_too_large": "Request body too large",
    "not_authenticated": "Authentication required",
    "bad_authorization_header": "Malformed Authorization header",
    "authentication_failed": "Authentication failed",
    "no_active_account": "Invalid credentials",
    "token_not_valid": "Token invalid or expired",
    "permission_denied": "Permission denied",
    "not_found": "Not found",
    "method_not_allowed": "Method not allowed",
    "not_acceptable": "Not acceptable",
    "unsupported_media_type": "Unsupported media type",
    "throttled": "Too many requests",
    "server_error": "Internal server error",
    "service_unavailable": "Service unavailable",
}

# A database that cannot be reached (restart, failover) is an outage, not a bug: 503 + retry.
DATABASE_UNAVAILABLE_DETAIL = "The database is unavailable right now. Try again in a moment."


def problem_body(
    *,
    status: int,
    code: str,
    detail: str,
    title: str | None = None,
    errors: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """Return the problem+json body for one error."""
    body: dict[str, Any] = {
        "type": f"{PROBLEM_TYPE_PREFIX}{code}",
        "title": title or TITLES.get(code) or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    body["request_id"] = get_request_id()
    return body


def problem_response(
    *, status: int, code: str, detail: str, title: str | None = None
) -> JsonResponse:
    """Return a problem+json response for views outside DRF."""
    return JsonResponse(
        problem_body(status=status, code=code, detail=detail, title=title),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def _leaf(item: Any, path: str) -> dict[str, str]:
    message = " ".join(item.messages) if isinstance(item, DjangoValidationError) else str(item)
    return {
        "field": path or "non_field_errors",
        "code": getattr(item, "code", None) or "invalid",
        "detail": message,
    }


def flatten_errors(detail: Any, path: str = "") -> list[dict[str, str]]:
    """Flatten nested validation detail into `[{field, code, detail}]` with dotted paths.

    Leaves may be DRF `ErrorDetail`s, Django `ValidationError`s (their codes are kept) or strings.
    """
    if isinstance(detail, dict):
        return [
            item
            for key, value in detail.items()
            for item in flatten_errors(value, f"{path}.{key}" if path else str(key))
        ]
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return [_leaf(item, path) for item in detail]
        return [
            item
            for index, value in enumerate(detail)
            for item in flatten_errors(value, f"{path}.{index}" if path else str(index))
        ]
    return [_leaf(detail, path)]


def _summarize(errors: list[dict[str, str]]) -> str:
    first = errors[0]
    summary = (
        first["detail"]
        if first["field"] == "non_field_errors"
        else f"{first['field']}: {first['detail']}"
    )
    if len(errors) > 1:
        summary += f" (and {len(errors) - 1} more error{'s' if len(errors) > 2 else ''})"
    return summary


def _from_api_exception(exc: exceptions.APIException) -> tuple[dict[str, Any], dict[str, str]]:
    status = exc.status_code
    headers: dict[str, str] = {}
    if auth_header := getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = auth_header
    if (wait := getattr(exc, "wait", None)) is not None:
        headers["Retry-After"] = str(ceil(wait))

    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        if not errors:
            errors = [{"field": "non_field_errors", "code": "invalid", "detail": "Invalid input."}]
        body = problem_body(
            status=status, code="validation_error", detail=_summarize(errors), errors=errors
        )
        return body, headers

    detail: Any = exc.detail
    code = exc.default_code
    if isinstance(detail, dict):
        # SimpleJWT's InvalidToken carries {"detail", "code", "messages"}.
        code = str(detail.get("code") or code)
        detail = detail.get("detail", exc.default_detail)
    elif isinstance(detail, exceptions.ErrorDetail) and detail.code:
        code = detail.code
    if isinstance(exc, exceptions.ParseError):
        code = "parse_error"
    return problem_body(status=status, code=code, detail=str(detail)), headers


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """Render any exception raised in an API view as a problem+json response."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    headers: dict[str, str] = {}
    if isinstance(exc, RequestDataTooBig):
        body = problem_body(
            status=413,
            code="request_too_large",
            detail="The request body is larger than this endpoint accepts.",
        )
    elif isinstance(exc, SuspiciousOperation):
        logger.warning("Suspicious request refused: %s", exc)
        body = problem_body(status=400, code="bad_request", detail="The request is malformed.")
    elif isinstance(exc, OperationalError | InterfaceError):
        logger.error("Database unavailable: %s", exc)
        body = problem_body(
            status=503, code="service_unavailable", detail=DATABASE_UNAVAILABLE_DETAIL
        )
        headers["Retry-After"] = "5"
    elif isinstance(exc, DomainError):
        body = problem_body(
            status=exc.status,
            code=exc.code,
            title=exc.title,
            detail=exc.detail,
            errors=flatten_errors(exc.errors) if exc.errors else None,
        )
    elif isinstance(exc, exceptions.APIException):
        body, headers = _from_api_exception(exc)
    else:
        view = context.get("view")
        logger.exception(
            "Unhandled exception in %s", type(view).__name__ if view else "API view", exc_info=exc
        )
        body = problem_body(
            status=500,
            code="server_error",
            detail="An unexpected error occurred. Quote the request id when reporting it.",
        )

    set_rollback()
    request = context.get("request")
    if request is not None:
        # Problems are always JSON, whatever the view renders (HTML docs, the browsable API)
        # and even when content negotiation itself failed.
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = PROBLEM_CONTENT_TYPE
    return Response(body, status=body["status"], headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def is_api_request(request: HttpRequest) -> bool:
    """Return True when the request is for the JSON API (and must be answered as problem+json)."""
    return request.path_info.startswith("/api/")

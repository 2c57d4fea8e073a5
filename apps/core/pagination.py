"""Pagination for list endpoints: cursor-based, stable under inserts, no COUNT(*)."""

from typing import Any
from urllib.parse import urlencode

from rest_framework import pagination
from rest_framework.request import Request


class CursorPagination(pagination.CursorPagination):
    """Cursor pagination: 24 per page by default, `page_size` up to 100."""

    page_size = 24
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-created_at"


def page_body(
    request: Request,
    results: list[Any],
    *,
    next_cursor: str | None,
    previous_cursor: str | None,
) -> dict[str, Any]:
    """Return `{results, next, previous}` with links that repeat the request's other parameters."""

    def link(cursor: str | None) -> str | None:
        if cursor is None:
            return None
        params = request.query_params.copy()
        params["cursor"] = cursor
        return request.build_absolute_uri(request.path) + "?" + urlencode(params, doseq=True)

    return {"results": results, "next": link(next_cursor), "previous": link(previous_cursor)}

"""Pagination for list endpoints: cursor-based, stable under inserts, no COUNT(*)."""

from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    """Cursor pagination: 24 per page by default, `page_size` up to 100."""

    page_size = 24
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-created_at"

"""Cursor pagination: default page size, a client-chosen size, and its ceiling."""

import pytest
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from apps.core.pagination import CursorPagination
from apps.users.models import User
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class _UserPagination(CursorPagination):
    ordering = "-date_joined"


def _page(query: str) -> tuple[list[User], str | None]:
    request = Request(APIRequestFactory().get(f"/api/v1/users/{query}"))
    paginator = _UserPagination()
    page = paginator.paginate_queryset(User.objects.all(), request)
    return list(page or []), paginator.get_next_link()


def test_pages_default_to_24_and_clients_may_ask_up_to_100():
    UserFactory.create_batch(105)
    page, next_link = _page("")
    assert len(page) == 24
    assert next_link is not None
    assert "cursor=" in next_link
    assert len(_page("?page_size=50")[0]) == 50
    assert len(_page("?page_size=1000")[0]) == 100


def test_following_the_cursor_walks_every_row_once():
    created = {u.pk for u in UserFactory.create_batch(30)}
    seen: list[User] = []
    query = "?page_size=7"
    while True:
        page, next_link = _page(query)
        seen.extend(page)
        if next_link is None:
            break
        query = "?" + next_link.split("?", 1)[1]
    assert [u.pk for u in seen] == [u.pk for u in User.objects.order_by("-date_joined")]
    assert {u.pk for u in seen} == created

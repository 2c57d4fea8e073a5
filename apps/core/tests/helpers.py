"""Assertions shared by the API tests of every app."""

from typing import Any

from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from apps.core.problems import PROBLEM_CONTENT_TYPE
from apps.users.models import User


def client_for(user: User) -> APIClient:
    """Return an API client sending a valid JWT access token for `user`."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


def assert_problem(response: Any, status: int, code: str, *, field: str | None = None) -> dict:
    """Assert a complete problem+json answer; with `field`, that a field error names it."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    body = response.json()
    assert body["type"] == f"urn:emporium:problem:{code}"
    assert body["status"] == status
    assert body["code"] == code
    assert body["title"]
    assert body["detail"]
    assert body["request_id"] == response["X-Request-ID"]
    if field is not None:
        assert field in [error["field"] for error in body["errors"]], body
    return body

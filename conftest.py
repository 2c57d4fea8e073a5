"""Fixtures shared by every test: API clients, users, a clean cache per test."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.test import override_settings
from rest_framework.test import APIClient

from apps.catalog.cache import process_responses
from apps.core.tests.helpers import client_for
from apps.users.models import User
from apps.users.tests.factories import UserFactory


@pytest.fixture(autouse=True, scope="session")
def _media_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Store uploaded files in a temporary folder, never in the repository's media/.

    One folder for the session, so the demo's picture pool is drawn once; tests that look at
    what was stored give themselves an empty one (the `settings` fixture).
    """
    with override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("media"))):
        yield


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    """Give the test an empty MEDIA_ROOT of its own, to look at what was stored; return it."""
    root = tmp_path / "media"
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    """Start every test with an empty cache (throttles, claims and presence live there)."""
    cache.clear()
    process_responses.clear()  # frozen clocks could start the same catalog version again
    yield
    cache.clear()
    process_responses.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db: None) -> User:
    return UserFactory.create()


@pytest.fixture
def auth_client(user: User) -> APIClient:
    """An API client sending a valid JWT access token for `user`."""
    return client_for(user)

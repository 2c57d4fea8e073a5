"""Production database connections (persistent, pool, PgBouncer) and what an outage answers."""

import json
from typing import Any
from unittest import mock

import pytest
from django.db import InterfaceError, OperationalError
from django.test import RequestFactory

from apps.core import doctor, views
from apps.core.tests.helpers import assert_problem, client_for
from apps.core.tests.settings_probe import PRODUCTION_ENV, run_with_settings
from apps.users.models import User


def production_database(**env: str) -> dict[str, Any]:
    """Return DATABASES["default"] as production settings build it from this environment."""
    result = run_with_settings(
        "config.settings.production",
        {**PRODUCTION_ENV, **env},
        "import json; from django.conf import settings; "
        "print(json.dumps(settings.DATABASES['default'], default=str))",
    )
    assert result.returncode == 0, result.stderr
    database: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return database


def test_by_default_each_process_keeps_one_checked_connection() -> None:
    database = production_database()
    assert database["CONN_MAX_AGE"] == 60
    assert database["CONN_HEALTH_CHECKS"] is True
    assert "pool" not in database["OPTIONS"]
    assert not database.get("DISABLE_SERVER_SIDE_CURSORS")
    assert doctor.database_pooling(database)[0]


def test_the_pool_replaces_persistent_connections() -> None:
    database = production_database(DB_POOL="true", DB_POOL_MAX_SIZE="4")
    assert database["CONN_MAX_AGE"] == 0  # Django refuses a pool with persistent connections
    assert database["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 4, "timeout": 10}
    assert "statement_timeout" in database["OPTIONS"]["options"]
    assert doctor.database_pooling(database) == (True, "psycopg connection pool")


def test_behind_pgbouncer_nothing_outlives_a_transaction(settings: Any) -> None:
    database = production_database(DB_BEHIND_PGBOUNCER="true", DB_POOL="true")
    assert database["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert database["CONN_MAX_AGE"] == 0
    # No Django pool on top of PgBouncer's, and no startup parameter PgBouncer would refuse.
    assert database["OPTIONS"] == {}
    settings.DB_BEHIND_PGBOUNCER = True
    assert doctor.database_pooling(database) == (True, "PgBouncer (transaction pooling)")


@pytest.mark.parametrize("max_age", ["0", "120"])
def test_behind_pgbouncer_client_connections_may_still_be_kept(max_age: str) -> None:
    database = production_database(DB_BEHIND_PGBOUNCER="true", CONN_MAX_AGE=max_age)
    assert database["CONN_MAX_AGE"] == int(max_age)


# --- A database that cannot be reached is an outage (503), never a bug (500) ----------------


@pytest.mark.django_db
@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_an_api_request_during_a_database_outage_is_a_503_problem(
    user: User, error: type[Exception]
) -> None:
    with mock.patch(
        "rest_framework_simplejwt.authentication.JWTAuthentication.get_user",
        side_effect=error("connection refused"),
    ):
        response = client_for(user).get("/api/v1/orders/")
    body = assert_problem(response, 503, "service_unavailable")
    assert response["Retry-After"] == "5"
    assert "connection refused" not in body["detail"]  # no internals in the answer


def test_an_outage_outside_drf_views_is_a_503_problem_under_api() -> None:
    request = RequestFactory().get("/api/v1/anything/")
    try:
        raise OperationalError("the database system is shutting down")
    except OperationalError:
        response = views.server_error(request)
    assert response.status_code == 503
    assert json.loads(response.content)["code"] == "service_unavailable"


def test_other_server_errors_stay_500() -> None:
    request = RequestFactory().get("/api/v1/anything/")
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        response = views.server_error(request)
    assert response.status_code == 500

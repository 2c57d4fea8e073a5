"""Every API error is an RFC 9457 problem+json body with a stable code and the request id."""

import logging

import pytest
from django.test import Client
from rest_framework.test import APIClient

from apps.core.problems import flatten_errors
from apps.core.tests.helpers import assert_problem

pytestmark = [pytest.mark.django_db, pytest.mark.urls("apps.core.tests.urls")]


def test_unexpected_exception_is_a_500_problem_without_internals(caplog):
    client = APIClient(raise_request_exception=False)
    with caplog.at_level(logging.ERROR):
        response = client.get("/api/test/boom/")
    body = assert_problem(response, 500, "server_error")
    assert "hunter2" not in response.content.decode()
    assert "RuntimeError" not in response.content.decode()
    assert "request id" in body["detail"]
    record = next(r for r in caplog.records if r.name == "apps.core.problems")
    assert record.exc_info is not None
    assert "hunter2" in str(record.exc_info[1])  # the traceback is in the log, not the body
    assert record.request_id == body["request_id"]


def test_unexpected_exception_in_a_plain_view_under_api_is_a_problem():
    response = Client(raise_request_exception=False).get("/api/test/plain-boom/")
    assert_problem(response, 500, "server_error")


def test_unexpected_exception_outside_api_is_an_html_page():
    response = Client(raise_request_exception=False).get("/plain-boom/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")


def test_domain_error_carries_its_code_title_and_field_errors():
    body = assert_problem(APIClient().get("/api/test/domain/"), 409, "out_of_stock")
    assert body["title"] == "Out of stock"
    assert body["detail"] == "Only 2 of SKU-1 are available."
    assert body["errors"] == [{"field": "quantity", "code": "invalid", "detail": "Max 2."}]


def test_nested_validation_errors_are_flattened_with_dotted_paths():
    response = APIClient().post(
        "/api/test/nested/",
        {"email": "nope", "lines": [{"sku": "A", "quantity": 1}, {"quantity": 0}]},
        format="json",
    )
    body = assert_problem(response, 400, "validation_error")
    fields = {(e["field"], e["code"]) for e in body["errors"]}
    assert fields == {
        ("email", "invalid"),
        ("lines.1.sku", "required"),
        ("lines.1.quantity", "min_value"),
    }
    assert body["detail"].startswith("email: Enter a valid email address.")
    assert body["detail"].endswith("(and 2 more errors)")


def test_non_field_errors_are_named_as_such():
    response = APIClient().post("/api/test/nested/", [1, 2], format="json")
    body = assert_problem(response, 400, "validation_error")
    assert body["errors"][0]["field"] == "non_field_errors"


def test_flatten_errors_handles_plain_strings_and_scalars():
    assert flatten_errors({"a": ["x"], "b": {"c": "y"}}) == [
        {"field": "a", "code": "invalid", "detail": "x"},
        {"field": "b.c", "code": "invalid", "detail": "y"},
    ]
    assert flatten_errors("boom") == [
        {"field": "non_field_errors", "code": "invalid", "detail": "boom"}
    ]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code"),
    [
        ("get", "/api/v1/does-not-exist/", {}, 404, "not_found"),
        ("post", "/api/v2/users/me/", {}, 404, "not_found"),
        ("delete", "/api/", {}, 404, "not_found"),
        ("put", "/api/v1/auth/token/", {}, 405, "method_not_allowed"),
        (
            "post",
            "/api/v1/auth/token/",
            {"data": "{not json", "content_type": "application/json"},
            400,
            "parse_error",
        ),
        (
            "post",
            "/api/v1/auth/token/",
            {"data": "<xml/>", "content_type": "application/xml"},
            415,
            "unsupported_media_type",
        ),
        ("get", "/api/v1/users/me/", {}, 401, "not_authenticated"),
        (
            "get",
            "/api/v1/users/me/",
            {"HTTP_AUTHORIZATION": "Bearer not-a-token"},
            401,
            "token_not_valid",
        ),
        ("get", "/api/v1/users/me/", {"HTTP_ACCEPT": "text/csv"}, 406, "not_acceptable"),
    ],
)
def test_framework_errors_are_problems(method, path, kwargs, status, code):
    response = getattr(APIClient(), method)(path, **kwargs)
    body = assert_problem(response, status, code)
    assert body["detail"]


def test_unauthenticated_answer_names_the_scheme():
    response = APIClient().get("/api/v1/users/me/")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_missing_trailing_slash_is_hinted():
    body = assert_problem(APIClient().get("/api/v1/users/me"), 404, "not_found")
    assert "Did you mean /api/v1/users/me/" in body["detail"]


def test_throttled_answer_is_a_problem_with_retry_after(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "anon": "2/min",
        },
    }
    client = APIClient()
    for _ in range(2):
        assert client.post("/api/v1/auth/token/", {}).status_code == 400
    response = client.post("/api/v1/auth/token/", {})
    body = assert_problem(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
    assert "throttled" in body["detail"].lower()


def test_non_api_404_stays_html():
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_body_over_the_upload_limit_is_a_413_problem(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = APIClient().post(
        "/api/v1/auth/token/",
        data='{"email": "a@example.com", "password": "' + "x" * 2048 + '"}',
        content_type="application/json",
    )
    assert_problem(response, 413, "request_too_large")


def test_a_problem_is_json_even_from_an_html_view():
    response = APIClient().get("/api/docs/", HTTP_ACCEPT="application/json")
    body = assert_problem(response, 406, "not_acceptable")
    assert body["detail"]


def test_plain_django_views_under_api_answer_403_and_400_as_problems():
    client = Client()
    assert_problem(client.get("/api/test/plain-forbidden/"), 403, "permission_denied")
    assert_problem(client.get("/api/test/plain-suspicious/"), 400, "bad_request")


def test_plain_django_views_elsewhere_keep_html_error_pages():
    response = Client().get("/plain-forbidden/")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")


def test_a_disallowed_host_on_an_api_path_is_a_400_problem():
    response = Client().get("/api/v1/users/me/", HTTP_HOST="evil.example.com")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"

"""The OpenAPI schema builds without warnings and documents every API route."""

import io
import re

import pytest
import yaml
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db


def test_schema_generates_without_warnings_and_lists_the_endpoints():
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    schema = yaml.safe_load(out.getvalue())
    assert schema["info"]["title"] == "Emporium API"
    assert {
        "/api/v1/auth/register/",
        "/api/v1/auth/token/",
        "/api/v1/auth/token/refresh/",
        "/api/v1/auth/logout/",
        "/api/v1/auth/password/reset/",
        "/api/v1/auth/password/reset/confirm/",
        "/api/v1/users/me/",
        "/api/v1/users/me/password/",
    } <= set(schema["paths"])
    assert not any(path.startswith("/api/{") for path in schema["paths"])


def test_every_operation_documents_the_problem_error_body():
    out = io.StringIO()
    call_command("spectacular", stdout=out)
    schema = yaml.safe_load(out.getvalue())
    assert schema["components"]["schemas"]["Problem"]["required"] == [
        "type",
        "title",
        "status",
        "detail",
        "code",
        "request_id",
    ]
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            default = operation["responses"]["default"]
            assert "application/problem+json" in default["content"], (path, method)


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/", "/api/redoc/"])
def test_docs_are_served(path):
    assert Client().get(path).status_code == 200


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_the_api_docs_say_their_language_and_load_nothing_from_other_hosts(path):
    body = Client().get(path).content.decode()

    assert '<html lang="en">' in body
    assert not re.search(r'(src|href)="https?://', body), "a resource from another host"

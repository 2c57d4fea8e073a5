"""Security headers as production sends them: HSTS, CSP, nosniff, referrer policy, cookies."""

from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory, override_settings

# What config.settings.production sets (behind the TLS-terminating proxy).
PRODUCTION = {
    "DEBUG": False,
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    "SECURE_SSL_REDIRECT": True,
    "SECURE_REDIRECT_EXEMPT": [r"^healthz$", r"^readyz$", r"^metrics$"],
    "SECURE_HSTS_SECONDS": 31536000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_HSTS_PRELOAD": True,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "CSRF_COOKIE_SAMESITE": "Lax",
}

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("production_like")]


@pytest.fixture
def production_like() -> Any:
    with override_settings(**PRODUCTION):
        yield


def https_get(path: str, client: Client | None = None) -> Any:
    return (client or Client()).get(path, headers={"X-Forwarded-Proto": "https"})


def directives(response: Any) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    parts = [part.strip().split() for part in policy.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


@pytest.mark.parametrize("path", ["/version", "/healthz", "/api/v1/products/", "/api/v1/nope/"])
def test_every_answer_carries_the_security_headers(path: str) -> None:
    response = https_get(path)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" in response


def test_the_policy_allows_only_our_own_scripts() -> None:
    policy = directives(https_get("/api/v1/products/"))
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert not any("unsafe" in source for sources in policy.values() for source in sources)


def test_the_admin_login_page_is_under_the_policy() -> None:
    response = https_get(f"/{settings.ADMIN_URL}login/")
    assert response.status_code == 200
    assert directives(response)["script-src"] == ["'self'"]


@pytest.mark.parametrize(
    ("path", "marker"), [("/api/docs/", b"swagger-ui"), ("/api/redoc/", b"redoc")]
)
def test_the_api_documentation_pages_still_work(path: str, marker: bytes) -> None:
    # Their sidecar templates start the viewer with inline script: no policy on these two.
    response = https_get(path)
    assert response.status_code == 200
    assert marker in response.content.lower()
    assert b"<script>" in response.content or b"<script " in response.content
    assert "Content-Security-Policy" not in response
    assert response["X-Content-Type-Options"] == "nosniff"


def test_plain_http_is_redirected_to_https() -> None:
    response = Client().get("/api/v1/products/")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


def test_probes_answer_over_plain_http() -> None:
    # Kubernetes and the load balancer probe the pod directly, without TLS.
    assert Client().get("/healthz").status_code == 200


def test_the_csrf_cookie_is_secure_httponly_and_samesite() -> None:
    csrf = https_get(f"/{settings.ADMIN_URL}login/").cookies["csrftoken"]
    assert csrf["secure"]
    assert csrf["httponly"]
    assert csrf["samesite"] == "Lax"


def test_the_session_cookie_is_secure_httponly_and_samesite() -> None:
    def view(request: HttpRequest) -> HttpResponse:
        request.session["seen"] = True
        return HttpResponse("ok")

    request = RequestFactory().get("/", secure=True)
    response = SessionMiddleware(view)(request)
    assert isinstance(response, HttpResponse)
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["secure"]
    assert session["httponly"]
    assert session["samesite"] == "Lax"

"""The sandbox's webhook delivery over HTTP, to a local server started by the test."""

import json
import socket
import threading
import urllib.error
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from apps.payments.gateways.sandbox import SIGNATURE_HEADER
from apps.payments.gateways.signing import verify
from apps.payments.tasks import DELIVERY_ERRORS, deliver_sandbox_webhook
from apps.payments.tests.helpers import event


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Recorder:
    url: str
    answer: int = 200
    requests: list[Received] = field(default_factory=list)


@pytest.fixture
def server() -> Iterator[Recorder]:
    """An HTTP server on 127.0.0.1 (free port) that records each POST and answers `answer`."""
    recorder = Recorder(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            recorder.requests.append(
                Received(self.path, dict(self.headers.items()), self.rfile.read(length))
            )
            self.send_response(recorder.answer)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    recorder.url = f"http://127.0.0.1:{httpd.server_address[1]}/hooks/sandbox/"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield recorder
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def test_the_event_is_posted_with_a_valid_signature(server: Recorder) -> None:
    body = event("payment.succeeded", intent_id="pi_sbx_1", amount="19.99")
    with override_settings(SANDBOX_WEBHOOK_URL=server.url):
        assert deliver_sandbox_webhook(body) == 200

    assert len(server.requests) == 1
    request = server.requests[0]
    assert request.path == "/hooks/sandbox/"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.body) == body
    assert verify(
        request.body,
        request.headers[SIGNATURE_HEADER],
        secret=settings.SANDBOX_WEBHOOK_SECRET,
        tolerance=settings.WEBHOOK_TOLERANCE_SECONDS,
    )
    assert not verify(
        request.body,
        request.headers[SIGNATURE_HEADER],
        secret="another-secret",
        tolerance=settings.WEBHOOK_TOLERANCE_SECONDS,
    )


def test_a_server_error_raises_so_celery_retries(server: Recorder) -> None:
    server.answer = 500
    body = event("payment.succeeded", intent_id="pi_sbx_1", amount="19.99")
    with (
        override_settings(SANDBOX_WEBHOOK_URL=server.url),
        pytest.raises(urllib.error.HTTPError) as raised,
    ):
        deliver_sandbox_webhook(body)
    assert raised.value.code == 500
    assert isinstance(raised.value, DELIVERY_ERRORS)
    assert len(server.requests) == 1
    assert getattr(deliver_sandbox_webhook, "autoretry_for", None) == DELIVERY_ERRORS


def test_an_unreachable_url_raises_a_retried_error() -> None:
    with socket.socket() as sock:  # a port nothing listens on once it is closed
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    body = event("payment.succeeded", intent_id="pi_sbx_1", amount="19.99")
    with override_settings(SANDBOX_WEBHOOK_URL=url), pytest.raises(DELIVERY_ERRORS):
        deliver_sandbox_webhook(body)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/hooks", "127.0.0.1:8000/"])
def test_a_url_that_is_not_http_is_refused_before_anything_is_opened(url: str) -> None:
    body = event("payment.succeeded", intent_id="pi_sbx_1", amount="19.99")
    with (
        override_settings(SANDBOX_WEBHOOK_URL=url),
        pytest.raises(ImproperlyConfigured, match="must be an http"),
        mock.patch("urllib.request.urlopen") as urlopen,
    ):
        deliver_sandbox_webhook(body)
    urlopen.assert_not_called()
    assert not isinstance(ImproperlyConfigured(), DELIVERY_ERRORS)  # so Celery does not retry it

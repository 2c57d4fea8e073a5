"""Request ids and timing: accepted or generated, echoed, logged, and carried into tasks."""

import json
import logging

import pytest
from django.test import Client
from pythonjsonlogger.json import JsonFormatter

from apps.core.celery_signals import add_request_id_header, bind_request_id, unbind_request_id
from apps.core.context import get_request_id, request_id_var
from apps.core.logging import RequestContextFilter, build_logging_config

pytestmark = pytest.mark.django_db


def test_a_valid_incoming_request_id_is_kept():
    response = Client().get("/healthz", HTTP_X_REQUEST_ID="proxy-id-12345678")
    assert response["X-Request-ID"] == "proxy-id-12345678"


@pytest.mark.parametrize("bad", ["short", "has spaces in it!", "x" * 200, "line\nbreak-123456"])
def test_an_invalid_incoming_request_id_is_replaced(bad):
    response = Client().get("/healthz", HTTP_X_REQUEST_ID=bad)
    assert response["X-Request-ID"] != bad
    assert len(response["X-Request-ID"]) == 32


def test_each_request_gets_its_own_id_and_the_context_is_reset():
    client = Client()
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert first != second
    assert get_request_id() is None


def test_server_timing_header_and_access_log_line(caplog, user):
    client = Client()
    client.force_login(user)
    with caplog.at_level(logging.INFO, logger="emporium.access"):
        response = client.get("/version", HTTP_X_REQUEST_ID="timing-test-0001")
    assert response["Server-Timing"].startswith("app;dur=")
    [record] = [r for r in caplog.records if r.name == "emporium.access"]
    assert record.method == "GET"
    assert record.path == "/version"
    assert record.status == 200
    assert record.duration_ms >= 0
    assert record.user_id == str(user.pk)
    assert record.request_id == "timing-test-0001"


def test_json_log_lines_carry_the_request_context(capsys):
    config = build_logging_config(level="INFO", fmt="json")
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter(config["formatters"]["json"]["format"]))
    handler.addFilter(RequestContextFilter())
    logger = logging.getLogger("emporium.test.json")
    logger.addHandler(handler)
    logger.propagate = False
    token = request_id_var.set("json-log-test-01")
    try:
        logger.warning("hello", extra={"order": "EMP-1"})
    finally:
        request_id_var.reset(token)
        logger.removeHandler(handler)
    line = json.loads(capsys.readouterr().err.strip())
    assert line["message"] == "hello"
    assert line["request_id"] == "json-log-test-01"
    assert line["order"] == "EMP-1"


def test_unknown_log_format_is_refused():
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        build_logging_config(level="INFO", fmt="xml")


class _FakeRequest:
    def __init__(self, **attrs):
        self.__dict__.update(attrs)


class _FakeTask:
    def __init__(self, **attrs):
        self.request = _FakeRequest(**attrs)


def test_task_messages_carry_the_enqueuing_request_id():
    headers: dict = {}
    token = request_id_var.set("enqueue-req-0001")
    try:
        add_request_id_header(headers=headers)
    finally:
        request_id_var.reset(token)
    assert headers == {"request_id": "enqueue-req-0001"}


def test_a_task_logs_under_its_request_id_and_restores_the_previous_one():
    task = _FakeTask(request_id=None, headers={"request_id": "from-header-0001"})
    bind_request_id(task=task, task_id="task-id")
    assert get_request_id() == "from-header-0001"
    unbind_request_id(task=task)
    assert get_request_id() is None


def test_a_task_without_a_request_id_logs_under_its_task_id():
    task = _FakeTask(request_id=None, headers=None)
    bind_request_id(task=task, task_id="task-id-0001")
    assert get_request_id() == "task-id-0001"
    unbind_request_id(task=task)
    assert get_request_id() is None

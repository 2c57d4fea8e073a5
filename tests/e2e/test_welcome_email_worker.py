"""Register through the API and see the welcome e-mail delivered by a real Celery worker."""

from typing import Any

import pytest
from celery.signals import after_task_publish
from rest_framework.test import APIClient

from apps.users.models import User
from tests.e2e.conftest import WorkerProcess, task_result

pytestmark = pytest.mark.e2e


def test_registration_welcome_email_is_sent_by_a_real_worker(celery_worker: WorkerProcess):
    published: list[tuple[str, str]] = []

    def record(sender: str | None = None, headers: dict[str, Any] | None = None, **_: Any) -> None:
        if headers:
            published.append((str(sender), headers["id"]))

    after_task_publish.connect(record, weak=False)
    try:
        response = APIClient().post(
            "/api/v1/auth/register/",
            {
                "email": "Worker.Test@Example.com",
                "full_name": "Wanda Worker",
                "password": "a-long-and-unusual-passphrase",
                "password_confirm": "a-long-and-unusual-passphrase",
            },
            format="json",
            HTTP_X_REQUEST_ID="e2e-request-0001",
        )
    finally:
        after_task_publish.disconnect(record)

    assert response.status_code == 201, response.content
    assert [name for name, _ in published] == ["users.send_welcome_email"]

    # Block until the worker reports the task done (bounded; no sleeping).
    result = task_result(published[0][1])
    assert result is True, celery_worker.log()

    user = User.objects.get(email="worker.test@example.com")
    assert user.welcome_email_sent_at is not None

    messages = list(celery_worker.mail_dir.iterdir())
    assert len(messages) == 1, celery_worker.log()
    body = messages[0].read_text()
    assert "Subject: Welcome to Emporium" in body
    assert "To: worker.test@example.com" in body
    assert "Hello Wanda," in body

    # The request id of the API call travelled with the task into the worker's logs.
    assert "[e2e-request-0001]" in celery_worker.log()

"""A real Celery worker process, consuming from the real broker, for end-to-end tests."""

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from celery.result import AsyncResult
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class WorkerProcess:
    process: subprocess.Popen[bytes]
    log_path: Path
    mail_dir: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _require_real_services() -> None:
    reasons = []
    if connection.vendor != "postgresql":
        reasons.append("the test database is not PostgreSQL (set DATABASE_URL)")
    if not settings.CELERY_BROKER_URL.startswith(("redis://", "amqp://")):
        reasons.append("no broker (set CELERY_BROKER_URL or REDIS_URL)")
    if not settings.REDIS_URL:
        reasons.append("no Redis (set REDIS_URL)")
    if reasons:
        message = "real-worker tests need real services: " + "; ".join(reasons)
        if settings.REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)


def _database_url() -> str:
    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


def start_worker(directory: Path, **extra_env: str) -> WorkerProcess:
    """Start one `celery worker` process against the test database and broker."""
    mail_dir = directory / "mail"
    mail_dir.mkdir(parents=True)
    log_path = directory / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        **extra_env,
    }
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "--app=config",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    return WorkerProcess(process=process, log_path=log_path, mail_dir=mail_dir)


def stop_worker(worker: WorkerProcess) -> None:
    """Warm shutdown (SIGTERM: the task in hand finishes first), then kill if it hangs."""
    if worker.process.poll() is not None:
        return
    worker.process.send_signal(signal.SIGTERM)
    try:
        worker.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.process.kill()
        worker.process.wait(timeout=10)


@pytest.fixture
def non_eager(transactional_db: None) -> Iterator[None]:
    """Publish tasks to the real broker (nothing left over from earlier runs) instead of eagerly."""
    _require_real_services()
    celery_app.control.purge()
    was_eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = was_eager


@pytest.fixture
def worker_env() -> dict[str, str]:
    """Extra environment for the worker process (a test overrides it to point at a server)."""
    return {}


@pytest.fixture
def celery_worker(
    non_eager: None, tmp_path: Path, worker_env: dict[str, str]
) -> Iterator[WorkerProcess]:
    """A worker consuming what the test publishes."""
    worker = start_worker(tmp_path / "worker", **worker_env)
    try:
        yield worker
    finally:
        stop_worker(worker)


@dataclass
class PublishedTasks:
    """Task ids published from this process (the test and the live server's threads)."""

    ids: dict[str, list[str]]

    def of(self, name: str) -> list[str]:
        return self.ids.get(name, [])


@pytest.fixture
def published_tasks() -> Iterator[PublishedTasks]:
    """Record every task message published while the test runs, by task name."""
    from celery.signals import after_task_publish

    record = PublishedTasks(ids={})

    def on_publish(
        sender: str | None = None, headers: dict[str, Any] | None = None, **_: Any
    ) -> None:
        if headers:
            record.ids.setdefault(str(sender), []).append(headers["id"])

    after_task_publish.connect(on_publish, weak=False)
    try:
        yield record
    finally:
        after_task_publish.disconnect(on_publish)


def task_result(task_id: str, *, timeout: float = 60) -> object:
    """Block (bounded) until a real worker reports the task's result, and return it."""
    # Tasks run eagerly earlier in this test process leave Celery believing it is inside a
    # task, where blocking on a result is refused; this process is not a worker.
    return AsyncResult(task_id).get(timeout=timeout, disable_sync_subtasks=False)

"""Helpers for tests that prove behaviour under real concurrency (threads on PostgreSQL)."""

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

import pytest
from django.conf import settings
from django.db import connection

T = TypeVar("T")
TIMEOUT = 60


def require_postgresql() -> None:
    """Skip without PostgreSQL (SQLite serialises writers); fail when real services are required."""
    if connection.vendor != "postgresql":
        if settings.REQUIRE_SERVICES:
            pytest.fail(
                "concurrency tests need PostgreSQL (set DATABASE_URL); "
                f"the test database is {connection.vendor}"
            )
        pytest.skip("needs PostgreSQL")


def run_at_once(tasks: Sequence[Callable[[], T]], *, timeout: float = TIMEOUT) -> list[T]:
    """Run each task in a thread of its own, all released together; return results in order.

    Each thread uses its own database connection and closes it when done. Exceptions raised in
    a thread are collected and fail the test with the thread's index, never lost.
    """
    barrier = threading.Barrier(len(tasks))
    results: dict[int, T] = {}
    errors: dict[int, BaseException] = {}

    def work(index: int, task: Callable[[], T]) -> None:
        try:
            barrier.wait(timeout=timeout)
            results[index] = task()
        except BaseException as exc:
            errors[index] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=work, args=(index, task), name=f"concurrent-{index}", daemon=True)
        for index, task in enumerate(tasks)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    stuck = [thread.name for thread in threads if thread.is_alive()]
    assert not stuck, f"threads still running after {timeout} s: {stuck}"
    assert not errors, "unexpected exceptions in threads: " + "; ".join(
        f"#{index}: {exc!r}" for index, exc in sorted(errors.items())
    )
    return [results[index] for index in range(len(tasks))]

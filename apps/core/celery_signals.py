"""Carry the request id from the request that enqueues a task into that task's logs."""

from typing import Any

from celery.signals import before_task_publish, task_postrun, task_prerun

from apps.core.context import get_request_id, request_id_var

_RESET_ATTR = "_emporium_request_id_token"


@before_task_publish.connect
def add_request_id_header(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """Stamp the outgoing task message with the current request id."""
    request_id = get_request_id()
    if headers is not None and request_id and "request_id" not in headers:
        headers["request_id"] = request_id


@task_prerun.connect
def bind_request_id(task: Any = None, task_id: str | None = None, **_: Any) -> None:
    """Make the enqueuing request's id (or the task id) the request id of the task's logs."""
    if task is None:
        return
    headers = getattr(task.request, "headers", None) or {}
    request_id = (
        getattr(task.request, "request_id", None)
        or headers.get("request_id")
        or get_request_id()
        or task_id
    )
    setattr(task.request, _RESET_ATTR, request_id_var.set(request_id))


@task_postrun.connect
def unbind_request_id(task: Any = None, **_: Any) -> None:
    """Restore the request id that was current before the task ran."""
    token = getattr(task.request, _RESET_ATTR, None) if task is not None else None
    if token is not None:
        request_id_var.reset(token)

"""Per-request context (request id, user id) shared by logs and the tasks a request enqueues."""

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
user_id_var: ContextVar[str | None] = ContextVar("user_id", default=None)


def get_request_id() -> str | None:
    """Return the id of the request (or task) being handled, if any."""
    return request_id_var.get()

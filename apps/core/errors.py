"""Domain errors: the exceptions services raise, each with a stable machine-readable code.

The API's exception handler turns them into problem+json answers; services never build HTTP
responses themselves.
"""

from typing import Any


class DomainError(Exception):
    """A business rule refused the operation; the client can correct it."""

    code = "domain_error"
    title = "The request could not be completed"
    status = 400

    def __init__(self, detail: str | None = None, *, errors: dict[str, Any] | None = None) -> None:
        self.detail = detail or self.title
        self.errors = errors
        super().__init__(self.detail)


class NotFound(DomainError):
    """The object the operation needs does not exist (or is not the caller's)."""

    code = "not_found"
    title = "Not found"
    status = 404


class Conflict(DomainError):
    """The operation conflicts with the current state of the resource."""

    code = "conflict"
    title = "Conflict"
    status = 409


class InvalidTransition(Conflict):
    """A state machine was asked for a transition it does not allow."""

    code = "invalid_transition"
    title = "Invalid state transition"


class OutOfStock(Conflict):
    """Not enough stock for the requested quantity."""

    code = "out_of_stock"
    title = "Out of stock"


class IdempotencyConflict(DomainError):
    """An idempotency key was reused with a different request."""

    code = "idempotency_conflict"
    title = "Idempotency key reused with a different request"
    status = 422


class InvalidToken(DomainError):
    """A one-time token (e.g. for a password reset) is invalid or expired."""

    code = "invalid_token"
    title = "Invalid or expired token"
    status = 400

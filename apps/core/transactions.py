"""Transaction helpers shared by the services."""

from contextlib import AbstractContextManager, nullcontext

from django.db import connection, transaction


def joined_atomic() -> AbstractContextManager[object]:
    """Return a context that runs in the caller's transaction if there is one, else a new one.

    For a service that raises every refusal before its first write, so it needs no savepoint
    (two statements) of its own: a refused call leaves the caller's transaction as it was.
    """
    return nullcontext() if connection.in_atomic_block else transaction.atomic()

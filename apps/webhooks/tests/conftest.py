"""Fixtures of the webhook tests: a real receiver on 127.0.0.1 and endpoints pointing at it."""

from collections.abc import Iterator
from typing import Any

import pytest

from apps.webhooks import services
from apps.webhooks.models import EventType, WebhookEndpoint
from apps.webhooks.tests.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def make_endpoint(receiver: Receiver, db: None) -> Any:
    """Register an endpoint at the receiver (a path of its own per name), for `event_types`."""

    def make(
        name: str = "main", event_types: list[str] | None = None, **fields: Any
    ) -> WebhookEndpoint:
        return services.create_endpoint(
            url=f"{receiver.url}/{name}",
            event_types=event_types or list(EventType.values),
            **fields,
        )

    return make

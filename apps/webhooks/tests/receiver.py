"""A real webhook receiver on 127.0.0.1 for the tests: a small threaded HTTP server that
records every request, verifies signatures the way docs/api.md tells receivers to, and can be
told to fail, redirect or hold requests.
"""

import hashlib
import hmac
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def verify_signature(body: bytes, header: str, *, secret: str, tolerance: int = 300) -> bool:
    """Return True when `header` (Emporium-Signature) signs `body` with `secret`, recently."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    timestamp, given = parts.get("t", ""), parts.get("v1", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), given)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)

    @property
    def event_id(self) -> str:
        return self.headers["Emporium-Event-Id"]


@dataclass
class Answer:
    status: int = 200
    body: bytes = b'{"ok": true}'
    headers: dict[str, str] = field(default_factory=dict)
    hold: threading.Event | None = None  # wait for this before answering


class Receiver:
    """Record requests; answer 200 unless told otherwise for the next ones."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.events: dict[str, Received] = {}  # deduplicated by event id, as receivers must
        self._answers: deque[Answer] = deque()
        self._changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                received = Received(self.path, dict(self.headers.items()), self.rfile.read(length))
                with receiver._changed:
                    receiver.requests.append(received)
                    if "Emporium-Event-Id" in received.headers:
                        receiver.events.setdefault(received.event_id, received)
                    answer = receiver._answers.popleft() if receiver._answers else Answer()
                    receiver._changed.notify_all()
                if answer.hold is not None:
                    answer.hold.wait(timeout=60)
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                except OSError:
                    pass  # the sender is gone (a killed worker, a timeout)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/hooks"

    def start(self) -> "Receiver":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer_next(self, *answers: Answer) -> None:
        """Answer the next requests so, in order (then 200 again)."""
        with self._changed:
            self._answers.extend(answers)

    def fail_next(self, times: int, *, status: int = 500, body: bytes = b"down") -> None:
        self.answer_next(*(Answer(status=status, body=body) for _ in range(times)))

    def hold_next(self) -> threading.Event:
        """Hold the next request unanswered until the returned event is set."""
        release = threading.Event()
        self.answer_next(Answer(hold=release))
        return release

    def wait_for(self, condition: Any, *, timeout: float = 30, what: str = "requests") -> None:
        """Block (bounded) until `condition(self)` holds, woken by each request."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"timed out waiting for {what}; got {len(self.requests)} requests"
                    )
                self._changed.wait(timeout=left)

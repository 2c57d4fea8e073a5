"""Webhook signatures: HMAC-SHA256 over "<timestamp>.<raw body>", with a tolerance window.

The header looks like `t=1700000000,v1=<hex digest>` (the scheme Stripe uses too).
"""

import hashlib
import hmac
import time


def sign(body: bytes, *, secret: str, timestamp: int | None = None) -> str:
    """Return the signature header value for `body`."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(body: bytes, header: str | None, *, secret: str, tolerance: int) -> bool:
    """Return True when `header` signs `body` with `secret` within `tolerance` seconds."""
    if not header:
        return False
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = sign(body, secret=secret, timestamp=timestamp).split("v1=", 1)[1]
    given = parts.get("v1", "").encode("utf-8", "surrogateescape")  # headers may be any bytes
    return hmac.compare_digest(expected.encode(), given)

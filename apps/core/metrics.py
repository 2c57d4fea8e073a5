"""Business counters for Prometheus, and who may read /metrics.

The counters are defined here once; services increment them with one line. With several
gunicorn workers, set PROMETHEUS_MULTIPROC_DIR (an empty directory, wiped at every start) so
each process writes its values to files there and /metrics adds them up.
"""

import ipaddress
import os
import secrets
from typing import Any

from celery.signals import task_failure
from django.conf import settings
from django.http import HttpRequest
from prometheus_client import REGISTRY, CollectorRegistry, Counter, generate_latest, multiprocess

ORDERS_PLACED = Counter("emporium_orders_placed", "Orders placed (committed).")
CHECKOUT_OUT_OF_STOCK = Counter(
    "emporium_checkout_out_of_stock", "Checkouts refused because a line was out of stock."
)
PAYMENTS = Counter("emporium_payments", "Payments settled by the provider, by status.", ["status"])
WEBHOOK_EVENTS = Counter(
    "emporium_webhook_events",
    "Provider webhook events processed, by outcome.",
    ["provider", "outcome"],
)
TASK_FAILURES = Counter("emporium_task_failures", "Celery tasks that raised, by task.", ["task"])


@task_failure.connect
def count_task_failure(sender: Any = None, **_: Any) -> None:
    """Count a task that failed (after its retries, or without any)."""
    TASK_FAILURES.labels(task=getattr(sender, "name", "unknown")).inc()


def _networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(cidr, strict=False) for cidr in settings.METRICS_ALLOWED_NETWORKS]


def _has_token(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    return (
        bool(token)
        and scheme.lower() == "bearer"
        and secrets.compare_digest(credentials.strip().encode(), token.encode())
    )


def _from_internal_network(request: HttpRequest) -> bool:
    # A request relayed by the proxy arrives from the proxy's (internal) address: only a
    # direct connection, as a Prometheus scrape of the pod is, counts as internal.
    if "X-Forwarded-For" in request.headers or "X-Real-IP" in request.headers:
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in _networks())


def may_read_metrics(request: HttpRequest) -> bool:
    """Return True for a direct request from an internal network or one with the metrics token."""
    return _has_token(request) or _from_internal_network(request)


def render_metrics() -> bytes:
    """Return every metric in the Prometheus text format, summed over processes if need be."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)

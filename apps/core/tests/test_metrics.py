"""Prometheus metrics: business counters move with the business, and /metrics is not public."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from celery import shared_task
from django.test import Client, override_settings
from prometheus_client import REGISTRY

from apps.core import doctor, metrics
from apps.core.errors import OutOfStock
from apps.core.tests.helpers import assert_problem
from apps.orders.models import Order
from apps.orders.tests.factories import buy, checkout, fill_cart, make_variant, new_cart
from apps.payments import services
from apps.payments.tests.helpers import payment_event, place, post_webhook
from apps.users.models import User

pytestmark = pytest.mark.django_db

TOKEN = "a-metrics-token-long-enough-to-be-a-real-secret-0123456789"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(f"{name}_total", labels) or 0.0


@contextmanager
def moves(name: str, by: float = 1, **labels: str) -> Iterator[None]:
    """Assert that the counter `name` (with `labels`) grows by exactly `by` inside the block."""
    before = sample(name, **labels)
    yield
    assert sample(name, **labels) - before == by


# --- Business counters ----------------------------------------------------------------------


def test_placing_an_order_counts_it_once_committed(
    user: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with moves("emporium_orders_placed"), django_capture_on_commit_callbacks(execute=True):
        buy({make_variant(stock=3): 1}, user=user)


def test_an_order_rolled_back_is_not_counted(user: User) -> None:
    # Without the commit the on-commit increment never runs.
    with moves("emporium_orders_placed", by=0):
        buy({make_variant(stock=3): 1}, user=user)


def test_an_out_of_stock_refusal_is_counted(user: User) -> None:
    variant = make_variant(stock=5)
    cart = fill_cart(new_cart(user), {variant: 2})
    variant.stock = 1
    variant.save(update_fields=["stock"])
    with (
        moves("emporium_checkout_out_of_stock"),
        moves("emporium_orders_placed", by=0),
        pytest.raises(OutOfStock),
    ):
        checkout(cart, user=user)
    assert not Order.objects.exists()


def test_a_succeeded_payment_and_its_webhook_are_counted(
    user: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    payment = services.start_payment(order=place(user))
    with (
        moves("emporium_payments", status="succeeded"),
        moves("emporium_webhook_events", provider="sandbox", outcome="applied"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = post_webhook(payment_event("payment.succeeded", payment))
    assert response.status_code == 200, response.content


def test_a_failed_payment_is_counted(
    user: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    payment = services.start_payment(order=place(user))
    with (
        moves("emporium_payments", status="failed"),
        moves("emporium_payments", by=0, status="succeeded"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        post_webhook(payment_event("payment.failed", payment, reason="card_declined"))


def test_webhook_events_are_counted_by_outcome(user: User) -> None:
    payment = services.start_payment(order=place(user))
    body = payment_event("payment.succeeded", payment)
    post_webhook(body)
    # A replay of an applied event changes nothing and is not processed again.
    with moves("emporium_webhook_events", by=0, provider="sandbox", outcome="applied"):
        post_webhook(body)
    with moves("emporium_webhook_events", provider="sandbox", outcome="ignored"):
        post_webhook(payment_event("payment.created", payment))


@shared_task(name="core.tests.always_fails")
def always_fails() -> None:
    raise RuntimeError("boom")


def test_a_failed_task_is_counted() -> None:
    with moves("emporium_task_failures", task="core.tests.always_fails"):
        result = always_fails.apply(throw=False)
    assert result.failed()


# --- Who may read /metrics ------------------------------------------------------------------


def get_metrics(remote: str = "127.0.0.1", **headers: str) -> Any:
    return Client(REMOTE_ADDR=remote).get("/metrics", headers=headers)


def test_metrics_are_served_to_an_internal_network() -> None:
    for remote in ("127.0.0.1", "10.1.2.3", "172.20.0.5", "192.168.1.10", "::1"):
        response = get_metrics(remote)
        assert response.status_code == 200, remote
        assert response["Content-Type"].startswith("text/plain")
        body = response.content.decode()
        assert "emporium_orders_placed_total" in body
        assert "django_http_requests_total_by_method_total" in body


@pytest.mark.parametrize("remote", ["203.0.113.7", "8.8.8.8", "2001:db8::1", "not-an-ip"])
def test_metrics_are_hidden_from_the_internet(remote: str) -> None:
    assert_problem(get_metrics(remote), 404, "not_found")


def test_a_request_relayed_by_the_proxy_is_not_internal() -> None:
    # nginx connects from an internal address; the client behind it is anybody.
    response = get_metrics("10.0.0.2", **{"X-Forwarded-For": "203.0.113.7"})
    assert_problem(response, 404, "not_found")


@override_settings(METRICS_TOKEN=TOKEN)
def test_the_bearer_token_opens_metrics_from_anywhere() -> None:
    response = get_metrics("203.0.113.7", Authorization=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert b"emporium_payments_total" in response.content


@override_settings(METRICS_TOKEN=TOKEN)
@pytest.mark.parametrize(
    "header", [f"Bearer {TOKEN}x", "Bearer ", f"Basic {TOKEN}", TOKEN, "Bearer wrong"]
)
def test_a_wrong_token_is_refused(header: str) -> None:
    assert_problem(get_metrics("203.0.113.7", Authorization=header), 404, "not_found")


@override_settings(METRICS_TOKEN="")
def test_an_empty_token_setting_never_matches() -> None:
    assert_problem(get_metrics("203.0.113.7", Authorization="Bearer "), 404, "not_found")


@override_settings(METRICS_ALLOWED_NETWORKS=[])
def test_no_allowed_network_means_token_only() -> None:
    assert_problem(get_metrics("127.0.0.1"), 404, "not_found")


def test_metrics_answer_get_only() -> None:
    assert Client(REMOTE_ADDR="127.0.0.1").post("/metrics").status_code == 405


def test_several_processes_are_summed_in_multiprocess_mode(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Files as two dead workers left them: /metrics adds them up.
    from prometheus_client import CollectorRegistry, Counter, values

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    for pid in (101, 102):
        monkeypatch.setattr(
            values, "ValueClass", values.MultiProcessValue(process_identifier=lambda p=pid: p)
        )
        counter = Counter("emporium_probe", "probe", registry=CollectorRegistry())
        counter.inc(2)
    assert b"emporium_probe_total 4.0" in metrics.render_metrics()


# --- The doctor's view of the metrics settings ----------------------------------------------


def test_the_doctor_accepts_private_networks_and_a_long_token(settings: Any) -> None:
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    settings.METRICS_TOKEN = TOKEN
    assert doctor.metrics_protected()[0]


@pytest.mark.parametrize(
    ("networks", "token"), [(["0.0.0.0/0"], ""), (["::/0"], ""), (["10.0.0.0/8"], "short")]
)
def test_the_doctor_flags_metrics_open_to_everyone(
    settings: Any, networks: list[str], token: str
) -> None:
    settings.METRICS_ALLOWED_NETWORKS = networks
    settings.METRICS_TOKEN = token
    assert not doctor.metrics_protected()[0]

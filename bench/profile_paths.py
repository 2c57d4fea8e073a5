"""Where a request's time goes: the database-bound paths, profiled in-process.

Runs Django's test client with `config.settings.bench` against a benchmark database (one
`bench/load.py` made: its name must contain "bench"), so there is no HTTP and no server, and
profiles N more with cProfile. For each path it prints the median and p99 wall time of a
request (timed without the profiler), its queries, and the share of the profiled time spent
in: the database (psycopg
executing and fetching), Django compiling querysets to SQL, Redis, authentication (SimpleJWT,
its user query included), and rendering the JSON answer. The shares overlap where one calls
another (authentication includes a query); the rest is Django, DRF and the project's code.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/emporium_bench_10000 \\
    REDIS_URL=redis://127.0.0.1:6379/8 .venv/bin/python bench/profile_paths.py --requests 200

`PROFILE_TOP=20` also prints each path's 20 functions with the most time of their own.

It writes what it needs: a customer of its own, that customer's cart and orders (deleted at
the end), and bumps the catalog version (the cold list).
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("CELERY_BROKER_URL", os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/8"))

import django

django.setup()

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework_simplejwt.tokens import AccessToken

from apps.cart.models import Cart, CartLine, ShippingMethod
from apps.catalog.cache import bump_catalog_version
from apps.catalog.listing import refresh_listing
from apps.catalog.models import Product, ProductVariant
from apps.orders.models import IdempotencyKey, Order
from apps.users.models import User

EMAIL = "bench-profile@bench.emporium.localhost"
ADDRESS = {
    "name": "Bench Profile",
    "line1": "1 Benchmark Road",
    "city": "Testville",
    "postal_code": "12345",
    "country": "DE",
}
# (label, function names whose cumulative time is that label's share), by file and name.
BUCKETS: list[tuple[str, list[tuple[str, str]]]] = [
    ("database", [("psycopg/cursor.py", "execute"), ("psycopg/cursor.py", "fetchall")]),
    ("SQL compile", [("django/db/models/sql/compiler.py", "as_sql")]),
    ("Redis", [("redis/client.py", "execute_command"), ("redis/client.py", "execute")]),
    ("JWT auth", [("rest_framework_simplejwt/authentication.py", "authenticate")]),
    ("render", [("rest_framework/renderers.py", "render")]),
]


def shares(profile: cProfile.Profile) -> tuple[float, dict[str, float]]:
    """Return the profiled total (s) and each bucket's cumulative seconds."""
    stats = pstats.Stats(profile)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = max(cumulative for (_, _, _, cumulative, _) in raw.values())
    found: dict[str, float] = {}
    for label, names in BUCKETS:
        seconds = 0.0
        for (path, _, function), (_, _, _, cumulative, callers) in raw.items():
            wanted = any(path.endswith(tail) and function == name for tail, name in names)
            # Count a function only where it is not called by itself (no double count).
            recursive = any(caller[2] == function and caller[0] == path for caller in callers)
            if wanted and not recursive:
                seconds += cumulative
        found[label] = seconds
    return total, found


def measure(label: str, send: Callable[[], int], before: Callable[[], None], n: int) -> None:
    before()
    with CaptureQueriesContext(connection) as captured:
        status = send()
    if status >= 300:
        raise SystemExit(f"{label} answered {status}")
    queries = len(captured.captured_queries)
    times = []
    for _ in range(n):  # timed without the profiler, whose overhead would count
        before()
        started = time.perf_counter()
        send()
        times.append((time.perf_counter() - started) * 1000)
    profile = cProfile.Profile()
    for _ in range(n):
        before()
        profile.enable()
        send()
        profile.disable()
    if os.environ.get("PROFILE_TOP"):  # the functions that take the most time themselves
        pstats.Stats(profile).sort_stats("tottime").print_stats(int(os.environ["PROFILE_TOP"]))
    total, found = shares(profile)
    parts = ", ".join(f"{name} {100 * seconds / total:.0f} %" for name, seconds in found.items())
    print(
        f"| {label} | {queries} | {statistics.median(times):.1f} "
        f"| {statistics.quantiles(times, n=100)[98]:.1f} | {parts} |",
        flush=True,
    )


def status_of(client: Client, path: str) -> int:
    """GET `path`; return the status."""
    return client.get(path).status_code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="per path (200)")
    args = parser.parse_args()
    if "bench" not in connection.settings_dict["NAME"]:
        raise SystemExit("Refusing: the database's name must contain 'bench'.")
    user, _ = User.objects.get_or_create(email=EMAIL, defaults={"full_name": "Bench Profile"})
    auth = {"Authorization": f"Bearer {AccessToken.for_user(user)}"}
    client = Client()
    variants = list(
        ProductVariant.objects.filter(is_active=True, product__is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:3]
    )
    ProductVariant.objects.filter(pk__in=variants).update(stock=1_000_000)
    refresh_listing(  # update() sends no signals
        ProductVariant.objects.filter(pk__in=variants).values_list("product_id", flat=True)
    )
    cart, _ = Cart.objects.get_or_create(user=user)
    Cart.objects.filter(pk=cart.pk).update(
        shipping_method=ShippingMethod.objects.filter(is_active=True).order_by("pk").first()
    )

    def fill() -> None:
        CartLine.objects.filter(cart=cart).delete()
        CartLine.objects.bulk_create(
            [CartLine(cart=cart, variant_id=pk, quantity=1) for pk in variants]
        )

    def nothing() -> None:
        return None

    def post(path: str, body: dict[str, Any], **headers: str) -> int:
        return client.post(
            path, body, content_type="application/json", headers={**auth, **headers}
        ).status_code

    product = Product.objects.filter(is_active=True).order_by("-created_at", "-pk").first()
    if product is None:
        raise SystemExit("The benchmark catalog has no product.")
    print("| path | queries | median ms | p99 ms | where the time goes |\n|---|---|---|---|---|")
    try:
        for label, path in [
            ("ceiling", "/bench/ceiling"),
            ("products warm", "/api/v1/products/"),
            ("product detail warm", f"/api/v1/products/{product.slug}/"),
            ("storefront product", reverse("storefront:product", kwargs={"slug": product.slug})),
        ]:
            client.get(path)  # warms the cache
            measure(label, partial(status_of, client, path), nothing, args.requests)
        measure(
            "products cold",
            lambda: client.get("/api/v1/products/").status_code,
            bump_catalog_version,
            args.requests,
        )
        measure(
            "cart read",
            lambda: client.get("/api/v1/cart/", headers=auth).status_code,
            fill,
            args.requests,
        )
        measure(
            "add to cart",
            lambda: post("/api/v1/cart/items/", {"variant_id": variants[0], "quantity": 1}),
            fill,
            args.requests,
        )
        measure(
            "checkout",
            lambda: post(
                "/api/v1/checkout/",
                {"shipping_address": ADDRESS},
                **{"Idempotency-Key": str(uuid.uuid4())},
            ),
            fill,
            args.requests,
        )
    finally:
        Order.objects.filter(user=user).delete()
        IdempotencyKey.objects.filter(scope=f"user:{user.pk}").delete()
        CartLine.objects.filter(cart=cart).delete()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Time checkouts in-process: one customer places N orders in a row, with query counts.

Runs Django's test client against whatever DATABASE_URL/REDIS_URL point at, so the numbers
are application time (routing, authentication, locks, queries, serialization) without HTTP or
a server. It writes: it sets the stock of the variants it buys, places orders and deletes them
again, so it refuses any database whose name does not contain "bench" or "scratch". Use a
scratch database of its own, e.g.:

    createdb -h 127.0.0.1 -U postgres emporium_checkout_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/emporium_checkout_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py seed_demo --products 2000
    REDIS_URL=redis://127.0.0.1:6379/6 THROTTLE_ANON=1000000/min THROTTLE_USER=1000000/min \\
    LOG_LEVEL=WARNING .venv/bin/python bench/checkout_latency.py --checkouts 300

It uses sellable variants of the catalog there (or creates a small catalog when there is none)
and sets their stock high, signs in one customer (created once) with a JWT, then for each
checkout adds 1-3 random lines of 1-3 units through the cart API and POSTs /api/v1/checkout/
with a fresh Idempotency-Key. Only the checkout request is timed. The confirmation e-mail task
runs in-process when the order commits (eager Celery of the local settings, locmem e-mail), so
its queries are part of each checkout here; in production it is one enqueue to the broker.

Prints a Markdown table of median, p90, p99 and max milliseconds, queries per checkout and
orders per second. At the end it deletes the orders it placed and their idempotency keys and
puts the stock of the variants back as it was, unless --keep.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
# Confirmation e-mails are rendered and kept in memory, not printed over the table.
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

import django

django.setup()

from django.db import connection, transaction
from django.db.models import Case, IntegerField, Value, When
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework_simplejwt.tokens import AccessToken

from apps.cart import services as cart_services
from apps.cart.models import ShippingMethod
from apps.catalog.cache import bump_catalog_version
from apps.catalog.listing import refresh_listing
from apps.catalog.models import Category, Product, ProductVariant
from apps.catalog.selectors import visible_category_ids
from apps.orders.models import IdempotencyKey, Order
from apps.users.models import User

SAFE_NAME_PARTS = ("bench", "scratch")
CUSTOMER_EMAIL = "checkout-bench@example.com"
BENCH_STOCK = 1_000_000
ADDRESS = {
    "name": "Bench Customer",
    "line1": "1 Benchmark Road",
    "city": "Testville",
    "postal_code": "12345",
    "country": "DE",
}


def refuse_real_databases() -> str:
    """Return the database name, or exit when it does not look like a scratch database."""
    name = str(connection.settings_dict["NAME"])
    if not any(part in Path(name).name.lower() for part in SAFE_NAME_PARTS):
        raise SystemExit(
            f"Refusing to run against the database {name!r}: this benchmark writes orders and "
            "stock. Point DATABASE_URL at a scratch database whose name contains "
            f"{' or '.join(repr(part) for part in SAFE_NAME_PARTS)}."
        )
    return name


def sellable_variant_ids() -> list[int]:
    return list(
        ProductVariant.objects.filter(
            is_active=True,
            product__is_active=True,
            product__category_id__in=visible_category_ids(),
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:20_000]
    )


def create_small_catalog(products: int) -> None:
    """A category of plain products, for an empty database (kept, and reused next time)."""
    category, _ = Category.objects.get_or_create(
        slug="checkout-bench", defaults={"name": "Checkout bench"}
    )
    for n in range(1, products + 1):
        product, _ = Product.objects.get_or_create(
            slug=f"checkout-bench-{n}",
            defaults={"name": f"Checkout bench product {n}", "category": category},
        )
        ProductVariant.objects.get_or_create(
            sku=f"CHECKOUT-BENCH-{n:04d}",
            defaults={"product": product, "price": f"{5 + n % 40}.99", "stock": 0},
        )
    bump_catalog_version()


def set_stock(stock: dict[int, int]) -> None:
    variants = ProductVariant.objects.filter(pk__in=list(stock))
    variants.update(
        stock=Case(
            *[When(pk=pk, then=Value(units)) for pk, units in stock.items()],
            output_field=IntegerField(),
        )
    )
    refresh_listing(variants.values_list("product_id", flat=True))  # update(): no signals
    bump_catalog_version()  # availability on cached product cards may have changed


def customer() -> User:
    user = User.objects.filter(email__iexact=CUSTOMER_EMAIL).first()
    if user is None:
        user = User.objects.create_user(email=CUSTOMER_EMAIL, full_name="Checkout Bench")
    cart = cart_services.get_or_create_cart(user_id=user.pk, token=None)
    cart_services.clear_cart(cart=cart)  # nothing left over from an interrupted run
    return user


def percentile(cuts: list[float], p: int) -> float:
    """The p-th percentile from `statistics.quantiles(..., n=100, method="inclusive")`."""
    return round(cuts[p - 1], 1)


def cleanup(user: User, order_ids: list[str], original_stock: dict[int, int]) -> None:
    with transaction.atomic():
        Order.objects.filter(pk__in=order_ids).delete()  # lines, events, voucher uses with them
        IdempotencyKey.objects.filter(scope=f"user:{user.pk}").delete()
        cart_services.clear_cart(cart=cart_services.get_or_create_cart(user_id=user.pk, token=None))
        set_stock(original_stock)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkouts", type=int, default=300, help="timed checkouts (300)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed checkouts first (3)")
    parser.add_argument("--variants", type=int, default=50, help="variants to buy from (50)")
    parser.add_argument("--seed", type=int, default=42, help="seed of the random carts (42)")
    parser.add_argument("--keep", action="store_true", help="keep the orders and the stock")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument(
        "--show-queries", action="store_true", help="print the SQL of the last checkout"
    )
    args = parser.parse_args()
    if args.checkouts < 2 or args.variants < 3:
        parser.error("--checkouts must be at least 2 and --variants at least 3")

    database = refuse_real_databases()
    rng = random.Random(args.seed)  # noqa: S311 (random carts, not secrets)
    candidates = sellable_variant_ids()
    if len(candidates) < args.variants:
        create_small_catalog(args.variants)
        candidates = sellable_variant_ids()
    variant_ids = sorted(rng.sample(candidates, args.variants))
    original_stock = dict(
        ProductVariant.objects.filter(pk__in=variant_ids).values_list("pk", "stock")
    )
    set_stock(dict.fromkeys(variant_ids, BENCH_STOCK))
    user = customer()

    client = Client()
    shipping = ShippingMethod.objects.filter(is_active=True).order_by("price", "pk").first()
    body = {"shipping_address": ADDRESS}
    order_ids: list[str] = []
    timings: list[float] = []
    queries: list[int] = []
    lines_per_checkout: list[int] = []
    last_sql: list[str] = []
    started_all = time.perf_counter()
    try:
        for iteration in range(args.warmup + args.checkouts):
            if iteration == args.warmup:
                started_all = time.perf_counter()
            auth = {"Authorization": f"Bearer {AccessToken.for_user(user)}"}
            if shipping is not None and iteration == 0:
                answer = client.put(
                    "/api/v1/cart/shipping-method/",
                    {"shipping_method": shipping.pk},
                    content_type="application/json",
                    headers=auth,
                )
                if answer.status_code != 200:
                    raise SystemExit(f"choosing shipping answered {answer.status_code}")
            picked = rng.sample(variant_ids, rng.randint(1, 3))
            for variant_id in picked:
                answer = client.post(
                    "/api/v1/cart/items/",
                    {"variant_id": variant_id, "quantity": rng.randint(1, 3)},
                    content_type="application/json",
                    headers=auth,
                )
                if answer.status_code != 201:
                    content = answer.content[:300]
                    raise SystemExit(
                        f"adding to the cart answered {answer.status_code}: {content!r}"
                    )
            headers = {**auth, "Idempotency-Key": str(uuid.uuid4())}
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                answer = client.post(
                    "/api/v1/checkout/", body, content_type="application/json", headers=headers
                )
                elapsed = (time.perf_counter() - started) * 1000
            if answer.status_code != 201:
                raise SystemExit(
                    f"checkout answered {answer.status_code}: {answer.content[:300]!r}"
                )
            order_ids.append(answer.json()["id"])
            if iteration >= args.warmup:
                timings.append(elapsed)
                queries.append(len(captured.captured_queries))
                lines_per_checkout.append(len(picked))
                last_sql = [query["sql"] for query in captured.captured_queries]
        wall = time.perf_counter() - started_all
    finally:
        if not args.keep:
            cleanup(user, order_ids, original_stock)

    cuts = statistics.quantiles(timings, n=100, method="inclusive")
    summary = {
        "checkouts": len(timings),
        "median_ms": round(statistics.median(timings), 1),
        "p90_ms": percentile(cuts, 90),
        "p99_ms": percentile(cuts, 99),
        "max_ms": round(max(timings), 1),
        "queries_median": statistics.median(queries),
        "queries_min": min(queries),
        "queries_max": max(queries),
        "orders_per_s": round(len(timings) / (sum(timings) / 1000), 1),
        "iterations_per_s_wall": round(len(timings) / wall, 1),
    }
    by_lines: dict[int, list[int]] = defaultdict(list)
    for index, lines in enumerate(lines_per_checkout):
        by_lines[lines].append(index)
    rows: list[dict[str, Any]] = [
        {
            "lines": lines,
            "checkouts": len(indexes),
            "median_ms": round(statistics.median(timings[i] for i in indexes), 1),
            "queries": sorted({queries[i] for i in indexes}),
        }
        for lines, indexes in sorted(by_lines.items())
    ]

    products = Product.objects.count()
    print(
        f"{products:,} products on {connection.vendor}; {len(timings)} checkouts of 1-3 lines "
        f"by one signed-in customer after {args.warmup} warm-up ones; {args.variants} variants\n"
    )
    spread = (
        f"{summary['queries_min']}"
        if summary["queries_min"] == summary["queries_max"]
        else f"{summary['queries_median']:g} ({summary['queries_min']}-{summary['queries_max']})"
    )
    columns = ["checkouts", "median ms", "p90 ms", "p99 ms", "max ms", "queries per checkout"]
    columns.append("orders/s")
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    print(
        f"| {summary['checkouts']} | {summary['median_ms']} | {summary['p90_ms']} "
        f"| {summary['p99_ms']} | {summary['max_ms']} | {spread} | {summary['orders_per_s']} |"
    )
    print("\n| lines in the cart | checkouts | median ms | queries |")
    print("|---|---|---|---|")
    for row in rows:
        counts = ", ".join(str(count) for count in row["queries"])
        print(f"| {row['lines']} | {row['checkouts']} | {row['median_ms']} | {counts} |")
    print(
        f"\norders/s = checkouts / time spent in checkout requests; with the cart requests "
        f"in between: {summary['iterations_per_s_wall']} iterations/s."
    )
    if args.show_queries:
        print(f"\nThe {len(last_sql)} queries of the last checkout:")
        for number, sql in enumerate(last_sql, start=1):
            print(f"{number:3}. {sql if len(sql) <= 160 else sql[:157] + '...'}")
    if args.keep:
        print(f"Kept the {len(order_ids)} orders and the stock as it is now (--keep).")
    else:
        print(f"Deleted the {len(order_ids)} orders placed and put the stock back.")
    if args.json:
        result: dict[str, Any] = {
            "vendor": connection.vendor,
            "database": Path(database).name,
            "products": products,
            "variants": args.variants,
            "warmup": args.warmup,
            "summary": summary,
            "by_lines": rows,
            "timings_ms": [round(t, 2) for t in timings],
            "queries": queries,
        }
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

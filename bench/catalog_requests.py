"""Time catalog reads in-process, cold (catalog cache invalidated) and warm, with query counts.

Runs Django's test client against whatever DATABASE_URL/REDIS_URL point at, so the numbers
are application time (routing, queries, cache, serialization) without HTTP or a server.
Example, against a seeded PostgreSQL catalog:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/emporium_seed_bench \\
    REDIS_URL=redis://127.0.0.1:6379/5 THROTTLE_ANON=1000000/min \\
    .venv/bin/python bench/catalog_requests.py --repeat 25

Prints a Markdown table of median and p90 milliseconds per endpoint and mode.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django

django.setup()

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.catalog.cache import bump_catalog_version
from apps.catalog.models import Category, Product, Tag


def endpoints() -> list[str]:
    product = Product.objects.active().order_by("-created_at").values_list("slug", flat=True)[0]
    category = (
        Category.objects.filter(is_active=True, parent__isnull=True)
        .values_list("slug", flat=True)
        .first()
    )
    tag = Tag.objects.values_list("slug", flat=True).first()
    return [
        "/api/v1/products/",
        "/api/v1/products/?page_size=100",
        f"/api/v1/products/?category={category}&ordering=price",
        f"/api/v1/products/?tag={tag}&in_stock=true&ordering=-rating",
        "/api/v1/products/?search=cotton+shirt",
        "/api/v1/products/featured/",
        f"/api/v1/products/{product}/",
        f"/api/v1/products/{product}/reviews/",
        "/api/v1/categories/?tree=true",
    ]


def measure(client: Client, url: str, *, cold: bool, repeat: int) -> tuple[list[float], int]:
    timings, queries = [], 0
    client.get(url)  # connections and caches of the process warmed once
    for _ in range(repeat):
        if cold:
            bump_catalog_version()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}: {response.content[:300]!r}")
        queries = len(captured.captured_queries)
    return timings, queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=25)
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()

    client = Client()
    rows = []
    products = Product.objects.count()
    print(f"{products:,} products on {connection.vendor}; {args.repeat} requests per cell\n")
    columns = ["endpoint", "queries (cold)", "cold median ms", "cold p90 ms", "warm median ms"]
    columns.append("warm p90 ms")
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for url in endpoints():
        cold, cold_queries = measure(client, url, cold=True, repeat=args.repeat)
        warm, warm_queries = measure(client, url, cold=False, repeat=args.repeat)
        row = {
            "url": url,
            "cold_queries": cold_queries,
            "warm_queries": warm_queries,
            "cold_median_ms": round(statistics.median(cold), 1),
            "cold_p90_ms": round(statistics.quantiles(cold, n=10)[-1], 1),
            "warm_median_ms": round(statistics.median(warm), 2),
            "warm_p90_ms": round(statistics.quantiles(warm, n=10)[-1], 2),
        }
        rows.append(row)
        print(
            f"| `{url}` | {cold_queries} | {row['cold_median_ms']} | {row['cold_p90_ms']} "
            f"| {row['warm_median_ms']} | {row['warm_p90_ms']} |"
        )
    if args.json:
        args.json.write_text(
            json.dumps({"products": products, "vendor": connection.vendor, "rows": rows}, indent=2)
        )


if __name__ == "__main__":
    main()

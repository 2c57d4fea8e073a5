"""HTTP load benchmark: gunicorn on a seeded PostgreSQL catalog, driven by wrk, against a ceiling.

    .venv/bin/python bench/load.py                       # 10,000 products, gthread (make bench)
    .venv/bin/python bench/load.py --products 100000 --duration 10
    .venv/bin/python bench/load.py --servers all --runs 3
    .venv/bin/python bench/load.py --smoke               # seconds, 50 products (make bench-smoke)

From the PostgreSQL server of DATABASE_URL and the Redis server of REDIS_URL (default the local
ones) it creates a database of its own (`<name>_bench_<products>`, marked as created here with a
comment; it refuses any other existing database) and uses its own Redis database (8; the smoke
run 10), migrates, seeds the demo catalog and benchmark customers with carts, then per server
configuration starts gunicorn with config.settings.bench on a free 127.0.0.1 port, warms up,
runs wrk (a separate process, at most 32 connections) against each endpoint, reads the web
workers' RSS and stops what it started. Queries per request are counted in-process through
Django's test client on the same data. It prints a Markdown table and writes JSON to
bench/results/. `--drop` drops the database afterwards (the smoke run always does) and the
Redis database is flushed at the end.
"""

import argparse
import contextlib
import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
LUA_SCRIPT = ROOT / "bench" / "lua" / "requests.lua"
SETTINGS = "config.settings.bench"
DB_MARKER = "created by bench/load.py (Emporium load benchmark)"
CORES = os.cpu_count() or 1
MAX_CONNECTIONS = 32
# Redis databases 0-3 are CI's and the application's; never flush those.
RESERVED_REDIS_DBS = range(4)
CHECKOUT_RATE_GUESS = 300  # checkouts/s to prepare carts for (more than this machine can do)


@dataclass(frozen=True)
class ServerConfig:
    """How gunicorn is started; worker counts follow config/gunicorn.conf.py's defaults."""

    name: str
    worker_class: str
    workers: int
    threads: int
    app: str
    env: tuple[tuple[str, str], ...] = ()  # settings of this configuration only

    def command(self, port: int) -> list[str]:
        return [
            sys.executable,
            "-m",
            "gunicorn",
            self.app,
            f"--bind=127.0.0.1:{port}",
            f"--worker-class={self.worker_class}",
            f"--workers={self.workers}",
            f"--threads={self.threads}",
            "--timeout=30",
            "--graceful-timeout=5",
            "--keep-alive=5",
            # No recycling during a run: the RSS read at the end is that of the measured workers.
            "--max-requests=0",
            # No access log: a line per request would be measured too (errors still logged).
            "--log-level=warning",
            "--error-logfile=-",
        ]


SERVERS = {
    "sync": ServerConfig("sync", "sync", 2 * CORES + 1, 1, "config.wsgi:application"),
    # The same, with Django's psycopg pool (one request at a time per worker: a pool of 1-2)
    # instead of one persistent connection per worker (CONN_MAX_AGE).
    "sync-pool": ServerConfig(
        "sync-pool",
        "sync",
        2 * CORES + 1,
        1,
        "config.wsgi:application",
        env=(("DB_POOL", "true"), ("DB_POOL_MIN_SIZE", "1"), ("DB_POOL_MAX_SIZE", "2")),
    ),
    "gthread": ServerConfig("gthread", "gthread", CORES, 4, "config.wsgi:application"),
    "uvicorn": ServerConfig(
        "uvicorn",
        "uvicorn_worker.UvicornWorker",
        2 * CORES + 1,
        1,
        "config.asgi:application",
        env=(("DB_POOL", "true"),),
    ),
}


@dataclass
class Endpoint:
    """One thing to load: request lines for the Lua script and what counts as a success."""

    name: str
    lines: list[str]
    mode: str = "cycle"  # "once": each line (e.g. a prepared cart's checkout) is sent once
    connections: int = 8
    ok_statuses: frozenset[int] = frozenset({200})
    prepare: Callable[[], None] | None = None  # run before every wrk run (refill carts)
    queries: str = "-"
    note: str = ""


@dataclass
class Measurement:
    requests_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    requests: int
    errors: int
    out_of_stock: int
    exhausted: int
    statuses: dict[str, int] = field(default_factory=dict)
    first_error: str = ""


def line(method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> str:
    """Return one request line for bench/lua/requests.lua."""
    fields = [method, path, "-" if body is None else json.dumps(body, separators=(",", ":"))]
    all_headers = dict(headers or {})
    if body is not None:
        all_headers["Content-Type"] = "application/json"
    fields += [f"{name}: {value}" for name, value in all_headers.items()]
    return "\t".join(fields)


def parse_line(text: str) -> tuple[str, str, str | None, dict[str, str]]:
    method, path, body, *headers = text.split("\t")
    pairs = dict(header.split(": ", 1) for header in headers)
    return method, path, None if body == "-" else body, pairs


# --- Services: the benchmark's own database and Redis database --------------------------------


def bench_urls(args: argparse.Namespace) -> tuple[str, str, str]:
    """Return (database name, DATABASE_URL, REDIS_URL) of this run, derived from the env."""
    base = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/emporium"))
    if base.scheme not in ("postgres", "postgresql", "pgsql"):
        raise SystemExit("DATABASE_URL must be a postgres:// URL (the benchmark needs PostgreSQL).")
    base_name = base.path.lstrip("/") or "emporium"
    suffix = "smoke" if args.smoke else str(args.products)
    name = f"{base_name}_bench_{suffix}"
    database_url = urlunsplit(base._replace(path=f"/{name}"))
    redis = urlsplit(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    if args.redis_db in RESERVED_REDIS_DBS:
        raise SystemExit(f"Redis databases {RESERVED_REDIS_DBS.start}-3 are not for benchmarks.")
    redis_url = urlunsplit(redis._replace(path=f"/{args.redis_db}"))
    return name, database_url, redis_url


def admin_connection(database_url: str) -> Any:
    import psycopg

    parts = urlsplit(database_url)
    return psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname="postgres",
        autocommit=True,
    )


def database_marker(cursor: Any, name: str) -> str | None:
    """Return the database's comment ("" without one), or None when it does not exist."""
    cursor.execute(
        "SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database "
        "WHERE datname = %s",
        [name],
    )
    row = cursor.fetchone()
    return None if row is None else str(row[0])


def create_database(database_url: str, name: str) -> bool:
    """Create the benchmark's database unless this script already did; refuse any other."""
    from psycopg import sql

    with admin_connection(database_url) as connection, connection.cursor() as cursor:
        marker = database_marker(cursor, name)
        if marker == DB_MARKER:
            return False
        if marker is not None:
            raise SystemExit(
                f"The database {name!r} exists and was not created by this benchmark; "
                "refusing to use it."
            )
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        cursor.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(name), sql.Literal(DB_MARKER)
            )
        )
        return True


def drop_database(database_url: str, name: str) -> None:
    """Drop the benchmark's database, only if this script created it."""
    from psycopg import sql

    with admin_connection(database_url) as connection, connection.cursor() as cursor:
        if database_marker(cursor, name) != DB_MARKER:
            print(f"Not dropping {name!r}: it was not created by this benchmark.")
            return
        cursor.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
    print(f"Dropped the database {name}.")


def flush_redis(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    client.close()


def manage(env: dict[str, str], *arguments: str) -> None:
    command = [sys.executable, "manage.py", *arguments]
    subprocess.run(command, cwd=ROOT, env=env, check=True)  # noqa: S603 (our own arguments)


# --- Data: customers, carts and tokens (in-process, config.settings.bench) --------------------


ADDRESS = {
    "name": "Bench Customer",
    "line1": "1 Benchmark Road",
    "city": "Testville",
    "postal_code": "12345",
    "country": "DE",
}
BENCH_STOCK = 1_000_000


class Shop:
    """The benchmark's customers, carts, tokens and catalog picks, made with the ORM."""

    def __init__(self, *, seed: int = 42) -> None:
        from apps.catalog.listing import refresh_listing
        from apps.catalog.models import Category, Product, ProductVariant, Tag
        from apps.catalog.selectors import visible_category_ids

        self.rng = random.Random(seed)  # noqa: S311 (test data, not secrets)
        visible = visible_category_ids()
        sellable = ProductVariant.objects.filter(
            is_active=True, product__is_active=True, product__category_id__in=visible
        ).order_by("pk")
        self.variant_ids = list(sellable.values_list("pk", flat=True)[:200])
        if len(self.variant_ids) < 10:
            raise SystemExit("The seeded catalog has fewer than 10 sellable variants.")
        # Enough stock that refusals are rare; checkouts still take it under row locks.
        picked = ProductVariant.objects.filter(pk__in=self.variant_ids)
        picked.update(stock=BENCH_STOCK)
        # update() sends no signals: the cards show them in stock.
        refresh_listing(picked.values_list("product_id", flat=True))
        products = Product.objects.active().filter(category_id__in=visible)
        self.product_slug = str(products.order_by("-created_at").values_list("slug", flat=True)[0])
        self.category_slug = str(
            Category.objects.filter(pk__in=visible, parent__isnull=True)
            .order_by("position", "name")
            .values_list("slug", flat=True)[0]
        )
        self.tag_slug = Tag.objects.order_by("slug").values_list("slug", flat=True).first()

    def customers(self, kind: str, count: int) -> list[Any]:
        """Return `count` benchmark customers of this kind, created once and reused."""
        from apps.users.models import User

        emails = [f"bench-{kind}-{n}@bench.emporium.localhost" for n in range(count)]
        existing = {u.email: u for u in User.objects.filter(email__in=emails)}
        missing = []
        for email in emails:
            if email not in existing:
                user = User(email=email, full_name="Bench Customer")
                user.set_unusable_password()
                missing.append(user)
        User.objects.bulk_create(missing, batch_size=1000)
        by_email = {u.email: u for u in User.objects.filter(email__in=emails)}
        return [by_email[email] for email in emails]

    def fill_carts(self, users: list[Any], *, lines: tuple[int, int]) -> dict[int, int]:
        """Give each user a cart of exactly `lines` (random in range) lines; return sizes."""
        from apps.cart.models import Cart, CartLine, ShippingMethod

        shipping = ShippingMethod.objects.filter(is_active=True).order_by("price", "pk").first()
        carts = {c.user_id: c for c in Cart.objects.filter(user__in=users)}
        Cart.objects.bulk_create(
            [Cart(user=u, shipping_method=shipping) for u in users if u.pk not in carts],
            batch_size=1000,
        )
        Cart.objects.filter(user__in=users).update(shipping_method=shipping, voucher=None)
        carts = {c.user_id: c for c in Cart.objects.filter(user__in=users)}
        CartLine.objects.filter(cart__in=carts.values()).delete()
        new_lines, sizes = [], {}
        for user in users:
            size = self.rng.randint(*lines)
            sizes[user.pk] = size
            for variant_id in self.rng.sample(self.variant_ids, size):
                new_lines.append(
                    CartLine(
                        cart=carts[user.pk], variant_id=variant_id, quantity=self.rng.randint(1, 3)
                    )
                )
        CartLine.objects.bulk_create(new_lines, batch_size=2000)
        return sizes

    def empty_carts(self, users: list[Any]) -> None:
        from apps.cart.models import CartLine

        CartLine.objects.filter(cart__user__in=users).delete()

    @staticmethod
    def analyze(*models: Any) -> None:
        """Refresh the planner's statistics of tables filled in bulk, as autovacuum would."""
        from django.db import connection

        with connection.cursor() as cursor:
            for model in models:
                cursor.execute(f'ANALYZE "{model._meta.db_table}"')

    @staticmethod
    def auth(user: Any) -> dict[str, str]:
        from rest_framework_simplejwt.tokens import AccessToken

        return {"Authorization": f"Bearer {AccessToken.for_user(user)}"}


def count_queries(text: str, *, warm: bool) -> str:
    """Return the queries one request makes in-process (after one untimed request if `warm`)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    method, path, body, headers = parse_line(text)
    headers.pop("Content-Type", None)
    client = Client()

    def send() -> int:
        if method == "GET":
            return client.get(path, headers=headers).status_code
        return client.generic(
            method, path, body or "", content_type="application/json", headers=headers
        ).status_code

    try:
        if warm:
            send()
        with CaptureQueriesContext(connection) as captured:
            status = send()
    except Exception as error:  # a broken page fails under load too; report it there
        print(f"  {method} {path} raised in-process: {error!r}")
        return "error"
    if status >= 300 and status != 409:
        print(f"  {method} {path} answered {status} in-process")
        return f"({status})"
    return str(len(captured.captured_queries))


def build_endpoints(shop: Shop, args: argparse.Namespace) -> list[Endpoint]:
    """Return the endpoints to load, with their request lines and in-process query counts."""
    from django.urls import NoReverseMatch, reverse

    from apps.cart.models import Cart, CartLine
    from apps.orders.models import Order, OrderLine
    from apps.users.models import User

    conns = args.connections
    checkout_conns = min(args.checkout_connections, MAX_CONNECTIONS)
    anon = [
        Endpoint("ceiling", [line("GET", "/bench/ceiling")], connections=conns),
        Endpoint(
            "ceiling + 1 Redis round trip",
            [line("GET", "/bench/ceiling-redis")],
            connections=conns,
            note="what every throttled answer pays at least",
        ),
        Endpoint("healthz", [line("GET", "/healthz")], connections=conns),
        Endpoint("products warm", [line("GET", "/api/v1/products/")], connections=conns),
        Endpoint(
            "products cold",
            [line("GET", "/api/v1/products/", headers={"X-Bench-Catalog": "cold"})],
            connections=conns,
            note="catalog version bumped before every request",
        ),
        Endpoint(
            "products filtered+ordered",
            [line("GET", f"/api/v1/products/?category={shop.category_slug}&ordering=price")],
            connections=conns,
        ),
        Endpoint(
            "product detail warm",
            [line("GET", f"/api/v1/products/{shop.product_slug}/")],
            connections=conns,
        ),
        Endpoint(
            "search", [line("GET", "/api/v1/products/?search=cotton+shirt")], connections=conns
        ),
        Endpoint("search typo", [line("GET", "/api/v1/products/?search=bots")], connections=conns),
        Endpoint(
            "products by attribute",
            [line("GET", "/api/v1/products/?attr.colour=black&attr.colour=navy")],
            connections=conns,
        ),
        Endpoint(
            "facets warm",
            [
                line(
                    "GET",
                    f"/api/v1/products/facets/?category={shop.category_slug}&attr.colour=black",
                )
            ],
            connections=conns,
        ),
        Endpoint(
            "facets after write",
            [
                line(
                    "GET",
                    f"/api/v1/products/facets/?category={shop.category_slug}&attr.colour=black",
                    headers={"X-Bench-Catalog": "cold"},
                )
            ],
            connections=conns,
            note="catalog version bumped before every request: the counts of before are served"
            " and a refresh enqueued (no worker runs here)",
        ),
        Endpoint(
            "category tree", [line("GET", "/api/v1/categories/?tree=true")], connections=conns
        ),
    ]
    for endpoint in anon:
        endpoint.queries = count_queries(endpoint.lines[0], warm="cold" not in endpoint.name)

    # Cart reads: customers whose carts hold 1-3 lines, unchanged during the run.
    readers = shop.customers("reader", 64)
    shop.fill_carts(readers, lines=(1, 3))
    reader_auth = [shop.auth(u) for u in readers]
    cart_read = Endpoint(
        "cart read",
        [line("GET", "/api/v1/cart/", headers=h) for h in reader_auth],
        connections=conns,
    )
    cart_read.queries = count_queries(cart_read.lines[0], warm=True)

    # Adding to carts: 256 customers x 50 variants, one unit each; the carts are emptied before
    # every run so they stay small (CART_MAX_LINES) whatever the rate.
    adders = shop.customers("adder", 256)
    adder_auth = [shop.auth(u) for u in adders]
    variants = shop.variant_ids[:50]
    add_lines = [
        line(
            "POST",
            "/api/v1/cart/items/",
            {"variant_id": variants[(n // len(adders)) % len(variants)], "quantity": 1},
            adder_auth[n % len(adders)],
        )
        for n in range(len(adders) * len(variants))
    ]
    shop.empty_carts(adders)
    # One customer's cart: a first line (which may create the cart), the same line again, two
    # more lines, then a fourth: a new line costs the same whatever the cart already holds.
    step = len(adders)
    first = count_queries(add_lines[0], warm=False)
    again = count_queries(add_lines[0], warm=False)
    for extra in (1, 2):
        count_queries(add_lines[extra * step], warm=False)
    fourth = count_queries(add_lines[3 * step], warm=False)
    add = Endpoint(
        "add to cart",
        add_lines,
        connections=conns,
        ok_statuses=frozenset({200, 201}),
        prepare=lambda: shop.empty_carts(adders),
        queries=f"{fourth} new line, {again} same line"
        + ("" if first == fourth else f" ({first} creating the cart)"),
    )

    # Checkout: every request a fresh prepared cart of 1-3 lines and a fresh Idempotency-Key.
    pool = max(200, CHECKOUT_RATE_GUESS * max(args.duration, args.warmup))
    buyers = shop.customers("buyer", pool)
    buyer_auth = [shop.auth(u) for u in buyers]
    body = {"shipping_address": ADDRESS}

    def checkout_lines() -> list[str]:
        return [
            line("POST", "/api/v1/checkout/", body, {**h, "Idempotency-Key": str(uuid.uuid4())})
            for h in buyer_auth
        ]

    checkout = Endpoint(
        "checkout",
        checkout_lines(),
        mode="once",
        connections=checkout_conns,
        ok_statuses=frozenset({201}),
        note=f"{pool} prepared carts of 1-3 lines",
    )

    def refill() -> None:
        shop.fill_carts(buyers, lines=(1, 3))
        checkout.lines = checkout_lines()

    checkout.prepare = refill
    sizes = shop.fill_carts(buyers, lines=(1, 3))
    # The first order of a fresh database does some one-off work: one untimed checkout first.
    count_queries(checkout.lines[0], warm=False)
    by_size: dict[int, str] = {}
    for index, user in enumerate(buyers[1:], start=1):
        size = sizes[user.pk]
        if size not in by_size:
            # A customer seen in the last five minutes, as one who filled a cart is: their
            # first request of five minutes also writes `last_seen_at` (one query more).
            count_queries(line("GET", "/api/v1/cart/", headers=buyer_auth[index]), warm=False)
            by_size[size] = count_queries(checkout.lines[index], warm=False)
    counts = sorted(set(by_size.values()))
    checkout.queries = "/".join(counts)
    if len(counts) > 1:
        checkout.queries += (
            " (" + ", ".join(f"{s} lines: {by_size[s]}" for s in sorted(by_size)) + ")"
        )

    # Without fresh statistics the planner guesses ~100 lines per cart and hash-joins every
    # variant of the catalog for a cart of three lines.
    shop.analyze(User, Cart, CartLine)

    # Order lists of customers who have ordered (the checkout customers, after the checkout).
    order_list = Endpoint(
        "order list",
        [line("GET", "/api/v1/orders/", headers=h) for h in buyer_auth[:64]],
        connections=conns,
        prepare=lambda: shop.analyze(Order, OrderLine),
    )
    order_list.queries = count_queries(order_list.lines[0], warm=True)

    endpoints = [*anon, cart_read, add, checkout, order_list]

    # Storefront pages, when the storefront routes exist.
    pages: list[tuple[str, str, dict[str, str]]] = [
        ("storefront home", "storefront:home", {}),
        ("storefront product", "storefront:product", {"slug": shop.product_slug}),
    ]
    for name, route, kwargs in pages:
        try:
            path = reverse(route, kwargs=kwargs or None)
        except NoReverseMatch:
            print(f"({name}: no route named {route!r}; skipped)")
            continue
        page = Endpoint(name, [line("GET", path)], connections=conns)
        page.queries = count_queries(page.lines[0], warm=True)
        endpoints.append(page)
    return endpoints


# --- Server and load generator ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get_status(port: int, path: str) -> int | None:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        connection.request("GET", path)
        status = connection.getresponse().status
        connection.close()
        return status
    except OSError:
        return None


def children(pid: int) -> list[int]:
    """Return the ids of the processes whose parent is `pid` (gunicorn's workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces; ppid is the 2nd field after.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def rss_mb(pid: int) -> float | None:
    try:
        for text in (Path("/proc") / str(pid) / "status").read_text().splitlines():
            if text.startswith("VmRSS:"):
                return round(int(text.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


class Server:
    """A gunicorn master started (and stopped, by PID) by this script."""

    def __init__(self, config: ServerConfig, env: dict[str, str], log: Path) -> None:
        self.config = config
        self.port = free_port()
        self.log = log
        with log.open("wb") as output:
            self.process = subprocess.Popen(  # noqa: S603 (our own arguments)
                config.command(self.port),
                cwd=ROOT,
                env={**env, **dict(config.env)},
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited:\n{self.log.read_text()[-3000:]}")
            if get_status(self.port, "/healthz") == 200 and (
                len(children(self.process.pid)) >= self.config.workers
            ):
                return
            time.sleep(0.2)
        raise SystemExit(f"gunicorn did not answer /healthz in {timeout:.0f} s")

    def worker_rss(self) -> dict[int, float | None]:
        return {pid: rss_mb(pid) for pid in children(self.process.pid)}

    def stop(self) -> None:
        workers = children(self.process.pid)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for pid in workers:  # only ones that outlived their master
            if Path(f"/proc/{pid}").exists():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


def run_wrk(port: int, endpoint: Endpoint, seconds: int, workdir: Path) -> Measurement:
    """Load one endpoint with wrk for `seconds`; return its numbers."""
    if endpoint.prepare is not None:
        endpoint.prepare()
    requests_file = workdir / f"{endpoint.name.replace(' ', '-').replace('+', '-')}.tsv"
    requests_file.write_text("\n".join(endpoint.lines) + "\n")
    connections = min(endpoint.connections, MAX_CONNECTIONS)
    threads = min(2, connections)
    command = [
        "wrk",
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        "--timeout=10s",
        f"--script={LUA_SCRIPT}",
        f"http://127.0.0.1:{port}",
        "--",
        str(requests_file),
        endpoint.mode,
        str(threads),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    report = next(
        (t for t in done.stdout.splitlines() if t.startswith("BENCH_JSON ")),
        None,
    )
    if done.returncode != 0 or report is None:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    data = json.loads(report.removeprefix("BENCH_JSON "))
    statuses = {k: int(v) for k, v in data["statuses"].items()}
    ok = sum(n for status, n in statuses.items() if int(status) in endpoint.ok_statuses)
    sockets = sum(data["socket_errors"].values())
    # Past the prepared carts the script sends /healthz: those answers are not the endpoint's
    # (and make the run invalid: `exhausted`).
    errors = sum(statuses.values()) - ok - data["out_of_stock"] - data["exhausted"] + sockets
    seconds_run = data["duration_us"] / 1e6
    latency = data["latency_us"]
    return Measurement(
        requests_per_s=round((data["requests"] - data["exhausted"]) / seconds_run, 1),
        p50_ms=round(latency["p50"] / 1000, 2),
        p95_ms=round(latency["p95"] / 1000, 2),
        p99_ms=round(latency["p99"] / 1000, 2),
        requests=data["requests"],
        errors=max(errors, 0),
        out_of_stock=data["out_of_stock"],
        exhausted=data["exhausted"],
        statuses=statuses,
        first_error=data["first_error"],
    )


def median_of(runs: list[Measurement]) -> Measurement:
    """Return the per-field median of several runs (errors and refusals summed)."""

    def med(name: str) -> float:
        return round(statistics.median(getattr(r, name) for r in runs), 2)

    statuses: dict[str, int] = {}
    for run in runs:
        for status, n in run.statuses.items():
            statuses[status] = statuses.get(status, 0) + n
    return Measurement(
        requests_per_s=med("requests_per_s"),
        p50_ms=med("p50_ms"),
        p95_ms=med("p95_ms"),
        p99_ms=med("p99_ms"),
        requests=sum(r.requests for r in runs),
        errors=sum(r.errors for r in runs),
        out_of_stock=sum(r.out_of_stock for r in runs),
        exhausted=sum(r.exhausted for r in runs),
        statuses=statuses,
        first_error=next((r.first_error for r in runs if r.first_error), ""),
    )


def bench_server(
    config: ServerConfig,
    endpoints: list[Endpoint],
    args: argparse.Namespace,
    env: dict[str, str],
    workdir: Path,
) -> dict[str, Any]:
    """Start one server configuration, load every endpoint, read RSS, stop it."""
    print(f"\n== {config.name}: {config.workers} workers x {config.threads} threads", flush=True)
    server = Server(config, env, workdir / f"gunicorn-{config.name}.log")
    try:
        server.wait_ready()
        # Every worker imports and connects before anything is measured.
        if args.warmup:
            run_wrk(server.port, endpoints[0], args.warmup, workdir)
        runs: dict[str, list[Measurement]] = {e.name: [] for e in endpoints}
        runs["ceiling (end)"] = []
        for run in range(args.runs):
            # The ceiling again at the end: if the two differ much, the machine was busy.
            for endpoint, label in [
                *((e, e.name) for e in endpoints),
                (endpoints[0], "ceiling (end)"),
            ]:
                if args.warmup and label != "ceiling (end)":
                    run_wrk(server.port, endpoint, args.warmup, workdir)
                measured = run_wrk(server.port, endpoint, args.duration, workdir)
                runs[label].append(measured)
                print(
                    f"   run {run + 1} {label:<26} {measured.requests_per_s:>8} req/s "
                    f"p99 {measured.p99_ms:>7} ms  errors {measured.errors}",
                    flush=True,
                )
        rss = server.worker_rss()
    finally:
        server.stop()
    results = {name: median_of(measured) for name, measured in runs.items()}
    # The ceiling is the mean of its runs at the start and at the end of the sequence.
    ceiling = (
        statistics.mean(
            [results["ceiling"].requests_per_s, results["ceiling (end)"].requests_per_s]
        )
        or 1.0
    )
    rows = []
    for endpoint, label in [*((e, e.name) for e in endpoints), (endpoints[0], "ceiling (end)")]:
        result = results[label]
        rows.append(
            {
                "endpoint": label,
                "path": parse_line(endpoint.lines[0])[1],
                "method": parse_line(endpoint.lines[0])[0],
                "connections": min(endpoint.connections, MAX_CONNECTIONS),
                "ratio_to_ceiling": round(result.requests_per_s / ceiling, 3),
                "queries": endpoint.queries,
                "note": endpoint.note,
                "runs": [vars(r) for r in runs[label]],
                **vars(result),
            }
        )
    rss_values = [v for v in rss.values() if v is not None]
    return {
        "server": config.name,
        "config": {**vars(config), "env": dict(config.env)},
        "ceiling_requests_per_s": round(ceiling, 1),
        "rows": rows,
        "worker_rss_mb": rss,
        "worker_rss_max_mb": max(rss_values, default=None),
    }


def table(result: dict[str, Any]) -> str:
    columns = [
        "endpoint",
        "conns",
        "req/s",
        "x ceiling",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "errors",
        "409 out_of_stock",
        "queries",
    ]
    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in result["rows"]:
        out.append(
            f"| {row['endpoint']} | {row['connections']} | {row['requests_per_s']} "
            f"| {row['ratio_to_ceiling']:.2f} | {row['p50_ms']} | {row['p95_ms']} "
            f"| {row['p99_ms']} | {row['errors']} | {row['out_of_stock']} | {row['queries']} |"
        )
    rss = ", ".join(f"{v}" for v in result["worker_rss_mb"].values())
    out.append(f"\nRSS per web worker after the run (MB): {rss}")
    return "\n".join(out)


def git(*arguments: str) -> str:
    command = ["git", *arguments]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
    return done.stdout.strip()


def cpu_model() -> str:
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                return text.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=10_000, help="catalog size (10000)")
    parser.add_argument("--server", choices=sorted(SERVERS), default="gthread")
    parser.add_argument("--servers", choices=["all"], help="run every server configuration")
    parser.add_argument("--duration", type=int, default=10, help="seconds per endpoint (10)")
    parser.add_argument("--warmup", type=int, default=2, help="warm-up seconds per endpoint (2)")
    parser.add_argument("--runs", type=int, default=1, help="runs per endpoint; medians (1)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (8)")
    parser.add_argument(
        "--checkout-connections", type=int, default=16, help="wrk connections for checkout (16)"
    )
    parser.add_argument("--redis-db", type=int, help="Redis database number (8; smoke: 10)")
    parser.add_argument(
        "--only",
        help="comma-separated endpoint names to load (the ceiling always runs), "
        'e.g. "products cold,checkout"',
    )
    parser.add_argument(
        "--setup-only", action="store_true", help="create, migrate and seed the database; stop"
    )
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    parser.add_argument("--json", type=Path, help="where to write the results JSON")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="50 products, 1 s per endpoint, no warm-up; fail unless every endpoint answered "
        "2xx (or checkout's out-of-stock 409); drops its database",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.products, args.duration, args.warmup, args.runs, args.drop = 50, 1, 0, 1, True
    if args.redis_db is None:
        args.redis_db = 10 if args.smoke else 8
    if not 1 <= args.connections <= MAX_CONNECTIONS:
        parser.error(f"--connections must be 1-{MAX_CONNECTIONS}")
    if args.duration < 1 or args.runs < 1 or args.warmup < 0:
        parser.error("--duration and --runs must be at least 1, --warmup at least 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk).")
    name, database_url, redis_url = bench_urls(args)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "DJANGO_READ_DOT_ENV_FILE": "false",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "LOG_LEVEL": "WARNING",
        "GIT_COMMIT": git("rev-parse", "--short", "HEAD") or "unknown",
    }
    os.environ.update(env)
    servers = list(SERVERS.values()) if args.servers == "all" else [SERVERS[args.server]]
    started = time.monotonic()
    created = create_database(database_url, name)
    print(f"Database {name} ({'created' if created else 'reused'}), Redis {redis_url}")
    workdir = Path(tempfile.mkdtemp(prefix="emporium-bench-"))
    failures: list[str] = []
    try:
        flush_redis(redis_url)
        manage(env, "migrate", "--noinput", "-v", "0")
        print(f"[{time.monotonic() - started:.0f} s] migrated", flush=True)
        manage(env, "seed_demo", "--products", str(args.products), "--force", "-v", "0")
        # The shop's shipping methods: every benchmark cart has one chosen, as at a checkout.
        manage(env, "create_demo_checkout", "--force", "-v", "0")
        print(f"[{time.monotonic() - started:.0f} s] seeded", flush=True)
        if args.setup_only:
            return 0
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.db import connections

        from apps.catalog.models import Product

        products = Product.objects.count()
        shop = Shop()
        endpoints = build_endpoints(shop, args)
        print(f"[{time.monotonic() - started:.0f} s] customers, carts and query counts", flush=True)
        if args.only:
            wanted = {name.strip() for name in args.only.split(",")} | {"ceiling"}
            unknown = wanted - {e.name for e in endpoints}
            if unknown:
                raise SystemExit(f"No endpoint named {', '.join(sorted(unknown))}.")
            endpoints = [e for e in endpoints if e.name in wanted]
        connections.close_all()
        load_before = os.getloadavg()
        results = [bench_server(config, endpoints, args, env, workdir) for config in servers]
        load_after = os.getloadavg()

        for result in results:
            print(f"\n### {result['server']} ({products:,} products)\n")
            print(table(result))
            for row in result["rows"]:
                if row["errors"] or row["exhausted"] or not row["requests"]:
                    failures.append(
                        f"{result['server']} {row['endpoint']}: {row['errors']} errors, "
                        f"{row['exhausted']} requests past the prepared data, statuses "
                        f"{row['statuses']} {row['first_error'][:200]}"
                    )
        report = {
            "commit": git("rev-parse", "HEAD"),
            "tree_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "cores": CORES,
            "cpu": cpu_model(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in load_after],
            "settings": SETTINGS,
            "database": name,
            "products": products,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "runs": args.runs,
            "smoke": args.smoke,
            "load_generator": "wrk (bench/lua/requests.lua), 2 threads, loopback",
            "servers": results,
            "wall_s": round(time.monotonic() - started, 1),
        }
        RESULTS.mkdir(exist_ok=True)
        # The smoke run checks answers, not speed: it keeps no results unless asked to.
        target = args.json or (
            None
            if args.smoke
            else RESULTS / f"load-{args.products}-{'all' if args.servers else args.server}.json"
        )
        if target is not None:
            target.write_text(json.dumps(report, indent=2) + "\n")
            shown = target.relative_to(ROOT) if target.is_relative_to(ROOT) else target
            print(f"\nWrote {shown}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        try:
            from django.db import connections as open_connections

            open_connections.close_all()
        except Exception:  # noqa: S110 (Django may not be set up yet)
            pass
        flush_redis(redis_url)
        if args.drop:
            drop_database(database_url, name)
    print(f"Done in {time.monotonic() - started:.0f} s.")
    if failures:
        print("\nFAILED: endpoints that did not answer as expected under load:")
        for failure in failures:
            print(f"  - {failure}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Fault tests of the production web process against its own throwaway PostgreSQL and Redis.

    python deploy/fault_test.py        (make fault-test; run as root: PostgreSQL runs as `postgres`)

1. Redis stopped: the catalog is still served from the database, /readyz answers 503 naming
   the cache, an order placed meanwhile is committed; Redis back: /readyz is 200 again.
2. PostgreSQL crashed and restarted (immediate stop: recovery from the WAL) under light load:
   while it is down every failing request is a 503 problem, the web workers recover without a
   restart, and every order that was answered 201 is in the database afterwards, with stock
   that adds up.

Never touches the machine's shared services: it starts a PostgreSQL cluster (initdb into a
temporary directory) and a redis-server of its own on free loopback ports, and stops them.
"""

# A command-line script: it prints its progress, opens loopback URLs and runs SQL it builds
# itself from values it generated (no outside input).
# ruff: noqa: T201, S310, S603, S607, S608

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
# The server programs (initdb, pg_ctl) may live outside PATH; the clients are on it.
PG_BIN = Path(
    os.environ.get("PG_BIN", Path(os.path.realpath(shutil.which("initdb") or "initdb")).parent)
)
SKU = f"FAULT-{secrets.token_hex(3).upper()}"
STOCK = 10_000
ADDRESS = {"name": "Fault", "line1": "1 Main St", "city": "Paris", "postal_code": "75001",
           "country": "FR"}  # fmt: skip


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(what: str, check: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"fault-test: {what} not within {timeout:.0f} s")
        time.sleep(0.2)


def fail(message: str) -> None:
    raise SystemExit(f"fault-test: FAILED: {message}")


@dataclass
class Answer:
    status: int
    body: Any
    content_type: str


def call(base: str, method: str, path: str, body: Any = None, token: str = "") -> Answer:
    headers = {"Accept": "application/json", "X-Forwarded-Proto": "https"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            status, raw, kind = response.status, response.read(), response.headers["Content-Type"]
    except urllib.error.HTTPError as error:
        status, raw, kind = error.code, error.read(), error.headers["Content-Type"]
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw[:300]
    return Answer(status, parsed, kind or "")


class Postgres:
    def __init__(self, workdir: Path) -> None:
        self.dir = workdir / "pg"
        self.dir.mkdir()
        shutil.chown(self.dir, "postgres", "postgres")
        self.port = free_port()
        self.log = self.dir / "server.log"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D",
             str(self.dir / "data"), *args],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip

    def init(self) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(PG_BIN / "initdb"), "-D",
             str(self.dir / "data"), "-U", "postgres", "-A", "trust", "--no-sync"],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        self.start()

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir}"
        self._ctl("-l", str(self.log), "-o", options, "-w", "start")

    def crash(self) -> None:
        """Stop at once, as a crash would (no checkpoint: the restart replays the WAL)."""
        self._ctl("-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        if (self.dir / "data" / "postmaster.pid").exists():
            self._ctl("-m", "fast", "-w", "stop")

    def sql(self, query: str) -> str:
        out = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
             "-d", "emporium_fault", "-tAc", query],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        return out.stdout.strip()


class Redis:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.log = workdir / "redis.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--logfile", str(self.log)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for("redis-server", self.answers, timeout=20)

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=20)
        self.process = None


@dataclass
class Stack:
    workdir: Path
    postgres: Postgres
    redis: Redis
    env: dict[str, str] = field(default_factory=dict)
    web: subprocess.Popen[bytes] | None = None
    base: str = ""

    def manage(self, *args: str) -> str:
        out = subprocess.run(
            [str(VENV_BIN / "python"), "manage.py", *args],
            cwd=ROOT, env=self.env, capture_output=True, text=True,
        )  # fmt: skip
        if out.returncode:
            fail(f"manage.py {args[0]}:\n{out.stderr[-2000:]}")
        return out.stdout

    def start_web(self) -> None:
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        env = {**self.env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "2"}
        self.web = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "config.wsgi", "-c", "config/gunicorn.conf.py"],
            cwd=ROOT, env=env, stdout=(self.workdir / "gunicorn.log").open("wb"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_for("gunicorn", lambda: self._up("/healthz"))

    def _up(self, path: str) -> bool:
        try:
            return call(self.base, "GET", path).status == 200
        except OSError:
            return False

    def web_workers(self) -> set[int]:
        if self.web is None:
            return set()
        out = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(self.web.pid)], capture_output=True, text=True
        )
        return {int(pid) for pid in out.stdout.split()}

    def stop_web(self) -> None:
        if self.web is not None and self.web.poll() is None:
            self.web.send_signal(signal.SIGTERM)
            self.web.wait(timeout=40)


def set_up(workdir: Path, postgres: Postgres, redis: Redis) -> Stack:
    postgres.init()
    subprocess.run(
        ["createdb", "-h", "127.0.0.1", "-p", str(postgres.port), "-U", "postgres",
         "emporium_fault"],
        check=True,
    )  # fmt: skip
    redis.start()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))},
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_READ_DOT_ENV_FILE": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{postgres.port}/emporium_fault",
        "REDIS_URL": f"redis://127.0.0.1:{redis.port}/0",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis.port}/1",
        "CELERY_RESULT_BACKEND": f"redis://127.0.0.1:{redis.port}/1",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "PROMETHEUS_MULTIPROC_DIR": str(workdir / "prometheus"),
        "LOG_FORMAT": "json",
    }
    (workdir / "prometheus").mkdir()
    stack = Stack(workdir, postgres, redis, env)
    stack.manage("migrate", "--noinput", "-v", "0")
    stack.manage(
        "shell", "-v", "0", "-c",
        "from decimal import Decimal\n"
        "from apps.cart.models import ShippingMethod\n"
        "from apps.catalog import services\n"
        "from apps.users.models import User\n"
        "category = services.create_category(name='Fault lamps')\n"
        f"services.create_product(name='Fault lamp {SKU}', category=category, variants=["
        f"services.VariantInput(sku='{SKU}', price=Decimal('10.00'), stock={STOCK})])\n"
        "ShippingMethod.objects.create(name='Standard', price=Decimal('4.95'))\n"
        "for n in range(3):\n"
        "    User.objects.create_user(email=f'fault{n}@example.com', password='Fault-pass-123')\n",
    )  # fmt: skip
    stack.start_web()
    return stack


def login(stack: Stack, n: int) -> str:
    answer = call(
        stack.base, "POST", "/api/v1/auth/token/",
        {"email": f"fault{n}@example.com", "password": "Fault-pass-123"},
    )  # fmt: skip
    if answer.status != 200:
        fail(f"sign-in answered {answer.status}: {answer.body}")
    return str(answer.body["access"])


def place_order(stack: Stack, token: str) -> Answer:
    """Add one lamp and check out; the checkout's answer (or the first failure)."""
    added = call(stack.base, "POST", "/api/v1/cart/items/", {"sku": SKU, "quantity": 1}, token)
    if added.status != 201:
        return added
    methods = call(stack.base, "GET", "/api/v1/shipping-methods/", token=token)
    if methods.status != 200:
        return methods
    results = methods.body["results"] if isinstance(methods.body, dict) else methods.body
    chosen = call(
        stack.base, "PUT", "/api/v1/cart/shipping-method/",
        {"shipping_method": results[0]["id"]}, token,
    )  # fmt: skip
    if chosen.status != 200:
        return chosen
    return call(stack.base, "POST", "/api/v1/checkout/", {"shipping_address": ADDRESS}, token)


def check_problem(answer: Answer, context: str) -> None:
    """A failure must be a complete problem+json body, and a 5xx only ever a clean 503."""
    if answer.content_type != "application/problem+json":
        fail(f"{context}: {answer.status} answered as {answer.content_type}: {answer.body}")
    if answer.status >= 500 and (answer.status, answer.body.get("code")) != (
        503,
        "service_unavailable",
    ):
        fail(f"{context}: {answer.status} {answer.body}")


def redis_outage(stack: Stack) -> None:
    print("fault-test: 1. Redis stopped")
    token = login(stack, 0)
    before = call(stack.base, "GET", f"/api/v1/products/?search={SKU}")
    if before.status != 200 or not before.body["results"]:
        fail(f"catalog before the outage: {before.status} {before.body}")
    if call(stack.base, "GET", "/readyz").status != 200:
        fail("/readyz not ready before the outage")

    stack.redis.stop()
    during = call(stack.base, "GET", f"/api/v1/products/?search={SKU}")
    if during.status != 200 or during.body["results"] != before.body["results"]:
        fail(f"catalog without Redis: {during.status} {during.body}")
    fresh = call(stack.base, "GET", "/api/v1/categories/")
    if fresh.status != 200:
        fail(f"categories without Redis (an uncached read): {fresh.status} {fresh.body}")
    ready = call(stack.base, "GET", "/readyz")
    if ready.status != 503 or ready.body["checks"]["cache"]["status"] != "fail":
        fail(f"/readyz without Redis: {ready.status} {ready.body}")
    if ready.body["checks"]["database"]["status"] != "ok":
        fail(f"/readyz blamed the database: {ready.body}")
    print("fault-test:    catalog served from the database; /readyz 503, cache: fail")

    order = place_order(stack, token)
    if order.status != 201:
        fail(f"checkout without Redis (cache and broker): {order.status} {order.body}")
    number = order.body["number"]
    if stack.postgres.sql(f"SELECT count(*) FROM orders_order WHERE number = '{number}'") != "1":
        fail(f"order {number} answered 201 but is not in the database")
    print(f"fault-test:    order {number} placed and committed while Redis was down")

    stack.redis.start()
    wait_for("/readyz 200 after Redis is back", lambda: stack._up("/readyz"), timeout=30)
    print("fault-test:    Redis back: /readyz 200 without restarting the web processes")


def postgres_restart(stack: Stack) -> None:
    print("fault-test: 2. PostgreSQL crashed and restarted under load")
    tokens = [login(stack, n) for n in (1, 2)]
    workers_before = stack.web_workers()
    stock_before = int(
        stack.postgres.sql(f"SELECT stock FROM catalog_productvariant WHERE sku = '{SKU}'")
    )
    answers: list[tuple[float, str, Answer]] = []
    lock = threading.Lock()
    stop = threading.Event()
    down: dict[str, float] = {}

    def shopper(token: str) -> None:
        while not stop.is_set():
            for path, answer in (
                ("checkout", place_order(stack, token)),
                ("orders", call(stack.base, "GET", "/api/v1/orders/", token=token)),
                ("readyz", call(stack.base, "GET", "/readyz")),
            ):
                with lock:
                    answers.append((time.monotonic(), path, answer))
            time.sleep(0.05)  # light load: a shopper, not a benchmark

    threads = [threading.Thread(target=shopper, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    try:
        time.sleep(2)
        down["at"] = time.monotonic()
        stack.postgres.crash()
        time.sleep(3)
        stack.postgres.start()
        down["until"] = time.monotonic()
        time.sleep(3)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    outage = [a for t, _, a in answers if down["at"] <= t <= down["until"] + 0.5]
    after = [(p, a) for t, p, a in answers if t > down["until"] + 1]
    for moment, path, answer in answers:
        context = f"{path} at +{moment - down['at']:.1f} s"
        if path == "readyz":  # its own JSON shape: 503 names the failing check
            if answer.status != 200 and (
                answer.status != 503 or answer.body["checks"]["database"]["status"] != "fail"
            ):
                fail(f"{context}: {answer.status} {answer.body}")
        elif answer.status >= 300:
            check_problem(answer, context)
    unavailable = sum(a.status == 503 for a in outage)
    if not unavailable:
        fail("no request met the outage (nothing answered 503 while PostgreSQL was down)")
    if not any(p == "checkout" and a.status == 201 for p, a in after):
        fail(f"no checkout succeeded after the restart: {[(p, a.status) for p, a in after]}")
    if stack.web_workers() != workers_before:
        fail("the web workers were restarted")
    if stack.web is None or stack.web.poll() is not None:
        fail("gunicorn died")

    placed = [a.body["number"] for _, p, a in answers if p == "checkout" and a.status == 201]
    listed = stack.postgres.sql(
        "SELECT number FROM orders_order WHERE number IN ("
        + ",".join(f"'{n}'" for n in placed) + ")"
    ).split()  # fmt: skip
    if sorted(listed) != sorted(placed):
        fail(f"orders answered 201 but missing after the restart: {set(placed) - set(listed)}")
    sold = int(stack.postgres.sql(
        "SELECT coalesce(sum(quantity), 0) FROM orders_orderline WHERE sku = "
        f"'{SKU}' AND order_id IN (SELECT id FROM orders_order WHERE user_id IS NOT NULL "
        "AND email IN ('fault1@example.com', 'fault2@example.com'))"
    ))  # fmt: skip
    stock_after = int(
        stack.postgres.sql(f"SELECT stock FROM catalog_productvariant WHERE sku = '{SKU}'")
    )
    if stock_before - stock_after != sold:
        fail(f"stock {stock_before} -> {stock_after} but {sold} sold: stock and orders disagree")
    statuses: dict[int, int] = {}
    for _, _, answer in answers:
        statuses[answer.status] = statuses.get(answer.status, 0) + 1
    print(
        f"fault-test:    {len(answers)} requests, statuses {dict(sorted(statuses.items()))}; "
        f"{unavailable} clean 503s during the {down['until'] - down['at']:.1f} s outage"
    )
    print(
        f"fault-test:    {len(placed)} orders answered 201, all committed; stock adds up; "
        "same web workers before and after"
    )


def main() -> None:
    if os.geteuid() != 0:
        raise SystemExit("fault-test: run as root (PostgreSQL is started as the postgres user)")
    workdir = Path(tempfile.mkdtemp(prefix="emporium-fault-"))
    workdir.chmod(0o755)
    postgres, redis = Postgres(workdir), Redis(workdir)
    stack: Stack | None = None
    started = time.monotonic()
    try:
        stack = set_up(workdir, postgres, redis)
        redis_outage(stack)
        postgres_restart(stack)
    except BaseException:
        log = workdir / "gunicorn.log"
        if log.exists():
            print("----- gunicorn.log (last 15 lines)", file=sys.stderr)
            print("\n".join(log.read_text().splitlines()[-15:]), file=sys.stderr)
        raise
    finally:
        if stack is not None:
            stack.stop_web()
        redis.stop()
        postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"fault-test: ok in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()

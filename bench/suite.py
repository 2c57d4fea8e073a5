"""`make bench`: the load benchmark at 10,000 and 100,000 products, and the docs table from it.

Runs `bench/load.py` once per catalog size (sync workers, production's throttles on), and at
the smaller size once more with Django's psycopg pool instead of persistent connections, then
writes the goals table of docs/performance.md (between its `bench:goals` markers) from the
results of this run: each path's req/s, ratio to the ceiling measured in the same run, p50/p99,
queries per request and worker RSS, against the goal it has.
"""

import argparse
import json
import re
import subprocess  # nosec B404
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- bench:goals:begin -->", "<!-- bench:goals:end -->"
SIZES = (10_000, 100_000)
REDIS_DB = {10_000: 8, 100_000: 9}

Row = dict[str, Any]


def first_number(queries: Any) -> int | None:
    """Return the first count of a "queries" cell ("8 new line, 8 same line" → 8).

    None where the count failed in-process ("error", or "(500)": the status it answered).
    """
    match = re.match(r"\d+", str(queries))
    return int(match.group()) if match else None


@dataclass(frozen=True)
class Goal:
    endpoint: str
    text: str
    met: Callable[[Row], bool]
    sizes: tuple[int, ...] = SIZES  # where the goal applies


GOALS = [
    Goal("products warm", ">= 0.8x ceiling", lambda r: r["ratio_to_ceiling"] >= 0.8),
    Goal("product detail warm", ">= 0.8x ceiling", lambda r: r["ratio_to_ceiling"] >= 0.8),
    Goal(
        "products cold",
        "p99 < 50 ms at 100,000 products, <= 3 queries",
        lambda r: r["p99_ms"] < 50 and (first_number(r["queries"]) or 99) <= 3,
        sizes=(100_000,),
    ),
    Goal(
        "cart read",
        ">= 1000 req/s, p99 < 30 ms",
        lambda r: r["requests_per_s"] >= 1000 and r["p99_ms"] < 30,
    ),
    Goal(
        "add to cart",
        "<= 5 queries, >= 500 req/s",
        lambda r: (first_number(r["queries"]) or 99) <= 5 and r["requests_per_s"] >= 500,
    ),
    Goal(
        "checkout",
        "<= 12 queries, p99 < 100 ms at 16 connections, no oversell",
        lambda r: (first_number(r["queries"]) or 99) <= 12 and r["p99_ms"] < 100,
    ),
    Goal("storefront product", ">= 0.6x ceiling", lambda r: r["ratio_to_ceiling"] >= 0.6),
]


def run(size: int, server: str, args: argparse.Namespace) -> Path:
    target = RESULTS / f"load-{size}-{server}.json"
    command = [
        sys.executable,
        str(ROOT / "bench" / "load.py"),
        f"--products={size}",
        f"--server={server}",
        f"--duration={args.duration}",
        f"--warmup={args.warmup}",
        f"--runs={args.runs}",
        f"--redis-db={REDIS_DB[size]}",
        f"--json={target}",
    ]
    print("$", " ".join(command[1:]), flush=True)
    subprocess.run(command, check=True)  # noqa: S603  # nosec B603
    return target


def rows_of(report: dict[str, Any]) -> dict[str, Row]:
    return {row["endpoint"]: row for row in report["servers"][0]["rows"]}


def cell(row: Row | None) -> str:
    if row is None:
        return "—"
    queries = first_number(row["queries"])
    return (
        f"{row['requests_per_s']:.0f} ({row['ratio_to_ceiling']:.2f}x), "
        f"{row['p50_ms']:.0f} / {row['p99_ms']:.0f} ms, {'?' if queries is None else queries} q"
    )


def goals_table(reports: dict[str, dict[str, Any]]) -> str:
    """Return the Markdown of the goals table and the facts of the run under it."""
    sync = {size: rows_of(reports[f"{size}-sync"]) for size in SIZES}
    pool = rows_of(reports[f"{SIZES[0]}-sync-pool"])
    head = (
        "| path | goal | 10,000 products | 100,000 products | "
        "10,000, psycopg pool | met? |\n|---|---|---|---|---|---|"
    )
    lines = [head]
    named = {goal.endpoint: goal for goal in GOALS}
    for endpoint in sync[SIZES[0]]:
        goal = named.get(endpoint)
        sizes = goal.sizes if goal else ()
        verdicts = [goal.met(sync[s][endpoint]) for s in sizes if goal and endpoint in sync[s]]
        met = ("yes" if all(verdicts) else "no") if verdicts else ""
        lines.append(
            f"| {endpoint} | {goal.text if goal else ''} | {cell(sync[SIZES[0]].get(endpoint))} "
            f"| {cell(sync[SIZES[1]].get(endpoint))} | {cell(pool.get(endpoint))} | {met} |"
        )
    facts = []
    for key, report in reports.items():
        server = report["servers"][0]
        facts.append(
            f"`{key}`: ceiling {server['ceiling_requests_per_s']:.0f} req/s, worker RSS up to "
            f"{server['worker_rss_max_mb']} MB, load average {report['load_average_before'][0]} "
            f"→ {report['load_average_after'][0]}"
        )
    first = next(iter(reports.values()))
    dirty = " plus uncommitted changes" if first["tree_dirty"] else ""
    lines.append("")
    lines.append(
        f"Each cell: req/s (ratio to the ceiling of the same server in the same run), p50 / p99, "
        f"queries per request (add to cart: a new line; checkout: per order, every cart size). "
        f"Commit `{first['commit'][:7]}`{dirty}, "
        f"{first['date']}, {first['cores']} cores ({first['cpu']}), "
        f"{first['duration_s']} s per endpoint after {first['warmup_s']} s of warm-up, "
        f"{first['runs']} run(s). " + "; ".join(facts) + "."
    )
    return "\n".join(lines)


def write_doc(table: str) -> None:
    text = DOC.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{DOC.relative_to(ROOT)} has no {BEGIN} ... {END} section.")
    before, rest = text.split(BEGIN, 1)
    _, after = rest.split(END, 1)
    DOC.write_text(f"{before}{BEGIN}\n{table}\n{END}{after}")
    print(f"Wrote the goals table into {DOC.relative_to(ROOT)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per endpoint (10)")
    parser.add_argument("--warmup", type=int, default=2, help="warm-up seconds (2)")
    parser.add_argument("--runs", type=int, default=1, help="runs per endpoint; medians (1)")
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite the table from the stored results"
    )
    args = parser.parse_args(argv)
    plan = [(size, "sync") for size in SIZES] + [(SIZES[0], "sync-pool")]
    paths = {
        f"{size}-{server}": (
            RESULTS / f"load-{size}-{server}.json" if args.report_only else run(size, server, args)
        )
        for size, server in plan
    }
    reports = {key: json.loads(path.read_text()) for key, path in paths.items()}
    table = goals_table(reports)
    print(table)
    write_doc(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())

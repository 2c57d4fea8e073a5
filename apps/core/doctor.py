"""Production health triage: the checks `manage.py doctor` runs, each a small function.

Each check returns (passed, detail). They read settings when they run, never at import.
"""

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from io import StringIO
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

Outcome = tuple[bool, str]

# The development defaults shipped in the settings: never acceptable in production.
KNOWN_DEFAULT_SECRETS = {
    "local-development-key-not-for-production",
    "test-only-secret-key-with-enough-length-for-hmac",
    "sandbox-webhook-secret",
}


@dataclass(frozen=True)
class Check:
    name: str
    run: Callable[[], Outcome]


def settings_module() -> Outcome:
    module = os.environ.get("DJANGO_SETTINGS_MODULE", "")
    return module.endswith(".production"), f"DJANGO_SETTINGS_MODULE={module or '(unset)'}"


def secrets_from_environment() -> Outcome:
    weak = []
    if not os.environ.get("SECRET_KEY") or settings.SECRET_KEY in KNOWN_DEFAULT_SECRETS:
        weak.append("SECRET_KEY")
    if settings.SANDBOX_ENABLED and settings.SANDBOX_WEBHOOK_SECRET in KNOWN_DEFAULT_SECRETS:
        weak.append("SANDBOX_WEBHOOK_SECRET")
    return not weak, "from the environment" if not weak else f"default or missing: {weak}"


def debug_off() -> Outcome:
    return not settings.DEBUG, f"DEBUG={settings.DEBUG}"


def database_pooling(db: dict[str, Any] | None = None) -> Outcome:
    db = db if db is not None else settings.DATABASES[DEFAULT_DB_ALIAS]
    pool = db.get("OPTIONS", {}).get("pool")
    max_age = db.get("CONN_MAX_AGE", 0)
    if pool:
        return True, "psycopg connection pool"
    if db.get("DISABLE_SERVER_SIDE_CURSORS") and getattr(settings, "DB_BEHIND_PGBOUNCER", False):
        return True, "PgBouncer (transaction pooling)"
    return bool(max_age), f"CONN_MAX_AGE={max_age}"


def migrations_applied() -> Outcome:
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    names = [f"{migration.app_label}.{migration.name}" for migration, _ in pending]
    return not names, "none pending" if not names else f"unapplied: {', '.join(names[:5])}"


def static_collected() -> Outcome:
    manifest = os.path.join(settings.STATIC_ROOT, "staticfiles.json")
    return os.path.exists(manifest), f"manifest at {manifest}"


def broker_reachable() -> Outcome:
    from config.celery import app

    if settings.CELERY_TASK_ALWAYS_EAGER:
        return False, "tasks run eagerly (CELERY_TASK_ALWAYS_EAGER): no broker in use"
    started = time.perf_counter()
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
    except Exception as exc:
        return False, f"{type(exc).__name__}: {exc}"
    return (
        True,
        f"{app.conf.broker_url.split('@')[-1]} in {(time.perf_counter() - started) * 1000:.0f} ms",
    )


def cache_reachable() -> Outcome:
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.endswith(("DummyCache", "LocMemCache")):
        return False, f"{backend.rsplit('.', 1)[-1]} is not a shared cache"
    token = str(time.monotonic_ns())
    cache.set("doctor:probe", token, timeout=10)
    if cache.get("doctor:probe") != token:
        return False, "the cache did not return the value just written"
    return True, backend.rsplit(".", 1)[-1]


def metrics_protected() -> Outcome:
    token = settings.METRICS_TOKEN
    if token and len(token) < 32:
        return False, "METRICS_TOKEN is shorter than 32 characters"
    networks = settings.METRICS_ALLOWED_NETWORKS
    if any(cidr.split("/")[-1] == "0" for cidr in networks):
        return False, f"METRICS_ALLOWED_NETWORKS opens /metrics to everyone: {networks}"
    return True, f"networks {', '.join(networks) or '(none)'}; token {'set' if token else 'unset'}"


def deploy_checks_clean() -> Outcome:
    output = StringIO()
    try:
        call_command("check", deploy=True, fail_level="WARNING", stdout=output, stderr=output)
    except Exception as exc:
        return False, str(exc).splitlines()[0][:200]
    return True, "check --deploy: no issues"


CHECKS = [
    Check("Production settings in use", settings_module),
    Check("Secrets from the environment", secrets_from_environment),
    Check("DEBUG off", debug_off),
    Check("Database connections reused", database_pooling),
    Check("Migrations applied", migrations_applied),
    Check("Static files collected", static_collected),
    Check("Task broker reachable", broker_reachable),
    Check("Shared cache reachable", cache_reachable),
    Check("Metrics endpoint restricted", metrics_protected),
    Check("Deployment checks clean", deploy_checks_clean),
]


def run_checks() -> list[tuple[str, bool, str]]:
    """Run every check; a check that raises counts as failed with its error."""
    results = []
    for check in CHECKS:
        try:
            passed, detail = check.run()
        except Exception as exc:
            passed, detail = False, f"{type(exc).__name__}: {exc}"
        results.append((check.name, passed, detail))
    return results

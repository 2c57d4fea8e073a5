"""The settings split: production fails fast, tests refuse to fake the real services."""

import os
import subprocess
import sys

import pytest

from apps.core.tests.settings_probe import PRODUCTION_ENV, ROOT, run_with_settings


def _import_settings(module: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Load a settings module in a fresh interpreter with exactly this environment."""
    return run_with_settings(
        module,
        env,
        "from django.conf import settings; "
        "print(settings.DEBUG, settings.DATABASES['default']['ENGINE'])",
    )


def test_production_refuses_to_start_and_names_every_missing_variable():
    result = _import_settings("config.settings.production", {})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    for name in PRODUCTION_ENV:
        assert name in result.stderr


def test_production_names_only_what_is_missing():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "REDIS_URL"}
    result = _import_settings("config.settings.production", env)
    assert result.returncode != 0
    message = result.stderr.strip().splitlines()[-1]
    assert message.endswith(
        "Production settings need these environment variables, which are missing or empty: "
        "REDIS_URL. See .env.example for what each one means."
    )


def test_production_asks_for_the_payment_provider_s_secrets():
    result = _import_settings(
        "config.settings.production", {**PRODUCTION_ENV, "PAYMENT_GATEWAY": "stripe"}
    )
    assert result.returncode != 0
    message = result.stderr.strip().splitlines()[-1]
    assert "STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET." in message

    result = _import_settings(
        "config.settings.production", {**PRODUCTION_ENV, "SANDBOX_ENABLED": "true"}
    )
    assert result.returncode != 0
    assert "SANDBOX_WEBHOOK_SECRET" in result.stderr.strip().splitlines()[-1]


def test_production_starts_with_its_variables_and_debug_off():
    result = _import_settings("config.settings.production", PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "django.db.backends.postgresql"]


def test_production_limits_how_long_a_statement_may_run():
    env = {**PRODUCTION_ENV, "DB_STATEMENT_TIMEOUT_MS": "7000"}
    result = run_with_settings(
        "config.settings.production",
        env,
        "from django.conf import settings; "
        "print(settings.DATABASES['default']['OPTIONS']['options'])",
    )
    assert result.stdout.strip() == "-c statement_timeout=7000", result.stderr


MEDIA_PROBE = (
    "from django.core.files.storage import storages; media = storages['default']; "
    "print(type(media).__name__, media.url('products/mug.jpg'))"
)


def test_media_goes_to_the_local_disk_without_a_bucket():
    result = run_with_settings("config.settings.production", PRODUCTION_ENV, MEDIA_PROBE)
    assert result.stdout.split() == ["FileSystemStorage", "/media/products/mug.jpg"], result.stderr


def test_media_goes_to_an_s3_compatible_bucket_when_one_is_set():
    env = {
        **PRODUCTION_ENV,
        "MEDIA_BUCKET": "shop-media",
        "MEDIA_ENDPOINT_URL": "http://127.0.0.1:9000",
        "MEDIA_SIGNED_URLS": "false",
    }
    result = run_with_settings("config.settings.production", env, MEDIA_PROBE)
    assert result.stdout.split() == [
        "S3Storage",
        "http://127.0.0.1:9000/shop-media/media/products/mug.jpg",
    ], result.stderr


def test_local_settings_need_nothing():
    result = _import_settings("config.settings.local", {})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "django.db.backends.sqlite3"]


# A request for a missing page and one for a stylesheet, on a freshly migrated demo database.
DEMO_PAGES = """
from django.core.management import call_command
from django.test import Client
call_command("migrate", verbosity=0)
client = Client(HTTP_HOST="127.0.0.1")
missing = client.get("/no-such-page/")
body = missing.content.decode()
css = client.get("/static/storefront/css/store.css")
branded, technical = "We could not find that page" in body, "URLconf" in body
print(missing.status_code, branded, technical, css.status_code)
"""


@pytest.mark.parametrize(
    ("debug", "expected"),
    [("false", ["404", "True", "False", "200"]), ("true", ["404", "False", "True", "200"])],
    ids=["make run", "DEBUG=true make run"],
)
def test_the_demo_shows_the_shops_404_page_and_the_technical_one_a_setting_away(
    tmp_path, debug, expected
):
    """`make run` serves with DEBUG off: the branded page, not every URL pattern, and static
    files still served; DEBUG=true brings Django's technical page back."""
    env = {"DEBUG": debug, "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}"}

    result = run_with_settings("config.settings.local", env, DEMO_PAGES)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-4:] == expected


def test_make_run_serves_with_debug_off_unless_asked():
    makefile = (ROOT / "Makefile").read_text()
    run = makefile[makefile.index("\nrun:") :].split("\n\n", 1)[0]
    assert "DEBUG=$${DEBUG:-false} $(MANAGE) runserver" in run


def test_test_settings_refuse_sqlite_when_services_are_required():
    result = _import_settings("config.settings.test", {"REQUIRE_SERVICES": "1"})
    assert result.returncode != 0
    assert "REQUIRE_SERVICES=1" in result.stderr
    assert "DATABASE_URL" in result.stderr
    assert "REDIS_URL" in result.stderr


def test_production_passes_the_deploy_checks():
    clean = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_READ_DOT_ENV_FILE": "0",
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            **PRODUCTION_ENV,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout

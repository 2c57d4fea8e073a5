"""`manage.py doctor`: each check tells healthy from unhealthy, and the command scores them."""

import pytest
from django.core.management import CommandError, call_command

from apps.core import doctor

pytestmark = pytest.mark.django_db


def test_the_command_prints_a_scored_checklist_and_fails_when_a_check_fails(capsys):
    # The test settings are not production: several checks must fail.
    with pytest.raises(CommandError, match="check\\(s\\) failed"):
        call_command("doctor")
    out = capsys.readouterr().out
    assert f"/{len(doctor.CHECKS)}" in out
    assert "✘ Production settings in use" in out
    assert "✘ DEBUG off" not in out  # the test settings do run with DEBUG off
    assert "✔ Migrations applied: none pending" in out


def test_the_command_passes_when_every_check_passes(monkeypatch, capsys):
    passing = [doctor.Check(check.name, lambda: (True, "fine")) for check in doctor.CHECKS]
    monkeypatch.setattr(doctor, "CHECKS", passing)
    call_command("doctor")
    assert f"Score: {len(passing)}/{len(passing)}" in capsys.readouterr().out


def test_a_check_that_raises_counts_as_failed(monkeypatch):
    def broken() -> doctor.Outcome:
        raise RuntimeError("boom")

    monkeypatch.setattr(doctor, "CHECKS", [doctor.Check("Broken", broken)])
    assert doctor.run_checks() == [("Broken", False, "RuntimeError: boom")]


def test_settings_module(monkeypatch):
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "config.settings.production")
    assert doctor.settings_module()[0] is True
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "config.settings.local")
    assert doctor.settings_module()[0] is False


def test_secrets(monkeypatch, settings):
    monkeypatch.setenv("SECRET_KEY", "x" * 60)
    settings.SECRET_KEY = "x" * 60
    settings.SANDBOX_ENABLED = False
    assert doctor.secrets_from_environment() == (True, "from the environment")
    settings.SANDBOX_ENABLED = True
    settings.SANDBOX_WEBHOOK_SECRET = "sandbox-webhook-secret"
    assert doctor.secrets_from_environment()[0] is False
    monkeypatch.delenv("SECRET_KEY")
    assert "SECRET_KEY" in doctor.secrets_from_environment()[1]


def test_debug_and_database_pooling(settings):
    settings.DEBUG = True
    assert doctor.debug_off()[0] is False
    settings.DEBUG = False
    assert doctor.debug_off()[0] is True
    assert doctor.database_pooling({"CONN_MAX_AGE": 0, "OPTIONS": {}})[0] is False
    assert doctor.database_pooling({"CONN_MAX_AGE": 60}) == (True, "CONN_MAX_AGE=60")
    assert doctor.database_pooling({"OPTIONS": {"pool": True}})[0] is True


def test_static_files(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    assert doctor.static_collected()[0] is False
    (tmp_path / "staticfiles.json").write_text("{}")
    assert doctor.static_collected()[0] is True


def test_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert doctor.cache_reachable()[0] is False
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.2},
        }
    }
    assert doctor.cache_reachable() == (False, "the cache did not return the value just written")


def test_broker(settings):
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert doctor.broker_reachable()[0] is False
    settings.CELERY_TASK_ALWAYS_EAGER = False
    saved = app.conf.get("broker_write_url")
    app.conf["broker_write_url"] = "redis://127.0.0.1:1/0"
    try:
        passed, detail = doctor.broker_reachable()
    finally:
        app.conf["broker_write_url"] = saved
    assert passed is False
    assert "Error" in detail

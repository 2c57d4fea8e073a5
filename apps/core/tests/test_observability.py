"""Sentry and OpenTelemetry: off unless configured, started from one place when they are."""

from unittest import mock

import pytest
from django.test import override_settings

from apps.core import observability


def test_nothing_starts_without_its_variables() -> None:
    with (
        override_settings(SENTRY_DSN="", OTEL_EXPORTER_OTLP_ENDPOINT=""),
        mock.patch.object(observability, "init_sentry") as sentry,
        mock.patch.object(observability, "init_tracing") as tracing,
    ):
        assert observability.init_observability() == []
    sentry.assert_not_called()
    tracing.assert_not_called()


def test_the_default_settings_configure_neither(settings: pytest.FixtureRequest) -> None:
    assert settings.SENTRY_DSN == ""  # type: ignore[attr-defined]
    assert settings.OTEL_EXPORTER_OTLP_ENDPOINT == ""  # type: ignore[attr-defined]


@override_settings(SENTRY_DSN="https://key@sentry.example.com/1", OTEL_EXPORTER_OTLP_ENDPOINT="")
def test_sentry_starts_with_a_dsn() -> None:
    with (
        mock.patch.object(observability, "init_sentry") as sentry,
        mock.patch.object(observability, "init_tracing") as tracing,
    ):
        assert observability.init_observability() == ["sentry"]
    sentry.assert_called_once_with()
    tracing.assert_not_called()


@override_settings(SENTRY_DSN="", OTEL_EXPORTER_OTLP_ENDPOINT="http://collector:4318")
def test_tracing_starts_with_an_endpoint() -> None:
    with (
        mock.patch.object(observability, "init_sentry") as sentry,
        mock.patch.object(observability, "init_tracing") as tracing,
    ):
        assert observability.init_observability() == ["opentelemetry"]
    tracing.assert_called_once_with()
    sentry.assert_not_called()


@override_settings(
    SENTRY_DSN="https://key@sentry.example.com/1",
    RELEASE="2031.03.1",
    SENTRY_ENVIRONMENT="staging",
    SENTRY_TRACES_SAMPLE_RATE=0.25,
)
def test_sentry_is_told_the_release_and_no_personal_data() -> None:
    with mock.patch("sentry_sdk.init") as init:
        observability.init_sentry()
    options = init.call_args.kwargs
    assert options["dsn"] == "https://key@sentry.example.com/1"
    assert options["release"] == "2031.03.1"
    assert options["environment"] == "staging"
    assert options["send_default_pii"] is False
    assert options["traces_sample_rate"] == 0.25
    assert {type(i).__name__ for i in options["integrations"]} == {
        "DjangoIntegration",
        "CeleryIntegration",
    }


@override_settings(OTEL_EXPORTER_OTLP_ENDPOINT="http://collector:4318/", OTEL_SERVICE_NAME="shop")
def test_tracing_exports_django_requests_over_otlp_http() -> None:
    with (
        mock.patch("opentelemetry.trace.set_tracer_provider") as set_provider,
        mock.patch(
            "opentelemetry.instrumentation.django.DjangoInstrumentor.instrument"
        ) as instrument,
        mock.patch(
            "opentelemetry.exporter.otlp.proto.http.trace_exporter.OTLPSpanExporter"
        ) as exporter,
    ):
        observability.init_tracing()
    exporter.assert_called_once_with(endpoint="http://collector:4318/v1/traces")
    provider = set_provider.call_args.args[0]
    assert provider.resource.attributes["service.name"] == "shop"
    assert instrument.call_args.kwargs["tracer_provider"] is provider
    provider.shutdown()

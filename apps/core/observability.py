"""Error tracking (Sentry) and tracing (OpenTelemetry), each on only when its variable is set.

`init_observability()` is the one place both start; the core app calls it when Django is set
up, so web processes (WSGI and ASGI), Celery workers and management commands all get it.
"""

import logging

from django.conf import settings

logger = logging.getLogger(__name__)


def init_sentry() -> None:
    """Send unhandled errors from Django and Celery to Sentry, without personal data."""
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=settings.SENTRY_DSN,
        release=settings.RELEASE,
        environment=settings.SENTRY_ENVIRONMENT,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        traces_sample_rate=settings.SENTRY_TRACES_SAMPLE_RATE,
    )


def init_tracing() -> None:
    """Export a trace of every Django request to the OTLP/HTTP collector."""
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.sdk.resources import SERVICE_NAME, SERVICE_VERSION, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create(
        {SERVICE_NAME: settings.OTEL_SERVICE_NAME, SERVICE_VERSION: settings.RELEASE}
    )
    provider = TracerProvider(resource=resource)
    # The variable names the collector's base address, as the OpenTelemetry SDKs read it;
    # headers (OTEL_EXPORTER_OTLP_HEADERS) are read by the exporter itself.
    endpoint = settings.OTEL_EXPORTER_OTLP_ENDPOINT.rstrip("/") + "/v1/traces"
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    trace.set_tracer_provider(provider)
    DjangoInstrumentor().instrument(tracer_provider=provider)


def init_observability() -> list[str]:
    """Start whatever is configured and return what was started."""
    started = []
    if settings.SENTRY_DSN:
        init_sentry()
        started.append("sentry")
    if settings.OTEL_EXPORTER_OTLP_ENDPOINT:
        init_tracing()
        started.append("opentelemetry")
    if started:
        logger.info("Observability started: %s", ", ".join(started))
    return started

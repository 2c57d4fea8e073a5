"""App configuration for outbound webhooks (the outbox, endpoints and deliveries)."""

from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "apps.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

"""App configuration for the server-rendered storefront (no models of its own)."""

from django.apps import AppConfig


class StorefrontConfig(AppConfig):
    name = "apps.storefront"
    label = "storefront"
    verbose_name = "Storefront"

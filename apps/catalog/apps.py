"""App configuration for the catalog."""

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "apps.catalog"
    label = "catalog"
    verbose_name = "Catalog"

    def ready(self) -> None:
        from apps.catalog import signals  # noqa: F401  (catalog writes bump the cache version)

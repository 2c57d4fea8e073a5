"""App configuration for the shared core."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from apps.core import celery_signals  # noqa: F401  (connects the task context hooks)

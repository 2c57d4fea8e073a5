"""App configurations: the shared core, and the admin running the Emporium admin site."""

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from apps.core import celery_signals  # noqa: F401  (connects the task context hooks)
        from apps.core.observability import init_observability

        init_observability()


class EmporiumAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin, serving the Emporium admin site as the default `admin.site`."""

    # Named in INSTALLED_APPS; never the default of apps.core, which is CoreConfig.
    default = False
    default_site = "apps.core.admin_site.EmporiumAdminSite"

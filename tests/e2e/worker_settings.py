"""Settings of the worker processes of the end-to-end tests: the test settings, with tasks a
task enqueues published to the broker as in production, not run inside it."""

from config.settings.test import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False

"""Load a settings module in a fresh interpreter with exactly the environment a test gives."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# The least a production process needs; tests add or override variables.
PRODUCTION_ENV = {
    "SECRET_KEY": "a-real-secret-that-is-long-enough-to-pass-the-deploy-checks-1234567890",
    "DATABASE_URL": "postgres://shop@db.internal:5432/emporium",
    "ALLOWED_HOSTS": "shop.example.com",
    "REDIS_URL": "redis://cache.internal:6379/0",
}


def run_with_settings(
    module: str, env: dict[str, str], code: str
) -> subprocess.CompletedProcess[str]:
    """Run `code` after django.setup() with settings `module` and only this environment."""
    clean = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}}
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", "import django; django.setup(); " + code],
        cwd=ROOT,
        env={**clean, "DJANGO_READ_DOT_ENV_FILE": "0", "DJANGO_SETTINGS_MODULE": module, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

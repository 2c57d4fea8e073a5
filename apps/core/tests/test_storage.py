"""Where browsers load media from: the origin the Content-Security-Policy allows for images."""

import pytest

from apps.core.storage import media_origin
from apps.core.tests.settings_probe import PRODUCTION_ENV, run_with_settings


def s3(**options: str) -> dict:
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


@pytest.mark.parametrize(
    ("storage", "origin"),
    [
        ({"BACKEND": "django.core.files.storage.FileSystemStorage"}, ""),
        (
            s3(bucket_name="shop", custom_domain="media.shop.example.com"),
            "https://media.shop.example.com",
        ),
        (
            s3(bucket_name="shop", custom_domain="localhost:8080", url_protocol="http:"),
            "http://localhost:8080",
        ),
        (s3(bucket_name="shop", endpoint_url="http://127.0.0.1:9000/"), "http://127.0.0.1:9000"),
        (s3(bucket_name="shop"), "https://shop.s3.amazonaws.com"),
        (
            s3(bucket_name="shop", region_name="eu-central-1"),
            "https://shop.s3.eu-central-1.amazonaws.com",
        ),
    ],
    ids=["disk", "cdn", "plain-http", "endpoint", "aws", "aws-region"],
)
def test_the_media_origin_follows_the_storage(storage, origin):
    assert media_origin(storage) == origin


CSP_PROBE = (
    "from django.conf import settings; "
    "print(' '.join(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']))"
)


def test_production_allows_images_from_the_bucket_and_only_from_there():
    env = {**PRODUCTION_ENV, "MEDIA_BUCKET": "shop-media", "MEDIA_CUSTOM_DOMAIN": "cdn.example.com"}
    result = run_with_settings("config.settings.production", env, CSP_PROBE)
    assert result.stdout.split() == ["'self'", "data:", "https://cdn.example.com"], result.stderr

    result = run_with_settings("config.settings.production", PRODUCTION_ENV, CSP_PROBE)
    assert result.stdout.split() == ["'self'", "data:"], result.stderr

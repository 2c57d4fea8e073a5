"""Media storage helpers the settings use (so this module imports nothing of Django's)."""

from typing import Any
from urllib.parse import urlsplit


def media_origin(storage: dict[str, Any]) -> str:
    """Return the origin browsers load media from for a STORAGES entry ("" for this site).

    A bucket's files come from its custom domain (a CDN, or this site's own nginx), else from
    its S3-compatible endpoint, else from AWS's virtual-hosted bucket address.
    """
    options = storage.get("OPTIONS") or {}
    if not options.get("bucket_name"):
        return ""
    if domain := options.get("custom_domain"):
        host = str(domain).split("/", 1)[0]
        return f"{options.get('url_protocol') or 'https:'}//{host}"
    if endpoint := options.get("endpoint_url"):
        parts = urlsplit(str(endpoint))
        return f"{parts.scheme}://{parts.netloc}"
    region = options.get("region_name")
    suffix = f"s3.{region}.amazonaws.com" if region else "s3.amazonaws.com"
    return f"https://{options['bucket_name']}.{suffix}"

"""Which URLs may receive webhooks: http(s) only, never with credentials, and, unless
WEBHOOK_ALLOW_INSECURE_URLS is on, only https to public hosts.

`check_url` runs when an endpoint is saved (on the host as written); `refused_address` runs
before each request, on the addresses the host resolves to then, so a public name that later
points at an internal address is refused too.
"""

import ipaddress
import socket
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

LOCAL_NAMES = ("localhost", "localhost.localdomain")
LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain")


def _is_private(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def _literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def check_url(url: str) -> tuple[str, list[str]]:
    """Return the URL normalized (scheme and host lower case) and what is wrong with it.

    An empty list of problems means the URL is acceptable.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port  # raises on a port that is not a number in range
    except ValueError:
        return url, ["Enter a valid URL."]
    problems: list[str] = []
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in {"http", "https"}:
        return url, ["The URL must start with https:// (or http://)."]
    if not host:
        return url, ["The URL has no host name."]
    if parts.username is not None or parts.password is not None:
        problems.append(
            "The URL must not carry a user name or password; "
            "receivers check the Emporium-Signature header instead."
        )
    if parts.fragment:
        problems.append("The URL must not have a #fragment.")
    if not settings.WEBHOOK_ALLOW_INSECURE_URLS:
        if scheme != "https":
            problems.append("The URL must use https://.")
        literal = _literal_address(host)
        if (literal is not None and _is_private(literal)) or (
            host in LOCAL_NAMES or host.endswith(LOCAL_SUFFIXES)
        ):
            problems.append("The URL must point at a public host, not a local or private one.")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    normalized = urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))
    return normalized, problems


def refused_address(url: str) -> str | None:
    """Return why a request to `url` must not be made now, or None when it may.

    Without WEBHOOK_ALLOW_INSECURE_URLS, every address the host resolves to must be public.
    """
    if settings.WEBHOOK_ALLOW_INSECURE_URLS:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        return f"Could not resolve {host}: {exc}"
    for info in infos:
        address = _literal_address(str(info[4][0]).split("%", 1)[0])
        if address is None or _is_private(address):
            return f"Refused: {host} resolves to a non-public address ({info[4][0]})."
    return None

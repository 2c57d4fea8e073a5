"""Whole catalog pages kept for the visitors who all see the same page.

A visitor with no session cookie and no message waiting, asking for a page with no query
string, is not signed in and has an empty cart: the page is the same for every such visitor
but for the CSRF token of its forms. It is stored once per catalog version (as the catalog's
API answers are, `apps.catalog.cache.StoredResponse`) with the token cut out, and served with
the visitor's own token put back: one cache read instead of a template render.
"""

import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.cache import patch_vary_headers

from apps.catalog import selectors as catalog_selectors
from apps.catalog.cache import read_response, response_key, store_response

CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')
TOKEN_SLOT = b'name="csrfmiddlewaretoken" value="{csrf-token}"'

View = Callable[..., HttpResponse]


def _is_shared_visit(request: HttpRequest) -> bool:
    """Whether nothing of the visitor's own can be on the page `request` asks for."""
    return (
        request.method == "GET"
        and not request.META.get("QUERY_STRING")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and CookieStorage.cookie_name not in request.COOKIES
    )


def _stayed_shared(request: HttpRequest, response: HttpResponse) -> bool:
    """Whether the page just made is still everyone's: a plain 200 that started no session
    and left no message for the next page."""
    session = getattr(request, "session", None)
    return (
        response.status_code == 200
        and not response.streaming
        and not (session is not None and session.modified)
        and len(get_messages(request)) == 0
    )


def cache_shared_page(view: View) -> View:
    """Serve `view`'s page from the catalog cache to visitors who all see the same page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not _is_shared_visit(request):
            return view(request, *args, **kwargs)
        key = response_key("page", request.build_absolute_uri())
        version, stored = read_response(key)
        if stored is None:
            response = view(request, *args, **kwargs)
            if version is not None and _stayed_shared(request, response):
                store_response(  # no ETag: the token makes every page differ
                    key,
                    version=version,
                    content=CSRF_FIELD.sub(TOKEN_SLOT, response.content),
                    content_type=response["Content-Type"],
                    expires_at=catalog_selectors.get_discount_map().next_change,
                )
            return response
        token = get_token(request).encode()  # the visitor's own: sets the cookie if new
        slot = TOKEN_SLOT.replace(b"{csrf-token}", token)
        response = HttpResponse(
            stored.content.replace(TOKEN_SLOT, slot), content_type=stored.content_type
        )
        patch_vary_headers(response, ["Cookie"])
        return response

    return wrapper

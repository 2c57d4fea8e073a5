"""Keep a signed-in user's last_seen_at current without a write per request."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from apps.users.services import touch_last_seen


class LastSeenMiddleware:
    """After the view ran (and DRF authenticated the request), note that the user was seen."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # DRF copies the user it authenticated (e.g. from a JWT) onto the Django request.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            touch_last_seen(user=user)
        return response

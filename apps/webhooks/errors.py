"""Errors the webhook services raise (rendered as problem+json by the API)."""

from apps.core.errors import Conflict, DomainError


class InvalidEndpoint(DomainError):
    """The endpoint's URL or event types are not acceptable."""

    code = "invalid_webhook_endpoint"
    title = "Invalid webhook endpoint"


class EndpointExists(Conflict):
    """Another endpoint already has this URL."""

    code = "webhook_endpoint_exists"
    title = "A webhook endpoint with this URL exists"


class EndpointInactive(Conflict):
    """The delivery's endpoint is disabled, so nothing can be sent to it."""

    code = "webhook_endpoint_inactive"
    title = "The webhook endpoint is disabled"

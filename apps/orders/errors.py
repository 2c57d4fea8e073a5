"""Errors raised by checkout and the order services."""

from apps.core.errors import DomainError


class EmptyCart(DomainError):
    code = "empty_cart"
    title = "The cart is empty"


class CheckoutInvalid(DomainError):
    """Something the order needs is missing or wrong (e.g. no shipping method chosen)."""

    code = "checkout_invalid"
    title = "The order cannot be placed"

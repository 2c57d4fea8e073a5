"""Errors raised by checkout and the order services."""

from apps.core.errors import Conflict, DomainError


class EmptyCart(DomainError):
    code = "empty_cart"
    title = "The cart is empty"


class CheckoutInvalid(DomainError):
    """Something the order needs is missing or wrong (e.g. no shipping method chosen)."""

    code = "checkout_invalid"
    title = "The order cannot be placed"


class ShipmentInvalid(DomainError):
    """A shipment names a line the order does not have, or a quantity that is not positive."""

    code = "shipment_invalid"
    title = "The shipment is not valid"


class ShipmentExceedsOrder(Conflict):
    """A shipment would carry more of a line than is left to ship."""

    code = "shipment_exceeds_order"
    title = "More than is left to ship"


class NothingToShip(Conflict):
    code = "nothing_to_ship"
    title = "Nothing is left to ship"


class ReturnInvalid(DomainError):
    """A return names a line the order does not have, or a quantity that is not positive."""

    code = "return_invalid"
    title = "The return is not valid"


class ReturnNotAllowed(Conflict):
    """The items cannot be returned: not shipped, returned already, or the window has closed."""

    code = "return_not_allowed"
    title = "These items cannot be returned"

"""Errors raised by the cart services."""

from apps.core.errors import Conflict, DomainError, NotFound


class CartLineNotFound(NotFound):
    code = "cart_line_not_found"
    title = "Cart line not found"


class VariantNotFound(NotFound):
    code = "variant_not_found"
    title = "Product variant not found"


class InvalidQuantity(DomainError):
    code = "invalid_quantity"
    title = "Invalid quantity"


class ProductUnavailable(Conflict):
    """The product or variant is not for sale (inactive or hidden)."""

    code = "product_unavailable"
    title = "Product unavailable"


class CartFull(DomainError):
    code = "cart_full"
    title = "Too many lines in the cart"


class InvalidVoucher(DomainError):
    code = "invalid_voucher"
    title = "Voucher code not valid"


class ShippingMethodUnavailable(DomainError):
    code = "shipping_method_unavailable"
    title = "Shipping method unavailable"

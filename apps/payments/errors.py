"""Errors raised by the payment services."""

from apps.core.errors import Conflict, DomainError


class OrderNotPayable(Conflict):
    code = "order_not_payable"
    title = "Order cannot be paid"


class AlreadyPaid(Conflict):
    code = "already_paid"
    title = "Order already paid"


class InvalidRefund(DomainError):
    code = "invalid_refund"
    title = "Refund not possible"

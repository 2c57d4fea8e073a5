"""Errors raised by the user services."""

from apps.core.errors import Conflict, DomainError, InvalidToken, NotFound

# Said by the API and the storefront's registration alike.
EMAIL_TAKEN = "An account with this e-mail address already exists."


class EmailAlreadyRegistered(Conflict):
    """Another account already uses this e-mail address (compared case-insensitively)."""

    code = "email_taken"
    title = "E-mail address already registered"


class InvalidPassword(DomainError):
    """A password was wrong, or a new one fails the password rules."""

    code = "invalid_password"
    title = "Invalid password"


class InvalidRefreshToken(InvalidToken):
    """The refresh token is malformed, expired, already used, or not the caller's."""

    code = "token_not_valid"
    title = "Token invalid or expired"


class AddressNotFound(NotFound):
    """The address does not exist or belongs to another customer."""

    code = "address_not_found"
    title = "Address not found"

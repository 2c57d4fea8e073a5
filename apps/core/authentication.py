"""Authentication for endpoints that confirm the token's user in a query of their own."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.drainage import set_override
from rest_framework_simplejwt.authentication import JWTStatelessUserAuthentication


class TokenClaimsAuthentication(JWTStatelessUserAuthentication):
    """Authenticate a bearer token by its signature and claims, without loading its user.

    `request.user` is SimpleJWT's `TokenUser` (its `pk` is the token's user id). A view using
    this must itself refuse a user who is gone or inactive, as `JWTAuthentication` does, in the
    query that needs the user anyway: it saves that query, not the check.
    """


class TokenClaimsScheme(SimpleJWTScheme):
    """The same bearer scheme, under the same name, as SimpleJWT's `JWTAuthentication`."""

    target_class = "apps.core.authentication.TokenClaimsAuthentication"


# One scheme documented by two classes: not the name collision the schema generator warns of.
set_override(TokenClaimsAuthentication, "suppress_collision_warning", True)

"""Errors raised by the catalog services."""

from apps.core.errors import Conflict, DomainError


class SlugTaken(Conflict):
    code = "slug_taken"
    title = "Slug already in use"


class SkuTaken(Conflict):
    code = "sku_taken"
    title = "SKU already in use"


class CategoryInUse(Conflict):
    """A category still has products or sub-categories and cannot be deleted."""

    code = "category_in_use"
    title = "Category in use"


class InvalidCategoryParent(DomainError):
    code = "invalid_parent"
    title = "Invalid parent category"


class UnknownSku(DomainError):
    code = "unknown_sku"
    title = "Unknown SKU"


class ReviewExists(Conflict):
    code = "review_exists"
    title = "Already reviewed"


class InvalidDiscount(DomainError):
    code = "invalid_discount"
    title = "Invalid discount"

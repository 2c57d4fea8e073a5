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


class UnknownFilterValue(DomainError):
    """A filter names a category, tag, attribute or value that does not exist, or is malformed."""

    code = "unknown_filter_value"
    title = "Unknown filter value"
    status = 400


class InvalidAttributeValue(DomainError):
    """A value does not fit its attribute (kind, known choices) or the product's type."""

    code = "invalid_attribute_value"
    title = "Invalid attribute value"


class ImageRefused(DomainError):
    """An uploaded product image was refused; nothing was stored."""

    code = "image_refused"
    title = "Image refused"


class UnsupportedImageType(ImageRefused):
    code = "unsupported_image_type"
    title = "Unsupported image type"
    status = 415


class ImageTooLarge(ImageRefused):
    """The file has more bytes, or the picture more pixels, than a product image may have."""

    code = "image_too_large"
    title = "Image too large"
    status = 413


class InvalidImage(ImageRefused):
    """The file is not a readable image (truncated, corrupt, or not an image at all)."""

    code = "invalid_image"
    title = "Invalid image"


class InvalidImageOrder(DomainError):
    code = "invalid_image_order"
    title = "Invalid image order"


class AttributeInUse(Conflict):
    """An attribute or product type is still used and cannot be removed or changed so."""

    code = "attribute_in_use"
    title = "Attribute in use"

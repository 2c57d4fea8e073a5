"""Every write to the catalog: products, variants, images, categories, tags, discounts, reviews.

Each service validates its business rules, owns its transaction and raises the errors of
`apps.catalog.errors`. Cache invalidation follows every write (see `apps.catalog.signals`).
"""

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.apps import apps as django_apps
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.text import slugify

from apps.catalog import tasks
from apps.catalog.attributes import check_product_type_change
from apps.catalog.cache import bump_catalog_version_on_commit
from apps.catalog.errors import (
    CategoryInUse,
    InvalidCategoryParent,
    InvalidDiscount,
    InvalidImageOrder,
    ReviewExists,
    SkuTaken,
    SlugTaken,
    UnknownSku,
)
from apps.catalog.images import PreparedImage, prepare_upload
from apps.catalog.listing import refresh_listing, refresh_listing_media
from apps.catalog.models import (
    Category,
    Discount,
    Product,
    ProductImage,
    ProductType,
    ProductVariant,
    Review,
    Tag,
)
from apps.core.money import default_currency
from apps.users.models import User

MAX_SLUG_ATTEMPTS = 5
# Path segments the API uses next to slugs (/products/featured/): never given to an object.
RESERVED_SLUGS = frozenset({"featured", "bulk-update"})


@dataclass(frozen=True)
class VariantInput:
    sku: str
    price: Decimal
    stock: int = 0
    name: str = ""
    options: dict[str, str] = field(default_factory=dict)
    compare_at_price: Decimal | None = None
    currency: str | None = None
    is_active: bool = True


def _slug_base(name: str, max_length: int) -> str:
    base = (slugify(name) or "item")[: max_length - 7].strip("-") or "item"
    return f"{base}-item" if base in RESERVED_SLUGS else base


def _next_free_slug(model: type[Model], base: str) -> str:
    """Return `base`, or `base-N` with the smallest free N, in one query."""
    taken = set(model._default_manager.filter(slug__startswith=base).values_list("slug", flat=True))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _save_with_unique_slug(instance: Any, name: str) -> None:
    """Insert `instance` with a slug made from `name`, resolving collisions (never an error).

    Two concurrent inserts may pick the same free slug; the loser retries with a random
    suffix inside a savepoint.
    """
    max_length = type(instance)._meta.get_field("slug").max_length
    base = _slug_base(name, max_length)
    instance.slug = _next_free_slug(type(instance), base)
    for _ in range(MAX_SLUG_ATTEMPTS):
        try:
            with transaction.atomic():
                instance.save(force_insert=True)
            return
        except IntegrityError:
            if not type(instance)._default_manager.filter(slug=instance.slug).exists():
                raise  # another constraint failed
            instance.slug = f"{base}-{secrets.token_hex(3)}"
    raise SlugTaken(f"Could not find a free slug for '{name}'.")


def _check_skus_free(skus: Sequence[str], *, exclude_pk: int | None = None) -> None:
    duplicates = {sku for sku in skus if skus.count(sku) > 1}
    if duplicates:
        raise SkuTaken(
            f"SKU {', '.join(sorted(duplicates))} appears more than once.",
            errors={"sku": [f"Duplicate SKU {sku}." for sku in sorted(duplicates)]},
        )
    existing = ProductVariant.objects.filter(sku__in=skus)
    if exclude_pk is not None:
        existing = existing.exclude(pk=exclude_pk)
    taken = sorted(existing.values_list("sku", flat=True))
    if taken:
        raise SkuTaken(
            f"SKU {', '.join(taken)} is already in use.",
            errors={"sku": [f"SKU {sku} is already in use." for sku in taken]},
        )


def _new_variant(product: Product, data: VariantInput, position: int) -> ProductVariant:
    return ProductVariant(
        product=product,
        sku=data.sku,
        name=data.name,
        options=data.options,
        price=data.price,
        compare_at_price=data.compare_at_price,
        currency=(data.currency or default_currency()).upper(),
        stock=data.stock,
        is_active=data.is_active,
        position=position,
    )


# --- Products -------------------------------------------------------------------------------


@transaction.atomic
def create_product(
    *,
    name: str,
    category: Category,
    variants: Sequence[VariantInput],
    description: str = "",
    tags: Iterable[Tag] = (),
    is_active: bool = True,
    is_featured: bool = False,
    created_by: User | None = None,
    product_type: ProductType | None = None,
) -> Product:
    """Create a product with its variants (a simple product has one); the slug comes from the name.

    Raises:
        SkuTaken: a SKU is repeated or already belongs to another variant.
    """
    _check_skus_free([v.sku for v in variants])
    product = Product(
        name=name,
        description=description,
        category=category,
        is_active=is_active,
        is_featured=is_featured,
        created_by=created_by,
        product_type=product_type,
    )
    _save_with_unique_slug(product, name)
    product.tags.set(list(tags))
    ProductVariant.objects.bulk_create(
        [_new_variant(product, data, position) for position, data in enumerate(variants)]
    )
    refresh_listing([product.pk])  # bulk_create sends no signals
    bump_catalog_version_on_commit()
    return product


def update_product(
    *, product: Product, tags: Iterable[Tag] | None = None, **changes: Any
) -> Product:
    """Change a product's fields (name, description, category, is_active, is_featured,
    product_type) and tags.

    The slug stays as it is: links to the product keep working after a rename.

    Raises:
        AttributeInUse: a new product type lacks attributes the product has values of.
    """
    allowed = {"name", "description", "category", "is_active", "is_featured", "product_type"}
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"update_product() got unexpected fields: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        if "product_type" in changes:
            check_product_type_change(product, changes["product_type"])
        for name, value in changes.items():
            setattr(product, name, value)
        if changes:
            product.save(update_fields=[*changes, "updated_at"])
        if tags is not None:
            product.tags.set(list(tags))
    return product


# Order statuses in which a customer has paid for what they ordered (see apps.orders.models).
PURCHASED_STATUSES = ("paid", "partially_fulfilled", "fulfilled")


def _order_lines(product: Product) -> Any:
    """Return the order lines of a product (orders build on the catalog, not the reverse)."""
    return django_apps.get_model("orders", "OrderLine")._default_manager.filter(product=product)


def delete_product(*, product: Product) -> bool:
    """Delete a product with its variants, discounts and reviews; return True if deleted.

    A product that has been ordered is only deactivated (hidden from the shop), so its order
    history keeps pointing at it.
    """
    if _order_lines(product).exists():
        if product.is_active:
            product.is_active = False
            product.save(update_fields=["is_active", "updated_at"])
        return False
    product.delete()
    return True


# --- Variants -------------------------------------------------------------------------------


def add_variant(*, product: Product, data: VariantInput) -> ProductVariant:
    """Add a variant to a product.

    Raises:
        SkuTaken: the SKU already belongs to another variant.
    """
    _check_skus_free([data.sku])
    position = product.variants.count()
    variant = _new_variant(product, data, position)
    try:
        with transaction.atomic():
            variant.save(force_insert=True)
    except IntegrityError as exc:  # a concurrent insert took the SKU
        raise SkuTaken(f"SKU {data.sku} is already in use.") from exc
    return variant


def update_variant(*, variant: ProductVariant, **changes: Any) -> ProductVariant:
    """Change a variant's fields (sku, name, options, prices, currency, stock, is_active).

    Raises:
        SkuTaken: the new SKU already belongs to another variant.
    """
    allowed = {
        "sku", "name", "options", "price", "compare_at_price", "currency", "stock", "is_active",
    }  # fmt: skip
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"update_variant() got unexpected fields: {', '.join(sorted(unknown))}")
    if "sku" in changes and changes["sku"] != variant.sku:
        _check_skus_free([changes["sku"]], exclude_pk=variant.pk)
    if changes.get("currency"):
        changes["currency"] = changes["currency"].upper()
    for name, value in changes.items():
        setattr(variant, name, value)
    if changes:
        variant.save(update_fields=[*changes, "updated_at"])
    return variant


def delete_variant(*, variant: ProductVariant) -> None:
    variant.delete()


@dataclass(frozen=True)
class VariantChange:
    sku: str
    price: Decimal | None = None
    stock: int | None = None


def bulk_update_variants(*, changes: Sequence[VariantChange]) -> int:
    """Set price and/or stock of many variants by SKU, all or nothing; return how many changed.

    Rows are locked in id order, the order checkout locks them in, so neither concurrent bulk
    updates nor checkouts can deadlock against it.

    Raises:
        UnknownSku: a SKU matches no variant (nothing is changed).
    """
    by_sku = {change.sku: change for change in changes}
    with transaction.atomic():
        variants = list(
            ProductVariant.objects.select_for_update().filter(sku__in=by_sku).order_by("pk")
        )
        missing = sorted(set(by_sku) - {v.sku for v in variants})
        if missing:
            raise UnknownSku(
                f"Unknown SKU: {', '.join(missing)}. Nothing was changed.",
                errors={"sku": [f"Unknown SKU {sku}." for sku in missing]},
            )
        now = timezone.now()
        for variant in variants:
            change = by_sku[variant.sku]
            variant.updated_at = now  # bulk_update() does not apply auto_now
            if change.price is not None:
                variant.price = change.price
            if change.stock is not None:
                variant.stock = change.stock
        ProductVariant.objects.bulk_update(variants, ["price", "stock", "updated_at"])
        refresh_listing(variant.product_id for variant in variants)  # bulk_update: no signals
        bump_catalog_version_on_commit()
    return len(variants)


# --- Categories and tags --------------------------------------------------------------------


def check_category_parent(*, category: Category, parent: Category | None) -> None:
    """Refuse a parent that is the category itself or one of its sub-categories (one query).

    Raises:
        InvalidCategoryParent: the move would make a cycle in the tree.
    """
    if parent is None or category.pk is None:
        return
    parents = dict(Category.objects.order_by().values_list("id", "parent_id"))
    node: int | None = parent.pk
    seen: set[int] = set()
    while node is not None and node not in seen:
        if node == category.pk:
            raise InvalidCategoryParent(
                "A category cannot be placed under itself or one of its sub-categories.",
                errors={"parent": ["This would make a cycle in the category tree."]},
            )
        seen.add(node)
        node = parents.get(node)


def create_category(
    *,
    name: str,
    parent: Category | None = None,
    description: str = "",
    is_active: bool = True,
    position: int = 0,
) -> Category:
    category = Category(
        name=name, parent=parent, description=description, is_active=is_active, position=position
    )
    _save_with_unique_slug(category, name)
    return category


def update_category(*, category: Category, **changes: Any) -> Category:
    """Change a category's fields (name, parent, description, is_active, position).

    Raises:
        InvalidCategoryParent: the new parent is the category itself or one of its descendants.
    """
    if "parent" in changes:
        check_category_parent(category=category, parent=changes["parent"])
    for name, value in changes.items():
        setattr(category, name, value)
    if changes:
        category.save(update_fields=[*changes, "updated_at"])
    return category


def delete_category(*, category: Category) -> None:
    """Delete an empty category.

    Raises:
        CategoryInUse: it still has products or sub-categories.
    """
    products = category.products.count()
    children = category.children.count()
    if products or children:
        raise CategoryInUse(
            f"Category '{category.slug}' still has {products} product(s) and {children} "
            "sub-categor(ies); move or delete them first."
        )
    category.delete()


def create_tag(*, name: str) -> Tag:
    tag = Tag(name=name)
    _save_with_unique_slug(tag, name)
    return tag


def update_tag(*, tag: Tag, name: str) -> Tag:
    tag.name = name
    tag.save(update_fields=["name"])
    return tag


def delete_tag(*, tag: Tag) -> None:
    tag.delete()


# --- Discounts ------------------------------------------------------------------------------


def _check_discount(
    *,
    percent: Decimal,
    product: Product | None,
    category: Category | None,
    starts_at: datetime | None,
    ends_at: datetime | None,
) -> None:
    errors: dict[str, list[str]] = {}
    if not Decimal(0) < percent <= Decimal(90):
        errors["percent"] = ["A discount is more than 0 and at most 90 percent."]
    if (product is None) == (category is None):
        errors["non_field_errors"] = ["A discount applies to exactly one product or category."]
    if starts_at and ends_at and ends_at <= starts_at:
        errors["ends_at"] = ["A discount must end after it starts."]
    if errors:
        raise InvalidDiscount("The discount is not valid.", errors=errors)


def create_discount(
    *,
    name: str,
    percent: Decimal,
    product: Product | None = None,
    category: Category | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    is_active: bool = True,
) -> Discount:
    """Create a percentage discount on a product or a category.

    Raises:
        InvalidDiscount: percent outside (0, 90], not exactly one target, or an empty window.
    """
    _check_discount(
        percent=percent, product=product, category=category, starts_at=starts_at, ends_at=ends_at
    )
    return Discount.objects.create(
        name=name,
        percent=percent,
        product=product,
        category=category,
        starts_at=starts_at,
        ends_at=ends_at,
        is_active=is_active,
    )


def update_discount(*, discount: Discount, **changes: Any) -> Discount:
    """Change a discount; the result is checked as a whole.

    Raises:
        InvalidDiscount: as for `create_discount`.
    """
    for name, value in changes.items():
        setattr(discount, name, value)
    _check_discount(
        percent=discount.percent,
        product=discount.product,
        category=discount.category,
        starts_at=discount.starts_at,
        ends_at=discount.ends_at,
    )
    if changes:
        discount.save(update_fields=[*changes, "updated_at"])
    return discount


def delete_discount(*, discount: Discount) -> None:
    discount.delete()


# --- Reviews --------------------------------------------------------------------------------


def create_review(
    *, product: Product, user: User, rating: int, title: str = "", body: str = ""
) -> Review:
    """Record a customer's review; one per customer and product.

    It is marked a verified purchase when the customer has a paid order of the product.

    Raises:
        ReviewExists: the customer already reviewed this product.
    """
    verified = (
        _order_lines(product)
        .filter(order__user=user, order__status__in=PURCHASED_STATUSES)
        .exists()
    )
    try:
        with transaction.atomic():
            return Review.objects.create(
                product=product,
                user=user,
                rating=rating,
                title=title,
                body=body,
                verified_purchase=verified,
            )
    except IntegrityError as exc:
        raise ReviewExists(
            "You have already reviewed this product; edit that review instead."
        ) from exc


def mark_verified_purchases(*, user: User, product_ids: Iterable[Any]) -> int:
    """Mark the user's reviews of these products as verified purchases; return how many changed."""
    changed = Review.objects.filter(
        user=user, product_id__in=list(product_ids), verified_purchase=False
    ).update(verified_purchase=True)
    if changed:
        bump_catalog_version_on_commit()  # update() sends no signals
    return changed


def update_review(*, review: Review, **changes: Any) -> Review:
    """Change a review's rating, title or body."""
    for name, value in changes.items():
        setattr(review, name, value)
    if changes:
        review.save(update_fields=[*changes, "updated_at"])
    return review


def delete_review(*, review: Review) -> None:
    review.delete()


# --- Images ---------------------------------------------------------------------------------


def _check_image_variant(product_id: Any, variant: ProductVariant | None) -> None:
    if variant is not None and variant.product_id != product_id:
        message = f"SKU {variant.sku} is not a variant of this product."
        raise UnknownSku(message, errors={"variant": [message]})


def _locked_gallery(product_id: Any) -> list[ProductImage]:
    """Lock the product's row (gallery changes queue behind each other) and return its images
    in gallery order. Checkout locks a product only after its variants, and this locks no
    variant: no deadlock with it."""
    list(Product.objects.select_for_update().filter(pk=product_id).values_list("pk", flat=True))
    return list(ProductImage.objects.filter(product_id=product_id).order_by("position", "id"))


def _renumber(images: Sequence[ProductImage]) -> None:
    """Give the images positions 0, 1, 2, … in this order, writing only those that change."""
    now = timezone.now()
    changed = []
    for position, image in enumerate(images):
        if image.position != position:
            image.position, image.updated_at = position, now
            changed.append(image)
    if changed:
        ProductImage.objects.bulk_update(changed, ["position", "updated_at"])
        refresh_listing_media({image.product_id for image in changed})  # no signals
        bump_catalog_version_on_commit()


def _move(gallery: list[ProductImage], image: ProductImage, position: int) -> None:
    """Put `image` at index `position` of the gallery (clamped to its ends) and renumber."""
    others = [other for other in gallery if other.pk != image.pk]
    index = min(max(position, 0), len(others))
    others.insert(index, image)
    _renumber(others)


def add_product_image(
    *,
    product: Product,
    upload: File[Any] | PreparedImage,
    alt_text: str = "",
    variant: ProductVariant | None = None,
    position: int | None = None,
) -> ProductImage:
    """Store a picture of a product, checked and cleaned (EXIF removed), in its gallery.

    It goes at index `position` of the gallery (default: last). Its thumbnails are made by a
    background task once the transaction commits (and by a periodic sweep if that is lost).
    `upload` may be one `apps.catalog.images.prepare_upload` has already checked.

    Raises:
        ImageTooLarge, UnsupportedImageType, InvalidImage: the upload is refused; nothing
            is stored.
        UnknownSku: `variant` is not one of the product's variants.
    """
    _check_image_variant(product.pk, variant)
    prepared = upload if isinstance(upload, PreparedImage) else prepare_upload(upload)
    image = ProductImage(product=product, variant=variant, alt_text=alt_text)
    image.image.save(prepared.filename, prepared.as_file(), save=False)
    try:
        with transaction.atomic():
            gallery = _locked_gallery(product.pk)
            image.position = len(gallery)
            image.save(force_insert=True)
            if position is not None:
                _move([*gallery, image], image, position)
    except BaseException:
        image.image.storage.delete(image.image.name)
        raise
    image_id = image.pk
    transaction.on_commit(lambda: tasks.make_image_renditions.delay(image_id), robust=True)
    return image


def update_product_image(*, image: ProductImage, **changes: Any) -> ProductImage:
    """Change an image's alt text, its variant (or None) or its index in the gallery.

    Raises:
        UnknownSku: the variant is not one of the product's variants.
    """
    unknown = set(changes) - {"alt_text", "variant", "position"}
    if unknown:
        raise TypeError(
            f"update_product_image() got unexpected fields: {', '.join(sorted(unknown))}"
        )
    if "variant" in changes:
        _check_image_variant(image.product_id, changes["variant"])
    with transaction.atomic():
        fields = [name for name in ("alt_text", "variant") if name in changes]
        for name in fields:
            setattr(image, name, changes[name])
        if fields:
            image.save(update_fields=[*fields, "updated_at"])
        if "position" in changes:
            gallery = _locked_gallery(image.product_id)
            _move(gallery, image, changes["position"])
    return image


def reorder_product_images(*, product: Product, image_ids: Sequence[int]) -> list[ProductImage]:
    """Put a product's images in this order (every one of them, each once); return them.

    Raises:
        InvalidImageOrder: the ids are not exactly the product's images.
    """
    with transaction.atomic():
        gallery = {image.pk: image for image in _locked_gallery(product.pk)}
        if len(set(image_ids)) != len(image_ids) or set(image_ids) != set(gallery):
            raise InvalidImageOrder(
                "List every image of the product exactly once; it has "
                f"{', '.join(map(str, sorted(gallery))) or 'none'}.",
                errors={"ids": ["Not the product's images, each once."]},
            )
        ordered = [gallery[pk] for pk in image_ids]
        _renumber(ordered)
    return ordered


def delete_product_image(*, image: ProductImage) -> None:
    """Delete an image; its file and thumbnails leave storage once the deletion commits
    (`apps.catalog.signals`, which does the same when a product's deletion takes its images),
    unless another image row shares them."""
    image.delete()

"""Any write to the catalog, from the API, the admin or the shell, invalidates the catalog cache;
a saved or deleted variant or review refreshes its product's listing columns; a deleted
product image takes its files out of storage; a saved product publishes `product.updated`.

Cache invalidation and the listing read model are cross-cutting, so they live here rather than
in every service; bulk operations that bypass signals (`update()`, `bulk_create()`) bump the
version and refresh the listing themselves.
"""

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver

from apps.catalog.cache import bump_catalog_version_on_commit
from apps.catalog.images import discard_files_on_commit
from apps.catalog.listing import refresh_listing, refresh_listing_media
from apps.catalog.models import (
    Attribute,
    AttributeAssignment,
    AttributeValue,
    Category,
    Discount,
    Product,
    ProductAssociation,
    ProductImage,
    ProductType,
    ProductTypeAttribute,
    ProductVariant,
    Review,
    Tag,
)
from apps.webhooks import events as webhook_events

CATALOG_MODELS = (
    Category,
    Tag,
    Product,
    ProductVariant,
    Discount,
    Review,
    ProductType,
    ProductTypeAttribute,
    Attribute,
    AttributeValue,
    AttributeAssignment,
    ProductImage,
    ProductAssociation,
)


def _bump(**_: Any) -> None:
    bump_catalog_version_on_commit()


for _model in CATALOG_MODELS:
    post_save.connect(_bump, sender=_model, dispatch_uid=f"catalog-save-{_model.__name__}")
    post_delete.connect(_bump, sender=_model, dispatch_uid=f"catalog-delete-{_model.__name__}")


def _refresh_listing(instance: ProductVariant | Review, **_: Any) -> None:
    refresh_listing([instance.product_id])


for _model in (ProductVariant, Review):
    post_save.connect(
        _refresh_listing, sender=_model, dispatch_uid=f"catalog-listing-save-{_model.__name__}"
    )
    post_delete.connect(
        _refresh_listing, sender=_model, dispatch_uid=f"catalog-listing-delete-{_model.__name__}"
    )


@receiver(post_save, sender=Product, dispatch_uid="catalog-product-webhook")
def _product_saved(instance: Product, created: bool, raw: bool = False, **_: Any) -> None:
    # In the saving transaction (the outbox row commits with the product), whoever saves it.
    if not raw:
        webhook_events.publish_product_updated(product=instance, created=created)


@receiver(post_save, sender=ProductImage, dispatch_uid="catalog-listing-image-save")
@receiver(post_delete, sender=ProductImage, dispatch_uid="catalog-listing-image-delete")
def _image_changed(instance: ProductImage, **_: Any) -> None:
    refresh_listing_media([instance.product_id])


@receiver(post_save, sender=Tag, dispatch_uid="catalog-listing-tag-save")
def _tag_saved(instance: Tag, created: bool, **_: Any) -> None:
    if not created:  # a renamed tag: the cards that show it
        refresh_listing_media(instance.products.values_list("pk", flat=True))


@receiver(pre_delete, sender=Tag, dispatch_uid="catalog-listing-tag-delete")
def _tag_deleted(instance: Tag, **_: Any) -> None:
    # The cascade takes the tag off its products without an m2m signal: note them now, and
    # refresh them once the tag is gone (`_tag_gone`, in the same transaction).
    instance._listing_products = list(  # type: ignore[attr-defined]
        instance.products.values_list("pk", flat=True)
    )


@receiver(post_delete, sender=Tag, dispatch_uid="catalog-listing-tag-deleted")
def _tag_gone(instance: Tag, **_: Any) -> None:
    refresh_listing_media(getattr(instance, "_listing_products", []))


@receiver(post_delete, sender=ProductImage, dispatch_uid="catalog-image-files")
def _image_deleted(instance: ProductImage, **_: Any) -> None:
    # Every way an image row goes (its service, the admin, a deleted product's cascade)
    # takes its files with it, once the deletion commits and unless another row shares them.
    discard_files_on_commit(original=instance.image.name, renditions=instance.renditions)


@receiver(m2m_changed, sender=Product.tags.through, dispatch_uid="catalog-product-tags")
def _product_tags_changed(
    instance: Product | Tag, action: str, reverse: bool, pk_set: set[Any] | None, **_: Any
) -> None:
    if action == "pre_clear" and reverse:  # tag.products.clear(): which products, before
        instance._listing_products = list(  # type: ignore[union-attr]
            instance.products.values_list("pk", flat=True)  # type: ignore[union-attr]
        )
    if action in {"post_add", "post_remove", "post_clear"}:
        if not reverse:
            refresh_listing_media([instance.pk])
        elif action == "post_clear":
            refresh_listing_media(getattr(instance, "_listing_products", []))
        else:
            refresh_listing_media(pk_set or [])
        bump_catalog_version_on_commit()

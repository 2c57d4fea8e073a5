"""Any write to the catalog, from the API, the admin or the shell, invalidates the catalog cache;
a deleted product image takes its files out of storage.

Cache invalidation is cross-cutting, so it lives here rather than in every service; bulk
operations that bypass signals (`update()`, `bulk_create()`) bump the version themselves.
"""

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from apps.catalog.cache import bump_catalog_version_on_commit
from apps.catalog.images import discard_files_on_commit
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


@receiver(post_delete, sender=ProductImage, dispatch_uid="catalog-image-files")
def _image_deleted(instance: ProductImage, **_: Any) -> None:
    # Every way an image row goes (its service, the admin, a deleted product's cascade)
    # takes its files with it, once the deletion commits and unless another row shares them.
    discard_files_on_commit(original=instance.image.name, renditions=instance.renditions)


@receiver(m2m_changed, sender=Product.tags.through, dispatch_uid="catalog-product-tags")
def _product_tags_changed(action: str, **_: Any) -> None:
    if action in {"post_add", "post_remove", "post_clear"}:
        bump_catalog_version_on_commit()

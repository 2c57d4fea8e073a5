"""Background jobs for the catalog: "customers also bought" associations, the thumbnails of
uploaded product images and their sweep, facet counts after a catalog write, and the nightly
recomputation of the listing read model."""

import logging
from datetime import timedelta
from typing import Any

from botocore.exceptions import BotoCoreError  # type: ignore[import-untyped]
from celery import shared_task
from django.utils import timezone

from apps.core.tasks import RETRY_OPTIONS, TRANSIENT_ERRORS

logger = logging.getLogger(__name__)

# The most images one sweep enqueues; the next run takes the rest.
SWEEP_BATCH_SIZE = 500
# Storage that cannot be reached or written right now (disk, network, the bucket's API).
STORAGE_ERRORS = (*TRANSIENT_ERRORS, OSError, BotoCoreError)


@shared_task(
    name="catalog.recompute_product_associations",
    # Longer than the default limits: at a million order lines it takes seconds, not ms.
    soft_time_limit=10 * 60,
    time_limit=12 * 60,
    **RETRY_OPTIONS,
)
def recompute_product_associations() -> dict[str, int]:
    """Replace the product associations with counts from recent orders (nightly).

    Safe to run again or redeliver: each run replaces the whole set with the same answer.
    """
    from apps.catalog.associations import recompute_product_associations as recompute

    report = recompute()
    logger.info(
        "Product associations recomputed: %d rows for %d products in %.1f s",
        report.rows,
        report.products,
        report.seconds,
    )
    return {"rows": report.rows, "products": report.products}


@shared_task(name="catalog.refresh_listings", soft_time_limit=10 * 60, time_limit=12 * 60)
def refresh_listings() -> int:
    """Recompute every product's listing columns (nightly); return how many products changed.

    Every write keeps them already; this repairs what a write outside the code (raw SQL, a
    restore) left behind. Only rows that differ are written, and the cache is invalidated
    only then.
    """
    from apps.catalog.cache import bump_catalog_version_on_commit
    from apps.catalog.listing import refresh_all_listings

    changed = refresh_all_listings()
    if changed:
        bump_catalog_version_on_commit()
        logger.warning("Listing read model repaired: %d products were out of date", changed)
    return changed


@shared_task(
    name="catalog.make_image_renditions",
    # A 40-megapixel original takes a few seconds; within the fleet's limits (a worker's
    # graceful stop waits for the soft one).
    soft_time_limit=60,
    time_limit=90,
    **{**RETRY_OPTIONS, "autoretry_for": STORAGE_ERRORS},
)
def make_image_renditions(image_id: int) -> bool:
    """Make an image's thumbnails and record them; False when there was nothing to do.

    Idempotent: an image that has them (or is gone) is skipped, and they are recorded only if
    the image still has no thumbnails and the same file, so a redelivered or concurrent run
    leaves one set (the loser removes its own files). An original that cannot be decoded is
    logged and marked done with no thumbnails: the shop shows the original.
    """
    from apps.catalog.cache import bump_catalog_version_on_commit
    from apps.catalog.errors import ImageRefused
    from apps.catalog.images import (
        RENDITION_FORMATS,
        has_renditions,
        make_renditions,
        open_picture,
        rendition_files,
    )
    from apps.catalog.listing import refresh_listing_media
    from apps.catalog.models import ProductImage

    image = (
        ProductImage.objects.filter(pk=image_id).only("image", "renditions", "product_id").first()
    )
    if image is None or has_renditions(image.renditions):
        return False
    original, storage = image.image.name, image.image.storage
    try:
        with storage.open(original, "rb") as stored:
            picture = open_picture(stored)
        renditions = make_renditions(picture, original=original, storage=storage)
    except (ImageRefused, FileNotFoundError) as exc:
        logger.error("Product image %s (%s) gives no thumbnails: %s", image_id, original, exc)
        renditions = {key: {} for key, *_ in RENDITION_FORMATS}
    recorded = ProductImage.objects.filter(pk=image_id, image=original, renditions={}).update(
        renditions=renditions, updated_at=timezone.now()
    )
    if not recorded:
        for name in rendition_files(renditions):
            storage.delete(name)
        return False
    refresh_listing_media([image.product_id])  # update() sends no signals
    bump_catalog_version_on_commit()  # cached cards show them now
    logger.info("Product image %s: %d thumbnails", image_id, len(rendition_files(renditions)))
    return True


@shared_task(name="catalog.make_missing_renditions", acks_late=True)
def make_missing_renditions(*, older_than_minutes: int = 10) -> int:
    """Re-enqueue thumbnails never made (the broker was down at upload, a worker died).

    Images newer than `older_than_minutes` may still be in the queue and are left alone.
    Returns how many were enqueued.
    """
    from apps.catalog.models import ProductImage

    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    missing = list(
        ProductImage.objects.filter(renditions={}, created_at__lte=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH_SIZE]
    )
    for image_id in missing:
        make_image_renditions.delay(image_id)
    if missing:
        logger.warning("Re-enqueued thumbnails of %d product images", len(missing))
    return len(missing)


@shared_task(
    name="catalog.refresh_product_facets", acks_late=True, soft_time_limit=60, time_limit=90
)
def refresh_product_facets(filters: dict[str, Any]) -> bool:
    """Compute a product list's facet counts and store them as current; False when its
    filters no longer name an existing category or tag (nothing to store).

    Enqueued by `selectors.product_facets` when it serves the counts of before a catalog
    write. Safe to run again: it stores the answer for the catalog version it reads.
    """
    from apps.catalog import selectors
    from apps.catalog.errors import UnknownFilterValue

    try:
        selectors.refresh_product_facets(filters=selectors.filters_from_payload(filters))
    except UnknownFilterValue:
        return False
    return True

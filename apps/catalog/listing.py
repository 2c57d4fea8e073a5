"""The listing read model: each product's card columns, kept in the transaction of the write.

`Product.listing_*` hold what a product card and a list's filters need of the variants,
reviews, tags and images — the cheapest and dearest active price, how many active variants
have stock, the average rating and the review count, the tags, the first image — so a list is
one index scan of products, with no correlated subquery per product and no second query for
tags or pictures.

Who keeps them:
- `refresh_listing(product_ids)`: one `UPDATE … SET … = (subquery)` recomputing the columns of
  the given products from their rows; the signals call it for every save or delete of a
  variant or a review (admin, API, shell), and the bulk writes (CSV import, seeding,
  moderation) call it for what they touched.
- Checkout and cancellation move only the stock; they adjust `listing_stocked_variants` by the
  variants that sold out or came back (`adjust_stocked_variants`, two statements, only when
  one did): an increment is right under concurrency, where a recomputation from a snapshot
  could be stale. The product rows are locked after the variants, in id order.
- `refresh_listing_media(product_ids)`: the tags and the first image, read and written back
  (three queries); the signals call it when a product's tags, a tag, or an image change, and
  the gallery's reordering and the thumbnail task for what they touched.
- `refresh_all_listings()` (the nightly `catalog.refresh_listings` task, and `seed_demo`)
  recomputes every product, to repair anything a raw SQL write left behind.
"""

from collections.abc import Iterable, Mapping
from typing import Any, cast

from django.db.models import (
    Avg,
    Case,
    Count,
    F,
    Field,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact

from apps.catalog.models import Product, ProductImage, ProductVariant, Review


def listing_values() -> dict[str, Any]:
    """Return the listing columns as expressions over the product's own variants and reviews."""
    variants = ProductVariant.objects.filter(product=OuterRef("pk"), is_active=True).order_by()
    per_product = variants.values("product")
    reviews = Review.objects.filter(product=OuterRef("pk"), is_visible=True).order_by()
    per_reviewed = reviews.values("product")
    return {
        "listing_min_price": Subquery(per_product.annotate(v=Min("price")).values("v")[:1]),
        "listing_max_price": Subquery(per_product.annotate(v=Max("price")).values("v")[:1]),
        "listing_stocked_variants": Coalesce(
            Subquery(
                variants.filter(stock__gt=0)
                .values("product")
                .annotate(n=Count("pk"))
                .values("n")[:1]
            ),
            Value(0),
        ),
        "listing_rating": Subquery(per_reviewed.annotate(v=Avg("rating")).values("v")[:1]),
        "listing_review_count": Coalesce(
            Subquery(per_reviewed.annotate(n=Count("pk")).values("n")[:1]), Value(0)
        ),
    }


def refresh_listing(product_ids: Iterable[Any]) -> int:
    """Recompute the listing columns of these products, in one UPDATE; return how many."""
    ids = list({pk for pk in product_ids if pk is not None})
    if not ids:
        return 0
    return Product.objects.filter(pk__in=ids).update(**listing_values())


def refresh_all_listings() -> int:
    """Recompute the listing columns of every product that is out of date; return how many."""
    fresh = {f"fresh_{name}": value for name, value in listing_values().items()}
    differs = Q()
    for name in fresh:
        column = name.removeprefix("fresh_")
        # NULL-safe: no column is ever negative, so -1 stands for "none" on both sides.
        none = Value(-1, output_field=cast(Field[Any, Any], Product._meta.get_field(column)))
        differs |= ~Q(Exact(Coalesce(F(column), none), Coalesce(F(name), none)))
    stale = set(Product.objects.annotate(**fresh).filter(differs).values_list("pk", flat=True))
    Product.objects.filter(pk__in=stale).update(**listing_values())
    return len(stale | _refresh_all_media())


# What a card needs of its first image: `image_data` builds the URLs from these (width and
# height too: without them Django would read each file to learn its size).
IMAGE_FIELDS = ("id", "variant_id", "image", "width", "height", "alt_text", "renditions")
MEDIA_BATCH = 1000


def _media(product_ids: list[Any]) -> dict[Any, dict[str, Any]]:
    """Return the tags and first image of each product, as the columns hold them: two queries."""
    media: dict[Any, dict[str, Any]] = {
        pk: {"listing_tags": [], "listing_image": None} for pk in product_ids
    }
    tagged = (
        Product.tags.through.objects.filter(product_id__in=product_ids)
        .order_by("tag__name", "tag__slug")
        .values_list("product_id", "tag__slug", "tag__name")
    )
    for product_id, slug, name in tagged:
        media[product_id]["listing_tags"].append({"slug": slug, "name": name})
    images = (
        ProductImage.objects.filter(product_id__in=product_ids)
        .order_by("product_id", "position", "id")
        .values("product_id", *IMAGE_FIELDS)
    )
    for row in images:
        columns = media[row.pop("product_id")]
        if columns["listing_image"] is None:
            columns["listing_image"] = row
    return media


def refresh_listing_media(product_ids: Iterable[Any]) -> int:
    """Rewrite the tags and first image of these products (three queries); return how many."""
    to_pk = Product._meta.pk.to_python
    ids = list({to_pk(pk) for pk in product_ids if pk is not None})
    if not ids:
        return 0
    rows = [Product(pk=pk, **columns) for pk, columns in _media(ids).items()]
    return Product.objects.bulk_update(rows, ["listing_tags", "listing_image"])


def _refresh_all_media() -> set[Any]:
    """Rewrite the tags and first image of every product whose columns differ; return those."""
    changed: set[Any] = set()
    ids = list(Product.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), MEDIA_BATCH):
        batch = ids[start : start + MEDIA_BATCH]
        media = _media(batch)
        current = Product.objects.filter(pk__in=batch).values_list(
            "pk", "listing_tags", "listing_image"
        )
        stale = [
            Product(pk=pk, **media[pk])
            for pk, tags, image in current
            if [tags, image] != [media[pk]["listing_tags"], media[pk]["listing_image"]]
        ]
        Product.objects.bulk_update(stale, ["listing_tags", "listing_image"])
        changed.update(product.pk for product in stale)
    return changed


def adjust_stocked_variants(changes: Mapping[Any, int]) -> None:
    """Add `changes[product_id]` to each product's count of variants in stock, in one UPDATE.

    For the stock moves of checkout (variants sold out: negative) and cancellation (variants
    back in stock: positive): an increment applies to the row as it is when the lock is got,
    so concurrent checkouts of one product's variants each count theirs.
    """
    changes = {pk: n for pk, n in changes.items() if n}
    if not changes:
        return
    # The product rows in id order first: two checkouts selling out variants of the same
    # products then queue instead of deadlocking on the order a multi-row UPDATE takes them in.
    list(
        Product.objects.select_for_update()
        .filter(pk__in=list(changes))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    delta = Case(
        *[When(pk=pk, then=Value(n)) for pk, n in changes.items()],
        default=Value(0),
        output_field=IntegerField(),
    )
    Product.objects.filter(pk__in=list(changes)).update(
        listing_stocked_variants=F("listing_stocked_variants") + delta
    )

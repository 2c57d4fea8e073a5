"""Catalog reads, as plain data ready for the API, each in a fixed number of queries and cached.

Every answer is cached under the catalog version (see `apps.catalog.cache`), and expires no
later than the next discount start or end, so a cached price is never stale.
"""

import itertools
import re
from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Length
from django.utils import timezone

from apps.catalog import spelling
from apps.catalog.cache import cached, cached_or_stale, store_current
from apps.catalog.errors import UnknownFilterValue
from apps.catalog.facets import (
    AttributeFilter,
    counted_rows,
    describe_attributes,
    filter_by_attributes,
    filterable_attributes,
)
from apps.catalog.images import image_data
from apps.catalog.listing import IMAGE_FIELDS
from apps.catalog.models import (
    AttributeAssignment,
    AttributeKind,
    Category,
    Discount,
    Product,
    ProductAssociation,
    ProductImage,
    ProductVariant,
    Review,
    Tag,
)
from apps.catalog.pricing import DiscountMap, compare_at_price, effective_price
from apps.catalog.querysets import ProductQuerySet, word_start_regex
from apps.core.errors import NotFound
from apps.core.keyset import KeysetOrder, paginate_keyset
from apps.core.money import format_money

Ordering = Literal[
    "created_at", "-created_at", "name", "-name", "price", "-price", "rating", "-rating"
]

ORDERINGS: dict[str, KeysetOrder] = {
    "created_at": KeysetOrder("created_at", descending=False, key_type="datetime"),
    "-created_at": KeysetOrder("created_at", descending=True, key_type="datetime"),
    "name": KeysetOrder("name", descending=False, key_type="str"),
    "-name": KeysetOrder("name", descending=True, key_type="str"),
    "price": KeysetOrder("price_key", descending=False, key_type="int"),
    "-price": KeysetOrder("price_key", descending=True, key_type="int"),
    "rating": KeysetOrder("rating_key", descending=False, key_type="int"),
    "-rating": KeysetOrder("rating_key", descending=True, key_type="int"),
}
RELEVANCE = KeysetOrder("rank_key", descending=True, key_type="int")


@dataclass(frozen=True)
class ProductFilters:
    """What a product list may be narrowed by; None means "not filtered"."""

    category: str | None = None
    tag: str | None = None
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    in_stock: bool | None = None
    featured: bool | None = None
    rating_min: Decimal | None = None
    search: str | None = None
    attributes: tuple[AttributeFilter, ...] = ()


# --- Discounts ------------------------------------------------------------------------------


def _children(rows: Iterable[dict[str, Any]]) -> dict[int | None, list[int]]:
    """Return each category id's direct children, from category rows."""
    children: dict[int | None, list[int]] = {}
    for row in rows:
        children.setdefault(row["parent_id"], []).append(row["id"])
    return children


def _subtree(root: int, children: dict[int | None, list[int]]) -> list[int]:
    """Return `root` and every category below it."""
    ids, stack = [], [root]
    while stack:
        current = stack.pop()
        ids.append(current)
        stack.extend(children.get(current, []))
    return ids


def _load_discount_map(at: datetime) -> DiscountMap:
    # One query: every active discount that has not ended; which are live now and when the
    # next one starts or ends is worked out here.
    candidates = Discount.objects.filter(is_active=True).exclude(ends_at__lte=at)
    discounts, boundaries = [], []
    for discount in candidates.values(
        "product_id", "category_id", "percent", "starts_at", "ends_at"
    ):
        starts_at, ends_at = discount["starts_at"], discount["ends_at"]
        if starts_at is not None and starts_at > at:
            boundaries.append(starts_at)
            continue
        discounts.append(discount)
        if ends_at is not None:
            boundaries.append(ends_at)
    children = _children(_category_rows())
    by_product: dict[Any, Decimal] = {}
    by_category: dict[int, Decimal] = {}
    for discount in discounts:
        percent = discount["percent"]
        if discount["product_id"]:
            pid = discount["product_id"]
            by_product[pid] = max(percent, by_product.get(pid, Decimal(0)))
            continue
        # A category discount covers its whole subtree.
        for category_id in _subtree(discount["category_id"], children):
            by_category[category_id] = max(percent, by_category.get(category_id, Decimal(0)))
    return DiscountMap(
        by_product=by_product,
        by_category=by_category,
        next_change=min(boundaries, default=None),
    )


def get_discount_map() -> DiscountMap:
    """Return the discounts live now, cached until the next one starts or ends."""
    return cached(
        "discounts",
        compute=lambda: _load_discount_map(timezone.now()),
        expires_at=lambda discounts: discounts.next_change,
    )


# --- Categories -----------------------------------------------------------------------------


def _category_rows() -> list[dict[str, Any]]:
    """Return every category as a plain row (all of them: the tree is small)."""
    return cached(
        "category-rows",
        compute=lambda: [
            dict(row)
            for row in Category.objects.order_by("position", "name").values(
                "id", "slug", "name", "description", "parent_id", "is_active", "position"
            )
        ],
    )


def _visible_categories() -> dict[int, dict[str, Any]]:
    """Return active categories whose ancestors are all active, by id."""
    rows = {row["id"]: row for row in _category_rows()}
    visible: dict[int, dict[str, Any]] = {}

    def is_visible(row: dict[str, Any]) -> bool:
        seen: set[int] = set()
        while row is not None and row["id"] not in seen:
            if not row["is_active"]:
                return False
            seen.add(row["id"])
            row = rows.get(row["parent_id"])  # type: ignore[assignment]
        return True

    for category_id, row in rows.items():
        if is_visible(row):
            visible[category_id] = row
    return visible


def visible_category_ids() -> set[int]:
    """Return the ids of categories customers can see (active, under active parents)."""
    return set(_visible_categories())


def _public_category(row: dict[str, Any], by_id: dict[int, dict[str, Any]]) -> dict[str, Any]:
    parent = by_id.get(row["parent_id"])
    return {
        "slug": row["slug"],
        "name": row["name"],
        "description": row["description"],
        "parent": parent["slug"] if parent else None,
    }


def list_categories() -> list[dict[str, Any]]:
    """Return the visible categories as a flat list, each naming its parent's slug."""
    by_id = _visible_categories()
    return [_public_category(row, by_id) for row in by_id.values()]


def category_tree() -> list[dict[str, Any]]:
    """Return the visible categories as a tree of nested `children`."""
    by_id = _visible_categories()
    nodes = {cid: {**_public_category(row, by_id), "children": []} for cid, row in by_id.items()}
    roots: list[dict[str, Any]] = []
    for cid, row in by_id.items():
        parent = nodes.get(row["parent_id"])
        (parent["children"] if parent else roots).append(nodes[cid])
    return roots


def get_category(slug: str) -> dict[str, Any]:
    """Return one visible category with its breadcrumbs and direct children.

    Raises:
        NotFound: no visible category has this slug.
    """
    by_id = _visible_categories()
    row = next((r for r in by_id.values() if r["slug"] == slug), None)
    if row is None:
        raise NotFound(f"No category '{slug}'.")
    breadcrumbs: list[dict[str, str]] = []
    ancestor = by_id.get(row["parent_id"])
    while ancestor is not None:
        breadcrumbs.insert(0, {"slug": ancestor["slug"], "name": ancestor["name"]})
        ancestor = by_id.get(ancestor["parent_id"])
    children = [
        {"slug": r["slug"], "name": r["name"]}
        for r in by_id.values()
        if r["parent_id"] == row["id"]
    ]
    return {**_public_category(row, by_id), "breadcrumbs": breadcrumbs, "children": children}


def _visible_category_id(slug: str | None) -> int | None:
    """Return the id of the visible category with this slug (None: no such category)."""
    return next((cid for cid, r in _visible_categories().items() if r["slug"] == slug), None)


def category_subtree_ids(slug: str) -> list[int] | None:
    """Return the ids of a visible category and all its visible descendants (None: unknown)."""
    root = _visible_category_id(slug)
    if root is None:
        return None
    return _subtree(root, _children(_visible_categories().values()))


def _breadcrumbs(category_id: int) -> list[dict[str, str]]:
    by_id = {row["id"]: row for row in _category_rows()}
    trail: list[dict[str, str]] = []
    row = by_id.get(category_id)
    while row is not None:
        trail.insert(0, {"slug": row["slug"], "name": row["name"]})
        row = by_id.get(row["parent_id"])
    return trail


# --- Tags -----------------------------------------------------------------------------------


def list_tags() -> list[dict[str, Any]]:
    """Return every tag (they are few) as {id, slug, name}."""
    return cached(
        "tags",
        compute=lambda: [
            dict(row) for row in Tag.objects.order_by("name").values("id", "slug", "name")
        ],
    )


# --- Products -------------------------------------------------------------------------------


def _money(amount: Decimal | None, currency: str) -> str | None:
    return None if amount is None else format_money(amount, currency)


def _rating(average: Any) -> float | None:
    return None if average is None else round(float(average), 2)


def _card(product: Product) -> dict[str, Any]:
    currency = settings.DEFAULT_CURRENCY
    percent: Decimal = product.discount_percent  # type: ignore[attr-defined]
    list_price: Decimal = product.min_price  # type: ignore[attr-defined]
    return {
        "id": str(product.pk),
        "slug": product.slug,
        "name": product.name,
        "category": {"slug": product.category.slug, "name": product.category.name},
        "tags": [tag["slug"] for tag in product.listing_tags],
        "is_featured": product.is_featured,
        "price": _money(effective_price(list_price, percent, currency), currency),
        "price_varies": bool(product.price_varies),  # type: ignore[attr-defined]
        "list_price": _money(list_price, currency),
        "compare_at_price": _money(compare_at_price(list_price, None, percent), currency),
        "discount_percent": f"{percent:.2f}" if percent else None,
        "currency": currency,
        "in_stock": product.in_stock,  # type: ignore[attr-defined]
        "average_rating": _rating(product.average_rating),  # type: ignore[attr-defined]
        "review_count": product.review_count,  # type: ignore[attr-defined]
        "created_at": product.created_at.isoformat().replace("+00:00", "Z"),
        "image": _primary_image(product),
    }


# What the shop shows of an image, as the listing keeps it for cards, with its product.
IMAGE_COLUMNS = ("product_id", *IMAGE_FIELDS)


def _with_images(products: ProductQuerySet) -> ProductQuerySet:
    """Prefetch, in one query, each product's images in gallery order, as `image_rows`."""
    images = ProductImage.objects.order_by("position", "id").only(*IMAGE_COLUMNS)
    return products.prefetch_related(Prefetch("images", queryset=images, to_attr="image_rows"))


def _primary_image(product: Product) -> dict[str, Any] | None:
    """Return the first image of a product loaded through `_cards`, or None.

    From the gallery when it was loaded, else from the listing read model's copy of the row.
    """
    rows: list[ProductImage] | None = getattr(product, "image_rows", None)
    if rows is not None:
        return image_data(rows[0]) if rows else None
    first = product.listing_image
    return image_data(ProductImage(product_id=product.pk, **first)) if first else None


def _cards(discounts: DiscountMap, *, gallery: bool = False) -> ProductQuerySet:
    """Return visible, sellable products annotated for cards (hidden category trees excluded);
    with `gallery`, every image of each too."""
    products = Product.objects.for_cards(discounts).in_categories(list(_visible_categories()))
    return _with_images(products) if gallery else products


def _filtered_cards(filters: ProductFilters, discounts: DiscountMap) -> ProductQuerySet:
    products = _cards(discounts)
    if filters.category is not None:
        category_ids = category_subtree_ids(filters.category)
        if category_ids is None:
            raise UnknownFilterValue(
                f"No category '{filters.category}'.",
                errors={"category": [f"No category '{filters.category}'."]},
            )
        products = products.in_categories(category_ids)
    if filters.tag is not None:
        tag_id = next((t["id"] for t in list_tags() if t["slug"] == filters.tag), None)
        if tag_id is None:
            raise UnknownFilterValue(
                f"No tag '{filters.tag}'.", errors={"tag": [f"No tag '{filters.tag}'."]}
            )
        through = Product.tags.through.objects.filter(product_id=OuterRef("pk"), tag_id=tag_id)
        products = products.filter(Exists(through))
    if filters.price_min is not None:
        products = products.filter(Q(price_key__gte=int(filters.price_min * 100)))
    if filters.price_max is not None:
        products = products.filter(Q(price_key__lte=int(filters.price_max * 100)))
    if filters.in_stock is not None:
        products = products.filter(Q(in_stock=filters.in_stock))
    if filters.featured is not None:
        products = products.filter(is_featured=filters.featured)
    if filters.rating_min is not None:
        products = products.filter(Q(average_rating__gte=filters.rating_min))
    products = filter_by_attributes(products, filters.attributes)
    if filters.search:
        products = products.search(
            filters.search,
            spellings=_substitutes,
            categories=_categories_named(filters.search),
        )
    return products.with_sort_keys()


def list_products(
    *,
    filters: ProductFilters,
    ordering: str | None,
    cursor: str | None,
    page_size: int,
) -> dict[str, Any]:
    """Return one page of product cards: {results, next_cursor, previous_cursor}.

    Ordering defaults to relevance when searching and to newest first otherwise. When a
    search finds nothing, `did_you_mean` is the search with its misspelt words corrected, if
    that finds something under the same filters (else None, as it is for every other page).

    Raises:
        UnknownFilterValue: the category or tag filter names nothing.
        InvalidCursor: the cursor is not one of this listing's.
    """
    order = (
        ORDERINGS[ordering]
        if ordering
        else (RELEVANCE if filters.search else ORDERINGS["-created_at"])
    )
    discounts = get_discount_map()

    def compute() -> dict[str, Any]:
        page = paginate_keyset(
            _filtered_cards(filters, discounts), order=order, cursor=cursor, page_size=page_size
        )
        nothing_found = bool(filters.search) and cursor is None and not page.items
        return {
            "results": [_card(product) for product in page.items],
            "next_cursor": page.next_cursor,
            "previous_cursor": page.previous_cursor,
            "did_you_mean": _did_you_mean(filters, discounts) if nothing_found else None,
        }

    return cached(
        "products",
        asdict(filters),
        order.key,
        order.descending,
        cursor,
        page_size,
        compute=compute,
        expires_at=discounts.next_change,
    )


def featured_products(*, limit: int) -> list[dict[str, Any]]:
    """Return up to `limit` featured product cards, newest first."""
    discounts = get_discount_map()

    def compute() -> list[dict[str, Any]]:
        products = _cards(discounts).featured().order_by("-created_at", "-pk")
        return [_card(product) for product in products[:limit]]

    return cached("featured", limit, compute=compute, expires_at=discounts.next_change)


def product_cards(*, product_ids: Collection[Any]) -> dict[Any, dict[str, Any]]:
    """Return, by id, the cards of those of `product_ids` customers can see and buy.

    One query (none for no id), not cached: the ids are one customer's (a wishlist).
    """
    if not product_ids:
        return {}
    cards = _cards(get_discount_map()).filter(pk__in=product_ids)
    return {product.pk: _card(product) for product in cards}


def _variant(variant: ProductVariant, percent: Decimal) -> dict[str, Any]:
    return {
        "sku": variant.sku,
        "name": variant.name,
        "options": variant.options,
        "price": _money(
            effective_price(variant.price, percent, variant.currency), variant.currency
        ),
        "list_price": _money(variant.price, variant.currency),
        "compare_at_price": _money(
            compare_at_price(variant.price, variant.compare_at_price, percent), variant.currency
        ),
        "currency": variant.currency,
        "in_stock": variant.stock > 0,
    }


def get_product(slug: str) -> dict[str, Any]:
    """Return everything the product page shows: card data, description, images (the gallery,
    in order; each variant names its own first image), variants, breadcrumbs.

    Raises:
        NotFound: no visible product has this slug.
    """
    discounts = get_discount_map()

    def compute() -> dict[str, Any]:
        product = (
            _cards(discounts, gallery=True)
            .defer(None)
            .defer("search_vector")
            .prefetch_related(
                Prefetch(
                    "variants", queryset=ProductVariant.objects.active().order_by("position", "id")
                ),
                Prefetch(
                    "attribute_values",
                    queryset=AttributeAssignment.objects.select_related("attribute", "value"),
                ),
            )
            .filter(slug=slug)
            .first()
        )
        if product is None:
            raise NotFound(f"No product '{slug}'.")
        percent: Decimal = product.discount_percent  # type: ignore[attr-defined]
        variants = list(product.variants.all())
        described = describe_attributes(product.attribute_values.all(), [v.pk for v in variants])
        gallery: list[ProductImage] = product.image_rows  # type: ignore[attr-defined]
        # Each variant's own first image: the page shows it first when the variant is picked.
        variant_images: dict[int, int] = {}
        for row in gallery:
            if row.variant_id is not None:
                variant_images.setdefault(row.variant_id, row.pk)
        return {
            **_card(product),
            "tag_refs": product.listing_tags,  # the read model's {slug, name} per tag, in order
            "description": product.description,
            "breadcrumbs": _breadcrumbs(product.category_id),
            "images": [image_data(row) for row in gallery],
            "attributes": described["attributes"],
            "variant_attributes": described["variant_attributes"],
            "variants": [
                {
                    **_variant(v, percent),
                    "attributes": described["by_variant"][v.pk],
                    "image_id": variant_images.get(v.pk),
                }
                for v in variants
            ],
        }

    return cached("product", slug, compute=compute, expires_at=discounts.next_change)


def get_product_id(slug: str) -> Any:
    """Return the primary key of a product customers can see (for reviews, keyed by slug).

    Raises:
        NotFound: no visible product has this slug.
    """
    pk = (
        Product.objects.active()
        .sellable()
        .in_categories(list(_visible_categories()))
        .filter(slug=slug)
        .values_list("pk", flat=True)
        .first()
    )
    if pk is None:
        raise NotFound(f"No product '{slug}'.")
    return pk


def variant_images(*, skus: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Return the picture to show for each of these SKUs (a cart's lines): the variant's own
    first image, else its product's first; SKUs without any are left out. One query, cached."""
    wanted = sorted(set(skus))

    def compute() -> dict[str, dict[str, Any]]:
        rows = (
            ProductImage.objects.filter(product__variants__sku__in=wanted)
            .annotate(line_sku=F("product__variants__sku"), line_variant=F("product__variants"))
            .order_by("position", "id")
            .only(*IMAGE_COLUMNS)
        )

        def own(row: Any) -> bool:  # the image is of the line's very variant
            return row.variant_id is not None and row.variant_id == row.line_variant

        chosen: dict[str, ProductImage] = {}
        for row in rows:
            current = chosen.get(row.line_sku)
            if current is None or (own(row) and not own(current)):
                chosen[row.line_sku] = row
        return {sku: image_data(row) for sku, row in chosen.items()}

    return cached("variant-images", wanted, compute=compute) if wanted else {}


# --- Related products -----------------------------------------------------------------------

RELATED_LIMIT = 4
BOUGHT_TOGETHER, SAME_CATEGORY = "bought_together", "same_category"
RELATED_REASONS = (BOUGHT_TOGETHER, SAME_CATEGORY)


def related_products(*, slug: str, limit: int = RELATED_LIMIT) -> list[dict[str, Any]]:
    """Return up to `limit` cards to show with a product, each with the `reason` it is shown.

    First the products most often bought with it ("bought_together", most orders first), then,
    to fill the list, others of its category ("same_category": best rated, then newest). Only
    products customers can see and buy; never the product itself, never one twice. A fixed
    number of queries once the product is read (`get_product`, cached): one for the candidate
    ids, then those of a list of cards (none when there is no candidate).

    Raises:
        NotFound: no visible product has this slug.
    """
    product = get_product(slug)
    discounts = get_discount_map()

    def compute() -> list[dict[str, Any]]:
        source = product["id"]
        scores = ProductAssociation.objects.filter(product_id=source)
        bought_together = scores.order_by("-score", "related_id").values("related_id")[
            : settings.RELATED_PRODUCTS_TOP_K
        ]
        best_rated = (F("average_rating").desc(nulls_last=True), "-created_at", "-pk")
        same_category = (
            Product.objects.active()
            .filter(category__slug=product["category"]["slug"])
            .exclude(pk=source)
            .sellable()
            .with_rating()
            .order_by(*best_rated)
            .values("pk")[:limit]
        )
        # The few candidate ids first: the card query then reads those rows by primary key,
        # where a filter on both subqueries would have it scan the products.
        candidates = set(
            Product.objects.filter(pk__in=bought_together)
            .order_by()
            .values_list("pk", flat=True)
            .union(
                Product.objects.filter(pk__in=same_category)
                .order_by()
                .values_list("pk", flat=True),
                all=True,
            )
        )
        if not candidates:
            return []
        cards = (
            _cards(discounts)
            .filter(pk__in=candidates)
            .exclude(pk=source)
            .annotate(
                association_score=Subquery(
                    scores.filter(related_id=OuterRef("pk")).values("score")[:1]
                )
            )
            .order_by(F("association_score").desc(nulls_last=True), *best_rated)[:limit]
        )
        return [
            {
                **_card(card),
                "reason": SAME_CATEGORY
                if card.association_score is None  # type: ignore[attr-defined]
                else BOUGHT_TOGETHER,
            }
            for card in cards
        ]

    return cached("related", slug, limit, compute=compute, expires_at=discounts.next_change)


# --- Search help: spelling and suggestions -------------------------------------------------

SUGGESTIONS_LIMIT = 8
CATEGORY_SUGGESTIONS_LIMIT = 3


def search_vocabulary() -> list[str]:
    """Return the sorted words of visible products', categories' and tags' names: what a
    misspelt search word is corrected towards (one query, cached)."""

    def compute() -> list[str]:
        categories = _visible_categories()
        names = (
            Product.objects.active()
            .in_categories(list(categories))
            .order_by()
            .values_list("name", flat=True)
            .union(Tag.objects.order_by().values_list("name", flat=True))
        )
        return spelling.vocabulary_of(
            itertools.chain(names, (row["name"] for row in categories.values()))
        )

    return cached("search-vocabulary", compute=compute)


def _substitutes(word: str) -> list[str]:
    """Return the vocabulary words a substring search looks for in place of a misspelt word."""
    return spelling.substitutes(word, search_vocabulary())


def _categories_named(query: str) -> list[int]:
    """Return the ids of the visible categories a search names, and of their sub-categories."""
    visible = _visible_categories()
    named = [cid for cid, row in visible.items() if spelling.names_all(query, row["name"])]
    children = _children(visible.values())
    return sorted({cid for root in named for cid in _subtree(root, children)})


def _did_you_mean(filters: ProductFilters, discounts: DiscountMap) -> str | None:
    """Return the search with its misspelt words corrected, if that finds any product under
    the same filters: a suggestion never leads to another empty page."""
    suggestion = spelling.corrected(filters.search or "", search_vocabulary())
    if suggestion is None:
        return None
    found = _filtered_cards(replace(filters, search=suggestion), discounts).exists()
    return suggestion if found else None


def _suggestion(kind: str, text: str, slug: str) -> dict[str, Any]:
    return {"text": text, "kind": kind, "slug": slug}


def search_suggestions(*, query: str, limit: int = SUGGESTIONS_LIMIT) -> list[dict[str, Any]]:
    """Return up to `limit` completions of a search being typed: categories, then products.

    A name is suggested when, for every word of `query`, one of its words starts with that
    word or, for a misspelt one, with a close beginning of a vocabulary word ("sneek" finds
    "Sneakers"). At most three categories come first; within each kind, names that start with
    the first word come first, then shorter names. Products are suggested by distinct name,
    with the slug of one product of that name. Each suggestion is {text, kind, slug}.
    """
    typed = spelling.words(query)

    def compute() -> list[dict[str, Any]]:
        if not typed:
            return []
        vocabulary = search_vocabulary()
        beginnings = [spelling.prefix_spellings(word, vocabulary) for word in typed]
        has_words = [re.compile(word_start_regex(group), re.IGNORECASE) for group in beginnings]
        leading = "^(" + "|".join(beginnings[0]) + ")"
        visible = _visible_categories()

        def rank(name: str) -> tuple[bool, int, str]:
            return (re.match(leading, name, re.IGNORECASE) is None, len(name), name)

        categories = sorted(
            (row for row in visible.values() if all(w.search(row["name"]) for w in has_words)),
            key=lambda row: rank(row["name"]),
        )[: min(CATEGORY_SUGGESTIONS_LIMIT, limit)]
        products = (
            Product.objects.active()
            .sellable()
            .in_categories(list(visible))
            .with_name_words_starting(beginnings)
            .values("name")
            .annotate(
                slug=Min("slug"),
                later=Case(When(name__iregex=leading, then=Value(0)), default=Value(1)),
            )
            .order_by("later", Length("name"), "name")[: limit - len(categories)]
        )
        suggestions = [_suggestion("category", row["name"], row["slug"]) for row in categories]
        taken = {row["name"].lower() for row in categories}
        suggestions += [
            _suggestion("product", row["name"], row["slug"])
            for row in products
            if row["name"].lower() not in taken
        ]
        return suggestions

    return cached("suggestions", typed, limit, compute=compute)


# --- Reviews --------------------------------------------------------------------------------


def _author(full_name: str, email: str) -> str:
    parts = full_name.split()
    if not parts:
        return email.split("@", 1)[0][:1].upper() + "."
    return parts[0] if len(parts) == 1 else f"{parts[0]} {parts[-1][0]}."


def review_data(review: Review) -> dict[str, Any]:
    """Return a review as the API shows it (the author by first name and initial only)."""
    return {
        "id": str(review.pk),
        "rating": review.rating,
        "title": review.title,
        "body": review.body,
        "verified_purchase": review.verified_purchase,
        "author": _author(review.user.full_name, review.user.email),
        "created_at": review.created_at.isoformat().replace("+00:00", "Z"),
        "updated_at": review.updated_at.isoformat().replace("+00:00", "Z"),
    }


REVIEW_ORDER = KeysetOrder("created_at", descending=True, key_type="datetime")


def list_reviews(*, slug: str, cursor: str | None, page_size: int) -> dict[str, Any]:
    """Return one page of a product's visible reviews, newest first.

    Raises:
        NotFound: no visible product has this slug.
        InvalidCursor: the cursor is not one of this listing's.
    """

    def compute() -> dict[str, Any]:
        product_id = get_product_id(slug)
        reviews = Review.objects.visible().filter(product_id=product_id).select_related("user")
        page = paginate_keyset(reviews, order=REVIEW_ORDER, cursor=cursor, page_size=page_size)
        return {
            "results": [review_data(review) for review in page.items],
            "next_cursor": page.next_cursor,
            "previous_cursor": page.previous_cursor,
        }

    return cached("reviews", slug, cursor, page_size, compute=compute)


# --- Facets ---------------------------------------------------------------------------------

RATING_THRESHOLDS = (4, 3, 2, 1)


def _ids(filters: ProductFilters, discounts: DiscountMap) -> Any:
    return _filtered_cards(filters, discounts).order_by().values("pk")


def _attribute_counts(
    filters: ProductFilters, discounts: DiscountMap, attribute_ids: list[int]
) -> dict[tuple[int, Any, Any], dict[str, Any]]:
    """Count, in one grouped query, the listed products per attribute value (and yes/no), and
    the range of each number attribute; variant values count for their product."""
    rows = (
        AttributeAssignment.objects.filter(
            product_id__in=_ids(filters, discounts), attribute_id__in=attribute_ids
        )
        .filter(counted_rows(filters.attributes))
        .values("attribute_id", "value_id", "boolean")
        .annotate(count=Count("product_id", distinct=True), low=Min("number"), high=Max("number"))
        .order_by()
    )
    return {(r["attribute_id"], r["value_id"], r["boolean"]): r for r in rows}


def _attribute_facet(
    attribute: dict[str, Any], counts: dict[tuple[int, Any, Any], dict[str, Any]], chosen: Any
) -> dict[str, Any] | None:
    """Return one attribute's facet from its counts, or None when no listed product has it."""
    kind, aid = attribute["kind"], attribute["id"]
    facet = {k: attribute[k] for k in ("slug", "name", "kind", "unit")}
    if kind == AttributeKind.NUMBER:
        row = counts.get((aid, None, None))
        if row is None:
            return None
        return {
            **facet,
            "values": [],
            "range": {
                "min": _number(row["low"]),
                "max": _number(row["high"]),
                "count": row["count"],
            },
            "selected": {
                "min": _number(chosen.minimum) if chosen else None,
                "max": _number(chosen.maximum) if chosen else None,
            },
        }
    selected = set(chosen.values) if chosen else set()
    options: list[tuple[str, str, tuple[int, int | None, bool | None]]]
    if kind == AttributeKind.BOOLEAN:
        options = [("true", "Yes", (aid, None, True)), ("false", "No", (aid, None, False))]
    else:
        options = [(v["slug"], v["name"], (aid, v["id"], None)) for v in attribute["values"]]
    values = [
        {
            "slug": slug,
            "name": name,
            "count": counts[key]["count"] if key in counts else 0,
            "selected": slug in selected,
        }
        for slug, name, key in options
        if key in counts or slug in selected
    ]
    return {**facet, "values": values, "range": None, "selected": None} if values else None


def _number(value: Decimal | None) -> str | None:
    return None if value is None else f"{value.normalize():f}"


def _summary(filters: ProductFilters, discounts: DiscountMap) -> dict[str, Any]:
    """Return the total, the in-stock and per-rating counts and the price range, in one query.

    The base is the list without its own price, rating and stock filters; each count then
    applies the other two, so a count says what choosing that option would give.
    """
    base = replace(filters, price_min=None, price_max=None, rating_min=None, in_stock=None)
    price = Q()
    if filters.price_min is not None:
        price &= Q(price_key__gte=int(filters.price_min * 100))
    if filters.price_max is not None:
        price &= Q(price_key__lte=int(filters.price_max * 100))
    rating = Q(average_rating__gte=filters.rating_min) if filters.rating_min else Q()
    stocked = Q(listing_stocked_variants__gt=0)
    stock = Q() if filters.in_stock is None else (stocked if filters.in_stock else ~stocked)
    everything = Q(pk__isnull=False)  # an always-true condition for the unfiltered parts
    aggregates: dict[str, Any] = {
        "total": Count("pk", filter=everything & price & rating & stock),
        "in_stock": Count("pk", filter=everything & price & rating & stocked),
        "price_low": Min("price_key", filter=everything & rating & stock),
        "price_high": Max("price_key", filter=everything & rating & stock),
    }
    for threshold in RATING_THRESHOLDS:
        aggregates[f"rating_{threshold}"] = Count(
            "pk", filter=everything & price & stock & Q(average_rating__gte=threshold)
        )
    row = _filtered_cards(base, discounts).order_by().aggregate(**aggregates)
    currency = settings.DEFAULT_CURRENCY
    low, high = row["price_low"], row["price_high"]
    return {
        "total": row["total"],
        "in_stock": row["in_stock"],
        "price": {
            "min": None if low is None else format_money(Decimal(low) / 100, currency),
            "max": None if high is None else format_money(Decimal(high) / 100, currency),
            "currency": currency,
        },
        "ratings": [
            {"min": threshold, "count": row[f"rating_{threshold}"]}
            for threshold in RATING_THRESHOLDS
        ],
    }


def _tag_facet(filters: ProductFilters, discounts: DiscountMap) -> list[dict[str, Any]]:
    """Count the listed products per tag, as if no tag were chosen (a tag is picked alone)."""
    ids = _ids(replace(filters, tag=None), discounts)
    counts = dict(
        Product.tags.through.objects.filter(product_id__in=ids)
        .values("tag_id")
        .annotate(n=Count("product_id"))
        .order_by()
        .values_list("tag_id", "n")  # type: ignore[misc]  # stubs miss annotated names
    )
    return [
        {
            "slug": tag["slug"],
            "name": tag["name"],
            "count": counts.get(tag["id"], 0),
            "selected": tag["slug"] == filters.tag,
        }
        for tag in list_tags()
        if tag["id"] in counts or tag["slug"] == filters.tag
    ]


def _category_facet(filters: ProductFilters, discounts: DiscountMap) -> list[dict[str, Any]]:
    """Count the listed products under each sub-category of the chosen one (or each top
    category when none is chosen), as if the list were not narrowed by category."""
    by_id = _visible_categories()
    children = _children(by_id.values())
    heads = children.get(_visible_category_id(filters.category), [])
    if not heads:
        return []
    ids = _ids(replace(filters, category=None), discounts)
    per_category = dict(
        Product.objects.filter(pk__in=ids)
        .values("category_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("category_id", "n")
    )
    facet = []
    for head in heads:
        count = sum(per_category.get(cid, 0) for cid in _subtree(head, children))
        if count:
            facet.append({"slug": by_id[head]["slug"], "name": by_id[head]["name"], "count": count})
    return facet


def _compute_facets(filters: ProductFilters, discounts: DiscountMap) -> dict[str, Any]:
    attributes = filterable_attributes()
    chosen = {item.slug: item for item in filters.attributes}
    counts = _attribute_counts(filters, discounts, [a["id"] for a in attributes])
    for slug in chosen:
        attribute = next(a for a in attributes if a["slug"] == slug)
        others = tuple(item for item in filters.attributes if item.slug != slug)
        own = _attribute_counts(replace(filters, attributes=others), discounts, [attribute["id"]])
        counts = {k: v for k, v in counts.items() if k[0] != attribute["id"]} | own
    facets = [_attribute_facet(a, counts, chosen.get(a["slug"])) for a in attributes]
    return {
        **_summary(filters, discounts),
        "categories": _category_facet(filters, discounts),
        "tags": _tag_facet(filters, discounts),
        "attributes": [facet for facet in facets if facet is not None],
    }


def product_facets(*, filters: ProductFilters) -> dict[str, Any]:
    """Return the facets of a product list: counts per value of each filterable attribute, per
    tag and sub-category, per rating threshold, in stock, and the price range.

    Counts are computed in SQL in a fixed number of queries: one for every attribute at once,
    one each for tags, categories and the summary, plus one per attribute being filtered by
    (its values are counted without its own filter, so choosing a second value of the same
    attribute shows what it would add). Cached under the catalog version; after a catalog
    write, counts computed at most CATALOG_STALE_SECONDS ago are served while the
    `catalog.refresh_product_facets` task computes the new ones (on a large catalog they take
    seconds: a request after every write should not wait for them).

    Raises:
        UnknownFilterValue: the category or tag filter names nothing.
    """
    discounts = get_discount_map()
    payload = filters_payload(filters)
    return cached_or_stale(
        "facets",
        payload,
        compute=lambda: _compute_facets(filters, discounts),
        refresh=lambda: _enqueue_facets_refresh(payload),
        expires_at=discounts.next_change,
    )


def _enqueue_facets_refresh(payload: dict[str, Any]) -> None:
    from apps.catalog import tasks  # tasks import the selectors

    tasks.refresh_product_facets.delay(payload)


def refresh_product_facets(*, filters: ProductFilters) -> dict[str, Any]:
    """Compute a list's facets and store them as current (the task behind `product_facets`)."""
    discounts = get_discount_map()
    return store_current(
        "facets",
        filters_payload(filters),
        compute=lambda: _compute_facets(filters, discounts),
        expires_at=discounts.next_change,
    )


NUMBER_FILTERS = ("price_min", "price_max", "rating_min")


def _text(number: Decimal | None) -> str | None:
    return None if number is None else str(number)


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def filters_payload(filters: ProductFilters) -> dict[str, Any]:
    """Return `filters` as JSON-safe data (a task's argument, a cache key's part)."""
    return {
        **asdict(filters),
        **{name: _text(getattr(filters, name)) for name in NUMBER_FILTERS},
        "attributes": [
            {
                "slug": item.slug,
                "values": list(item.values),
                "minimum": _text(item.minimum),
                "maximum": _text(item.maximum),
            }
            for item in filters.attributes
        ],
    }


def filters_from_payload(data: dict[str, Any]) -> ProductFilters:
    """Return the filters that `filters_payload` turned into `data`."""
    return ProductFilters(
        **{
            **data,
            **{name: _decimal(data[name]) for name in NUMBER_FILTERS},
            "attributes": tuple(
                AttributeFilter(
                    slug=item["slug"],
                    values=tuple(item["values"]),
                    minimum=_decimal(item["minimum"]),
                    maximum=_decimal(item["maximum"]),
                )
                for item in data["attributes"]
            ),
        }
    )

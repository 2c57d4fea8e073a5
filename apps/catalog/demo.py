"""Seed a realistic, deterministic demo catalog, fast enough for 100,000 products.

Demo products are numbered 1..N. Product n always gets the same id, slug and SKUs (its
content also depends on `seed`), so a re-run creates only the numbered products that are
missing. Rows go in through `bulk_create` in batches, which sends no signals: the catalog
version is bumped once at the end instead.
"""

import itertools
import random
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, reset_queries, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.text import slugify

from apps.catalog.cache import bump_catalog_version_on_commit
from apps.catalog.demo_attributes import AttributePlan, product_assignments, seed_attributes
from apps.catalog.demo_images import PicturePool, plan_images
from apps.catalog.listing import refresh_all_listings
from apps.catalog.models import (
    AttributeAssignment,
    Category,
    Discount,
    Product,
    ProductImage,
    ProductVariant,
    Review,
    Tag,
)
from apps.core.money import default_currency
from apps.users.models import User

BATCH_SIZE = 2_000
CUSTOMER_EMAIL = "shopper{n}@emporium.localhost"
DISCOUNT_PREFIX = "Demo: "
# Namespace of the demo products' ids: product n is uuid5(namespace, "product-n") on every run.
_PRODUCT_NAMESPACE = uuid.UUID("6f1c2a9e-5d0b-4c47-9a51-3e7f0b2d8c14")

Progress = Callable[[int, int], None]


@dataclass
class SeedReport:
    """What a seeding run created, and how many numbered products it found already there."""

    categories: int = 0
    tags: int = 0
    customers: int = 0
    products: int = 0
    variants: int = 0
    reviews: int = 0
    discounts: int = 0
    existing_products: int = 0
    # Numbered products skipped because another product already uses their slug or a SKU.
    conflicts: int = 0
    images: int = 0  # image rows
    pictures_drawn: int = 0  # pool pictures drawn and stored (0 when all were there)


# --- The catalog's vocabulary ---------------------------------------------------------------

Options = tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class _Leaf:
    """A leaf category and the words its products are made of."""

    name: str
    nouns: tuple[str, ...]
    qualities: tuple[str, ...]
    options: Options
    price: tuple[int, int]  # whole currency units
    simple_share: float  # share of products sold as one plain variant
    pattern: str = "{adjective} {quality} {noun}"


@dataclass(frozen=True)
class _Top:
    name: str
    description: str
    adjectives: tuple[str, ...]
    details: tuple[str, ...]  # sentences for product descriptions
    leaves: tuple[_Leaf, ...]


def _t(text: str) -> tuple[str, ...]:
    """Split a ", "-separated list (so its items must not contain ", " themselves)."""
    return tuple(word.strip() for word in text.split(","))


APPAREL_SIZES = ("size", _t("XS, S, M, L, XL, XXL"))
SHOE_SIZES = ("size", _t("38, 39, 40, 41, 42, 43, 44, 45, 46"))
BOOK_FORMATS: Options = (("format", _t("Paperback, Hardcover, Audiobook")),)
BOTTLE_SIZES: Options = (("size", _t("30 ml, 50 ml, 100 ml")),)

CATALOG: tuple[_Top, ...] = (
    _Top(
        "Clothing",
        "Everyday and occasion wear, cut to last.",
        _t("Classic, Relaxed, Slim-Fit, Everyday, Heritage, Tailored, Vintage, Essential"),
        _t(
            "Cut for a comfortable true-to-size fit., Machine washable at 30°C., "
            "Garment-dyed for a soft and lived-in feel., Reinforced seams where it matters., "
            "Pre-washed so it will not shrink."
        ),
        (
            _Leaf(
                "Shirts",
                _t("Oxford Shirt, Button-Down Shirt, Flannel Shirt, Polo Shirt, Henley, T-Shirt"),
                _t("Cotton, Linen, Organic Cotton, Chambray, Poplin, Denim"),
                (APPAREL_SIZES, ("colour", _t("White, Blue, Black, Olive, Navy, Grey"))),
                (19, 89),
                0.05,
            ),
            _Leaf(
                "Trousers",
                _t("Chinos, Jeans, Cargo Trousers, Joggers, Shorts, Corduroys"),
                _t("Stretch Cotton, Selvedge Denim, Twill, Wool-Blend, Ripstop"),
                (("waist", _t("28, 30, 32, 34, 36, 38")), ("colour", _t("Stone, Navy, Black"))),
                (29, 129),
                0.05,
            ),
            _Leaf(
                "Jackets",
                _t("Parka, Bomber Jacket, Rain Jacket, Denim Jacket, Puffer Jacket, Trench Coat"),
                _t("Waxed Cotton, Recycled Nylon, Down-Filled, Water-Resistant, Wool"),
                (APPAREL_SIZES, ("colour", _t("Black, Olive, Navy, Sand"))),
                (59, 349),
                0.1,
            ),
            _Leaf(
                "Knitwear",
                _t("Crewneck Sweater, Cardigan, Roll-Neck Jumper, Hoodie, Quarter-Zip"),
                _t("Merino, Cashmere, Lambswool, Cotton, Alpaca-Blend"),
                (APPAREL_SIZES, ("colour", _t("Oatmeal, Charcoal, Forest, Burgundy"))),
                (39, 199),
                0.1,
            ),
        ),
    ),
    _Top(
        "Shoes",
        "Sneakers, boots and sandals for every season.",
        _t("Classic, Everyday, Trail, Urban, Retro, Lightweight, Handmade, Cushioned"),
        _t(
            "A cushioned footbed for all-day comfort., Resoled easily by any cobbler., "
            "Runs true to size; go half a size up for thick socks., "
            "A grippy rubber outsole for wet pavements."
        ),
        (
            _Leaf(
                "Sneakers",
                _t("Running Shoes, Court Sneakers, High-Tops, Slip-Ons, Trainers"),
                _t("Leather, Suede, Knit, Canvas, Recycled Mesh"),
                (SHOE_SIZES, ("colour", _t("White, Black, Grey, Navy"))),
                (49, 179),
                0.05,
            ),
            _Leaf(
                "Boots",
                _t("Chelsea Boots, Hiking Boots, Chukka Boots, Work Boots, Ankle Boots"),
                _t("Leather, Suede, Waterproof Leather, Nubuck"),
                (SHOE_SIZES, ("colour", _t("Black, Tan, Brown"))),
                (89, 299),
                0.05,
            ),
            _Leaf(
                "Sandals",
                _t("Slides, Sandals, Espadrilles, Flip-Flops"),
                _t("Cork, Leather, Rubber, Jute"),
                (SHOE_SIZES,),
                (19, 99),
                0.1,
            ),
        ),
    ),
    _Top(
        "Electronics",
        "Sound, phones, computers and cameras.",
        _t("Wireless, Compact, Pro, Ultra, Smart, Portable, Essential, Studio"),
        _t(
            "Two-year manufacturer warranty included., USB-C charging; cable in the box., "
            "Up to 30 hours of battery life., Firmware updates over the air., "
            "Recycled aluminium and plastics."
        ),
        (
            _Leaf(
                "Headphones",
                _t("Headphones, Earbuds, Over-Ear Headphones, Neckband Earphones"),
                _t("Noise-Cancelling, Bluetooth, Hi-Res, Sport, Open-Back"),
                (("colour", _t("Black, White, Silver, Midnight Blue")),),
                (29, 399),
                0.3,
            ),
            _Leaf(
                "Smartphones",
                _t("Smartphone, Phone, Mini Phone"),
                _t("5G, Dual-SIM, Rugged, Camera-First, Foldable"),
                (("storage", _t("64 GB, 128 GB, 256 GB, 512 GB")), ("colour", _t("Black, Silver"))),
                (199, 1299),
                0.1,
            ),
            _Leaf(
                "Laptops",
                _t("Laptop, Notebook, Ultrabook, 2-in-1 Laptop"),
                _t("13-inch, 14-inch, 15-inch, 16-inch"),
                (("memory", _t("8 GB, 16 GB, 32 GB")), ("storage", _t("256 GB, 512 GB, 1 TB"))),
                (499, 2499),
                0.2,
            ),
            _Leaf(
                "Cameras",
                _t("Mirrorless Camera, Action Camera, Instant Camera, Compact Camera, Dashcam"),
                _t("4K, Full-Frame, Waterproof, 24 MP"),
                (("colour", _t("Black, Silver")),),
                (79, 1999),
                0.5,
            ),
        ),
    ),
    _Top(
        "Home & Kitchen",
        "Cookware, bedding, lighting and furniture.",
        _t("Modern, Rustic, Nordic, Everyday, Artisan, Minimalist, Classic, Premium"),
        _t(
            "Designed in Copenhagen and made in Portugal., Dishwasher safe., "
            "Built to be used daily for years., Arrives fully assembled., "
            "Packed without plastic."
        ),
        (
            _Leaf(
                "Cookware",
                _t("Frying Pan, Saucepan, Dutch Oven, Wok, Stockpot, Baking Tray"),
                _t("Cast-Iron, Stainless Steel, Non-Stick, Enamelled, Copper"),
                (("size", _t("20 cm, 24 cm, 28 cm")),),
                (19, 249),
                0.3,
            ),
            _Leaf(
                "Bedding",
                _t("Duvet Cover Set, Fitted Sheet, Pillowcase Pair, Throw Blanket, Quilt"),
                _t("Linen, Percale Cotton, Sateen, Bamboo, Waffle-Knit"),
                (
                    ("size", _t("Single, Double, King, Super King")),
                    ("colour", _t("White, Sand, Sage, Charcoal")),
                ),
                (25, 199),
                0.1,
            ),
            _Leaf(
                "Lighting",
                _t("Table Lamp, Floor Lamp, Pendant Light, Desk Lamp, String Lights"),
                _t("Brass, Ceramic, Rattan, Glass, Oak"),
                (("colour", _t("Black, White, Brass")),),
                (19, 299),
                0.5,
            ),
            _Leaf(
                "Furniture",
                _t("Side Table, Bookshelf, Armchair, Bench, Coffee Table, Bar Stool"),
                _t("Oak, Walnut, Rattan, Steel, Bamboo"),
                (("finish", _t("Natural, Black, White")),),
                (79, 899),
                0.4,
            ),
        ),
    ),
    _Top(
        "Sports & Outdoors",
        "Gear for trails, roads and the gym.",
        _t("Trail, Alpine, Ultralight, Performance, Expedition, Everyday, Pro, Compact"),
        _t(
            "Tested in the Alps by our own team., Packs down small., "
            "Reflective details for low light., Sweat-wicking and quick-drying., "
            "Covered by our lifetime repair service."
        ),
        (
            _Leaf(
                "Camping",
                _t("Tent, Sleeping Bag, Camping Stove, Headlamp, Backpack, Sleeping Mat"),
                _t("Two-Person, Three-Season, Waterproof, Insulated, Packable"),
                (("colour", _t("Green, Orange, Grey")),),
                (19, 499),
                0.4,
            ),
            _Leaf(
                "Cycling",
                _t("Bike Helmet, Cycling Jersey, Bike Light Set, Saddle Bag, Cycling Gloves"),
                _t("Aero, Reflective, Breathable, Padded"),
                (("size", _t("S, M, L, XL")),),
                (15, 249),
                0.2,
            ),
            _Leaf(
                "Fitness",
                _t("Yoga Mat, Kettlebell, Resistance Band Set, Dumbbell Pair, Foam Roller"),
                _t("Non-Slip, Cast-Iron, Adjustable, Eco, Textured"),
                (("colour", _t("Black, Purple, Teal, Coral")),),
                (9, 149),
                0.4,
            ),
        ),
    ),
    _Top(
        "Beauty & Personal Care",
        "Skincare, fragrance and hair care.",
        _t("Hydrating, Gentle, Radiance, Daily, Nourishing, Botanical, Intensive, Soothing"),
        _t(
            "Dermatologically tested., Free from parabens and added fragrance., "
            "Vegan and cruelty-free., In a refillable glass bottle., "
            "Suitable for sensitive skin."
        ),
        (
            _Leaf(
                "Skincare",
                _t("Face Cream, Serum, Cleanser, Eye Cream, Sunscreen SPF 50, Face Mask"),
                _t("Vitamin C, Hyaluronic, Retinol, Aloe, Niacinamide"),
                BOTTLE_SIZES,
                (9, 89),
                0.4,
            ),
            _Leaf(
                "Fragrance",
                _t("Eau de Parfum, Eau de Toilette, Body Mist, Cologne"),
                _t("Cedar, Citrus, Amber, Vetiver, Jasmine, Sea Salt"),
                BOTTLE_SIZES,
                (25, 180),
                0.2,
            ),
            _Leaf(
                "Hair Care",
                _t("Shampoo, Conditioner, Hair Oil, Styling Cream, Hair Mask"),
                _t("Argan, Coconut, Tea Tree, Keratin, Rosemary"),
                (("size", _t("250 ml, 500 ml")),),
                (6, 45),
                0.5,
            ),
        ),
    ),
    _Top(
        "Books",
        "Novels, cookbooks and stories for children.",
        _t("Silent, Hidden, Last, Golden, Forgotten, Midnight, Wild, Distant, Quiet"),
        _t(
            "A Sunday Times bestseller., Shortlisted for the Booker Prize., "
            "Beautifully illustrated throughout., Now with a new afterword by the author., "
            "Printed on FSC-certified paper."
        ),
        (
            _Leaf(
                "Fiction",
                _t("River, Garden, Orchard, Lighthouse, Kingdom, Harbour, Winter, Archive"),
                ("",),
                BOOK_FORMATS,
                (8, 32),
                0.6,
                pattern="The {adjective} {noun}",
            ),
            _Leaf(
                "Cookbooks",
                _t("Kitchen, Suppers, Feasts, Bakes, Cooking, Table"),
                _t("Simple, Slow, Weeknight, Plant-Based, Mediterranean, Nordic, Vegetarian"),
                BOOK_FORMATS,
                (15, 45),
                0.6,
                pattern="{quality} {noun}",
            ),
            _Leaf(
                "Children's Books",
                _t("Dragon, Fox, Balloon, Treehouse, Robot, Submarine, Lighthouse Keeper"),
                ("",),
                BOOK_FORMATS,
                (6, 20),
                0.7,
                pattern="The {adjective} {noun}",
            ),
        ),
    ),
    _Top(
        "Toys & Games",
        "Board games, puzzles and building sets.",
        _t("Deluxe, Junior, Classic, Family, Giant, Travel, Collector's, Ultimate"),
        _t(
            "For 2 to 6 players aged 8 and up., Plays in about 45 minutes., "
            "Made from recycled cardboard., A perfect rainy-day project., "
            "Includes a full-colour instruction booklet."
        ),
        (
            _Leaf(
                "Board Games",
                _t("Tycoon, Builders, Explorers, Quest, Conquest, Traders"),
                _t("Castle, Island, Railway, Galaxy, Harbour, Dragon"),
                (),
                (15, 79),
                1.0,
                pattern="{quality} {noun}",
            ),
            _Leaf(
                "Puzzles",
                _t("Mountain Lake, Night Sky, World Map, Botanical Garden, Harbour Town"),
                _t("500-Piece, 1000-Piece, 1500-Piece"),
                (),
                (12, 39),
                1.0,
                pattern="{quality} {noun} Jigsaw Puzzle",
            ),
            _Leaf(
                "Building Sets",
                _t("Space Station, Fire Station, Pirate Ship, Race Car, Castle, Robot"),
                ("",),
                (),
                (19, 199),
                1.0,
                pattern="{adjective} {noun} Building Set",
            ),
        ),
    ),
)

TAGS = _t(
    "New Arrival, Bestseller, Eco-Friendly, Organic, Handmade, Limited Edition, Gift Idea, "
    "Vegan, Waterproof, Recycled Materials, Made in Europe, Fair Trade, Staff Pick, "
    "Back in Stock, Online Exclusive, Award Winner, Lightweight, Travel-Friendly, Kids, Unisex, "
    "Summer, Winter, Outdoor, Minimalist, Premium, Budget Pick, Sustainable, Hypoallergenic, "
    "Dishwasher Safe, Machine Washable"
)

CUSTOMER_NAMES = _t(
    "Olivia Bennett, Liam Novak, Sofia Rossi, Noah Fischer, Emma Laurent, Lucas Silva, "
    "Mia Jensen, Elias Kowalski, Chloe Martin, Jonas Berg, Ava Moreau, Leo Schmidt, "
    "Isla Murphy, Mateo García, Freya Lindqvist, Hugo Dubois, Zoe Papadopoulos, Finn O'Brien, "
    "Nora Van Dijk, Oscar Horvat"
)

OPENERS = (
    "The {name} is one of the most-loved pieces in our {category} range.",
    "Meet the {name}, designed in-house and tested by our team.",
    "Looking for new {category}? The {name} is a great place to start.",
    "{name}: thoughtfully made, honestly priced.",
    "A customer favourite, the {name} keeps selling out for a reason.",
)
CLOSERS = (
    "Free returns within 30 days.",
    "Ships within two working days.",
    "Backed by our two-year guarantee.",
    "Gift wrapping available at checkout.",
)

RATING_WEIGHTS = (4, 6, 12, 33, 45)  # 1★ … 5★: skewed positive, like real shops
REVIEWS_PER_PRODUCT_WEIGHTS = (30, 20, 18, 14, 10, 8)  # 0 … 5 reviews
REVIEW_TITLES = {
    1: _t("Disappointed, Not as described, Would not buy again"),
    2: _t("Not great, Expected more, Fell apart quickly"),
    3: _t("It's okay, Does the job, Decent for the price"),
    4: _t("Really good, Very happy, Nice quality"),
    5: _t("Love it!, Perfect, Exactly what I wanted, Best purchase this year"),
}
REVIEW_BODIES = {
    1: _t("Broke within a week and support was slow., The colour looked nothing like the photos."),
    2: _t("Quality is below what I expected at this price., Sizing runs small; sent it back."),
    3: _t("Fine for everyday use but nothing special., Good value although delivery took a while."),
    4: _t("Well made and arrived quickly., Great quality; one small niggle with the fit."),
    5: _t("Fantastic quality and fast delivery., I bought a second one as a gift!"),
}

# (category name, percent, window) and (product number, percent, window); windows are
# relative to the time of seeding. Product deals only apply when that product exists.
CATEGORY_DISCOUNTS = (
    ("Shirts", 20, "current"),
    ("Sneakers", 15, "past"),
    ("Cookware", 25, "future"),
    ("Books", 10, "open"),
    ("Skincare", 30, "current"),
)
PRODUCT_DISCOUNTS = (
    (3, 10, "current"),
    (11, 40, "past"),
    (42, 25, "open"),
    (77, 5, "future"),
    (128, 35, "current"),
    (1_024, 15, "current"),
    (20_000, 20, "open"),
    (65_536, 30, "future"),
)


# --- Seeding -----------------------------------------------------------------------------


@dataclass
class _Batch:
    products: list[Product] = field(default_factory=list)
    variants: list[ProductVariant] = field(default_factory=list)
    product_tags: list[tuple[uuid.UUID, int]] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    # (product id, top, leaf, name) of each new product, for its attribute rows.
    specs: list[tuple[uuid.UUID, "_Top", "_Leaf", str]] = field(default_factory=list)


def seed_demo_catalog(
    *, products: int, seed: int = 42, progress: Progress | None = None, images: bool = True
) -> SeedReport:
    """Create the demo catalog with products 1..`products`, adding only what is missing.

    Categories, tags, 20 demo customers (`shopper{n}@emporium.localhost`, unusable passwords)
    and a handful of discounts come first; then the products, their variants, tags, reviews
    and (unless `images` is False) 1 to 3 pictures each, from a shared pool drawn once (see
    `apps.catalog.demo_images`), in batches of BATCH_SIZE, each batch in its own transaction.
    `progress(done, total)` is called after each batch.
    """
    if products < 0:
        raise ValueError("products must be zero or more.")
    report = SeedReport()
    rng = random.Random(seed)  # noqa: S311  (reproducible demo data, not secrets)
    with transaction.atomic():
        leaves = _seed_categories(report)
        attribute_plan = seed_attributes(leaves)
        tag_ids = _seed_tags(report)
        customer_ids = _seed_customers(report)
    seeder = _ProductSeeder(
        seed=seed,
        leaves=leaves,
        tag_ids=tag_ids,
        customer_ids=customer_ids,
        report=report,
        attribute_plan=attribute_plan,
        pictures=PicturePool() if images else None,
    )
    for start in range(1, products + 1, BATCH_SIZE):
        numbers = range(start, min(start + BATCH_SIZE, products + 1))
        with transaction.atomic():
            seeder.seed_batch(numbers)
        # With DEBUG on, Django keeps every query's SQL: a long run would hoard the whole
        # catalog as text.
        reset_queries()
        if progress is not None:
            progress(numbers[-1], products)
    report.pictures_drawn = seeder.pictures.drawn if seeder.pictures else 0
    with transaction.atomic():
        _seed_discounts(report, rng=rng, leaves=leaves, products=products)
    if report.products or report.variants or report.reviews:
        refresh_all_listings()  # bulk_create sends no signals
    if report.products:
        _analyze(
            Product,
            ProductVariant,
            Product.tags.through,
            Review,
            AttributeAssignment,
            ProductImage,
        )
    bump_catalog_version_on_commit()  # bulk_create sends no signals
    return report


def _analyze(*models: type[Model]) -> None:
    """Refresh PostgreSQL's planner statistics after a bulk load.

    Until autovacuum gets round to it (if it is on at all), the planner would guess the
    tables' sizes and can pick plans that are slower by orders of magnitude.
    """
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in models)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def product_id(number: int) -> uuid.UUID:
    """Return the id of demo product `number` (the same on every run and every database)."""
    return uuid.uuid5(_PRODUCT_NAMESPACE, f"product-{number}")


def product_sku(number: int, position: int) -> str:
    """Return the SKU of the `position`-th (1-based) variant of demo product `number`."""
    return f"EMP-{number:06d}-{position}"


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, remainder = divmod(number, 36)
        out = digits[remainder] + out
        if not number:
            return out


def _seed_categories(report: SeedReport) -> list[tuple[_Top, _Leaf, Category]]:
    """Create the missing categories; return every leaf with its spec."""
    existing = {c.slug: c for c in Category.objects.all()}
    tops = []
    for position, top in enumerate(CATALOG):
        slug = slugify(top.name)
        if slug not in existing:
            tops.append(
                Category(name=top.name, slug=slug, description=top.description, position=position)
            )
    report.categories += len(Category.objects.bulk_create(tops))
    existing = {c.slug: c for c in Category.objects.all()}
    children = []
    for top in CATALOG:
        parent = existing[slugify(top.name)]
        for position, leaf in enumerate(top.leaves):
            slug = f"{parent.slug}-{slugify(leaf.name)}"
            if slug not in existing:
                children.append(
                    Category(
                        name=leaf.name,
                        slug=slug,
                        parent=parent,
                        description=f"{leaf.name} in {top.name}.",
                        position=position,
                    )
                )
    report.categories += len(Category.objects.bulk_create(children))
    existing = {c.slug: c for c in Category.objects.all()}
    return [
        (top, leaf, existing[f"{slugify(top.name)}-{slugify(leaf.name)}"])
        for top in CATALOG
        for leaf in top.leaves
    ]


def _seed_tags(report: SeedReport) -> list[int]:
    slugs = [slugify(name) for name in TAGS]
    before = Tag.objects.filter(slug__in=slugs).count()
    Tag.objects.bulk_create(
        [Tag(name=name, slug=slug) for name, slug in zip(TAGS, slugs, strict=True)],
        ignore_conflicts=True,
    )
    by_slug = dict(Tag.objects.filter(slug__in=slugs).values_list("slug", "id"))
    report.tags += len(by_slug) - before
    return [by_slug[slug] for slug in slugs]


def _seed_customers(report: SeedReport) -> list[uuid.UUID]:
    emails = [CUSTOMER_EMAIL.format(n=n) for n in range(1, len(CUSTOMER_NAMES) + 1)]
    before = User.objects.filter(email__in=emails).count()
    User.objects.bulk_create(
        [
            # An unusable password: demo shoppers only write reviews, nobody signs in as them.
            User(email=email, full_name=name, password=make_password(None))
            for email, name in zip(emails, CUSTOMER_NAMES, strict=True)
        ],
        ignore_conflicts=True,
    )
    by_email = dict(User.objects.filter(email__in=emails).values_list("email", "id"))
    report.customers += len(by_email) - before
    return [by_email[email] for email in emails]


def _seed_discounts(
    report: SeedReport,
    *,
    rng: random.Random,
    leaves: Sequence[tuple[_Top, _Leaf, Category]],
    products: int,
) -> None:
    now = timezone.now()
    existing = set(
        Discount.objects.filter(name__startswith=DISCOUNT_PREFIX).values_list("name", flat=True)
    )
    categories = {leaf.name: category for _, leaf, category in leaves}
    tops = {c.slug: c for c in Category.objects.filter(slug__in=[slugify(t.name) for t in CATALOG])}
    categories.update({top.name: tops[slugify(top.name)] for top in CATALOG})
    wanted: list[Discount] = []
    for name, percent, window in CATEGORY_DISCOUNTS:
        label = f"{DISCOUNT_PREFIX}{percent}% off {name}"
        if label not in existing and name in categories:
            starts_at, ends_at = _window(window, now=now, rng=rng)
            wanted.append(
                Discount(
                    name=label,
                    percent=Decimal(percent),
                    category=categories[name],
                    starts_at=starts_at,
                    ends_at=ends_at,
                )
            )
    deals = {product_id(n): (n, pct, w) for n, pct, w in PRODUCT_DISCOUNTS if n <= products}
    present = set(Product.objects.filter(id__in=deals).values_list("id", flat=True))
    for pk, (number, percent, window) in deals.items():
        label = f"{DISCOUNT_PREFIX}deal of the week #{number:06d}"
        if label not in existing and pk in present:
            starts_at, ends_at = _window(window, now=now, rng=rng)
            wanted.append(
                Discount(
                    name=label,
                    percent=Decimal(percent),
                    product_id=pk,
                    starts_at=starts_at,
                    ends_at=ends_at,
                )
            )
    report.discounts += len(Discount.objects.bulk_create(wanted))


def _window(
    kind: str, *, now: datetime, rng: random.Random
) -> tuple[datetime | None, datetime | None]:
    days = timedelta(days=rng.randint(5, 20))
    if kind == "past":
        return now - 2 * days - timedelta(days=30), now - timedelta(days=30)
    if kind == "current":
        return now - days, now + 2 * days
    if kind == "future":
        return now + days, now + 2 * days
    return None, None


class _ProductSeeder:
    """Build and insert the numbered products of one batch, and everything hanging off them."""

    def __init__(
        self,
        *,
        seed: int,
        leaves: list[tuple[_Top, _Leaf, Category]],
        tag_ids: list[int],
        customer_ids: list[uuid.UUID],
        report: SeedReport,
        attribute_plan: AttributePlan,
        pictures: PicturePool | None = None,
    ) -> None:
        self.seed = seed
        self.leaves = leaves
        self.tag_ids = tag_ids
        self.customer_ids = customer_ids
        self.report = report
        self.attribute_plan = attribute_plan
        self.pictures = pictures
        self.currency = default_currency()
        self.combos = {
            leaf.name: list(itertools.product(*(values for _, values in leaf.options)))
            for _, leaf, _ in leaves
        }

    def seed_batch(self, numbers: Iterable[int]) -> None:
        ids = {n: product_id(n) for n in numbers}
        existing = set(Product.objects.filter(id__in=ids.values()).values_list("id", flat=True))
        self.report.existing_products += len(existing)
        batch = _Batch()
        for number, pk in ids.items():
            if pk not in existing:
                self._build_product(batch, number, pk)
        batch = self._without_conflicts(batch)
        Product.objects.bulk_create(batch.products, batch_size=BATCH_SIZE)
        ProductVariant.objects.bulk_create(batch.variants, batch_size=BATCH_SIZE)
        self._seed_attribute_values(batch)
        self._seed_images(batch)
        through = Product.tags.through
        through.objects.bulk_create(
            [through(product_id=p, tag_id=t) for p, t in batch.product_tags],
            batch_size=BATCH_SIZE,
        )
        Review.objects.bulk_create(batch.reviews, batch_size=BATCH_SIZE)
        self.report.products += len(batch.products)
        self.report.variants += len(batch.variants)
        self.report.reviews += len(batch.reviews)

    def _without_conflicts(self, batch: _Batch) -> _Batch:
        """Drop the products whose slug or a SKU another (non-demo) product already uses."""
        taken_slugs = set(
            Product.objects.filter(slug__in=[p.slug for p in batch.products]).values_list(
                "slug", flat=True
            )
        )
        taken_skus = set(
            ProductVariant.objects.filter(sku__in=[v.sku for v in batch.variants]).values_list(
                "sku", flat=True
            )
        )
        if not taken_slugs and not taken_skus:
            return batch
        skipped = {p.id for p in batch.products if p.slug in taken_slugs}
        skipped |= {v.product_id for v in batch.variants if v.sku in taken_skus}
        self.report.conflicts += len(skipped)
        return _Batch(
            products=[p for p in batch.products if p.id not in skipped],
            variants=[v for v in batch.variants if v.product_id not in skipped],
            product_tags=[(p, t) for p, t in batch.product_tags if p not in skipped],
            reviews=[r for r in batch.reviews if r.product_id not in skipped],
            specs=[spec for spec in batch.specs if spec[0] not in skipped],
        )

    def _build_product(self, batch: _Batch, number: int, pk: uuid.UUID) -> None:
        # One generator per product: product n is the same whatever the batch or N.
        rng = random.Random(f"{self.seed}:{number}")  # noqa: S311
        top, leaf, category = rng.choice(self.leaves)
        noun = rng.choice(leaf.nouns)
        name = " ".join(
            leaf.pattern.format(
                adjective=rng.choice(top.adjectives), quality=rng.choice(leaf.qualities), noun=noun
            ).split()
        )
        details = " ".join(rng.sample(top.details, 2))
        opener = rng.choice(OPENERS).format(name=name, category=leaf.name.lower())
        batch.products.append(
            Product(
                id=pk,
                name=name,
                slug=f"{slugify(name)}-{_base36(number)}",
                description=f"{opener} {details} {rng.choice(CLOSERS)}",
                category_id=category.pk,
                is_active=rng.random() >= 0.02,
                is_featured=rng.random() < 0.10,
                product_type_id=self.attribute_plan.type_ids[leaf.name],
            )
        )
        batch.specs.append((pk, top, leaf, name))
        self._build_variants(batch, rng, number, leaf)
        for tag_id in rng.sample(self.tag_ids, rng.choice((0, 1, 1, 2, 2, 3, 4))):
            batch.product_tags.append((pk, tag_id))
        self._build_reviews(batch, rng, pk)

    def _seed_attribute_values(self, batch: _Batch) -> None:
        """Insert the attribute rows of the batch's products and (now saved) variants."""
        variants: dict[uuid.UUID, list[ProductVariant]] = {}
        for variant in batch.variants:
            variants.setdefault(variant.product_id, []).append(variant)
        rows = []
        for pk, top, leaf, name in batch.specs:
            rows += product_assignments(
                self.attribute_plan,
                top=top,
                leaf=leaf,
                product_id=pk,
                name=name,
                variants=variants.get(pk, []),
                seed=f"{self.seed}:{pk}",
            )
        AttributeAssignment.objects.bulk_create(rows, batch_size=BATCH_SIZE)

    def _seed_images(self, batch: _Batch) -> None:
        """Insert the pictures of the batch's products: rows pointing at pool files."""
        if self.pictures is None:
            return
        options: dict[uuid.UUID, list[tuple[Any, dict[str, str]]]] = {}
        for variant in batch.variants:
            options.setdefault(variant.product_id, []).append((variant.pk, variant.options))
        plans = [
            (
                pk,
                plan_images(
                    leaf=leaf.name,
                    name=name,
                    palette=[
                        value
                        for key, values in leaf.options
                        if key in ("colour", "finish")
                        for value in values
                    ],
                    variants=options.get(pk, []),
                    rng=random.Random(f"{self.seed}:{pk}:images"),  # noqa: S311
                ),
            )
            for pk, _, leaf, name in batch.specs
        ]
        self.pictures.ensure(key for _, planned in plans for key, _, _ in planned)
        rows = []
        for pk, planned in plans:
            for position, (key, variant_id, alt_text) in enumerate(planned):
                picture = self.pictures[key]
                rows.append(
                    ProductImage(
                        product_id=pk,
                        variant_id=variant_id,
                        image=picture.name,
                        width=picture.width,
                        height=picture.height,
                        alt_text=alt_text[:200],
                        position=position,
                        renditions=picture.renditions,
                    )
                )
        ProductImage.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        self.report.images += len(rows)

    def _build_variants(self, batch: _Batch, rng: random.Random, number: int, leaf: _Leaf) -> None:
        combos = self.combos[leaf.name]
        if not leaf.options or rng.random() < leaf.simple_share:
            chosen: list[tuple[str, ...]] = [()]
        else:
            count = min(rng.randint(2, 4), len(combos))
            chosen = [combos[i] for i in sorted(rng.sample(range(len(combos)), count))]
        keys = [key for key, _ in leaf.options]
        base = Decimal(rng.randint(*leaf.price)) + rng.choice(
            (Decimal("0.99"), Decimal("0.99"), Decimal("0.95"), Decimal("0.50"), Decimal(0))
        )
        markup = rng.choice((Decimal("1.2"), Decimal("1.25"), Decimal("1.5")))
        on_sale = rng.random() < 0.15
        for position, values in enumerate(chosen, start=1):
            price = base
            if position > 1 and rng.random() < 0.3:
                price += rng.choice((Decimal(5), Decimal(10), Decimal(20)))
            batch.variants.append(
                ProductVariant(
                    product_id=batch.products[-1].id,
                    sku=product_sku(number, position),
                    name=" / ".join(values),
                    options=dict(zip(keys, values, strict=True)) if values else {},
                    price=price,
                    compare_at_price=(price * markup).quantize(Decimal("0.01"))
                    if on_sale
                    else None,
                    currency=self.currency,
                    stock=0 if rng.random() < 0.12 else rng.choice((3, 8, 15, 40, 120, 400)),
                    # A product keeps its first variant on sale.
                    is_active=position == 1 or rng.random() >= 0.03,
                    position=position,
                )
            )

    def _build_reviews(self, batch: _Batch, rng: random.Random, pk: uuid.UUID) -> None:
        count = rng.choices(range(6), weights=REVIEWS_PER_PRODUCT_WEIGHTS)[0]
        for user_id in rng.sample(self.customer_ids, count):
            rating = rng.choices(range(1, 6), weights=RATING_WEIGHTS)[0]
            batch.reviews.append(
                Review(
                    id=uuid.UUID(int=rng.getrandbits(128), version=4),
                    product_id=pk,
                    user_id=user_id,
                    rating=rating,
                    title=rng.choice(REVIEW_TITLES[rating]),
                    body=rng.choice(REVIEW_BODIES[rating]),
                    verified_purchase=rng.random() < 0.6,
                    is_visible=rng.random() >= 0.03,
                )
            )

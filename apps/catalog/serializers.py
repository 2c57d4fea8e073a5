"""Input and output shapes of the catalog API.

Reads are built as plain data by `apps.catalog.selectors`; the output serializers here
describe that data for the OpenAPI schema (a test checks they match).
"""

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from apps.catalog.models import AttributeKind, Category, Discount, Product, ProductType, Tag
from apps.catalog.selectors import ORDERINGS, RELATED_LIMIT, RELATED_REASONS
from apps.catalog.services import VariantChange, VariantInput

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 24
SUGGESTION_QUERY_MAX_LENGTH = 100
SUGGESTION_KINDS = ("category", "product")  # named SuggestionKindEnum in the schema


def _money(**kwargs: Any) -> serializers.DecimalField:
    """Return a non-negative money amount field (two decimal places)."""
    return serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal(0), **kwargs)


# --- Query parameters -----------------------------------------------------------------------


class PageQuerySerializer(serializers.Serializer[Any]):
    cursor = serializers.CharField(
        required=False, max_length=512, help_text="From `next`/`previous`."
    )
    page_size = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE
    )


class ProductFilterQuerySerializer(serializers.Serializer[Any]):
    """The filters of a product list (attribute filters, `attr.*`, are read separately)."""

    category = serializers.SlugField(
        required=False, help_text="Category slug; products of its sub-categories are included."
    )
    tag = serializers.SlugField(required=False, help_text="Tag slug.")
    price_min = _money(required=False, help_text="Lowest effective 'from' price.")
    price_max = _money(required=False, help_text="Highest effective 'from' price.")
    in_stock = serializers.BooleanField(required=False, allow_null=True, default=None)
    featured = serializers.BooleanField(required=False, allow_null=True, default=None)
    rating_min = serializers.DecimalField(
        required=False, max_digits=3, decimal_places=2, min_value=Decimal(1), max_value=Decimal(5)
    )
    search = serializers.CharField(
        required=False, max_length=200, allow_blank=True, help_text="Empty: no search."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("search"):
            attrs.pop("search", None)  # an empty search box means "no search"
        low, high = attrs.get("price_min"), attrs.get("price_max")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError(
                {"price_max": ["price_max must not be lower than price_min."]}
            )
        return attrs


class ProductFacetsQuerySerializer(ProductFilterQuerySerializer):
    pass


class ProductListQuerySerializer(PageQuerySerializer, ProductFilterQuerySerializer):
    ordering = serializers.ChoiceField(
        required=False,
        choices=sorted(ORDERINGS),
        help_text="Default: relevance when searching, else -created_at.",
    )


class SuggestionQuerySerializer(serializers.Serializer[Any]):
    q = serializers.CharField(
        max_length=SUGGESTION_QUERY_MAX_LENGTH,
        help_text="What the shopper has typed so far (the last word may be unfinished).",
    )


class CategoryListQuerySerializer(serializers.Serializer[Any]):
    tree = serializers.BooleanField(
        required=False, default=False, help_text="Nest sub-categories under their parents."
    )


class FeaturedQuerySerializer(serializers.Serializer[Any]):
    limit = serializers.IntegerField(required=False, min_value=1, max_value=48, default=12)


class RelatedQuerySerializer(serializers.Serializer[Any]):
    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=12, default=RELATED_LIMIT
    )


# --- Output (documentation of the selectors' data) ------------------------------------------


class CategoryRefSerializer(serializers.Serializer[Any]):
    slug = serializers.SlugField()
    name = serializers.CharField()


class CategorySerializer(serializers.Serializer[Any]):
    slug = serializers.SlugField()
    name = serializers.CharField()
    description = serializers.CharField()
    parent = serializers.SlugField(allow_null=True)  # type: ignore[assignment]


class CategoryTreeSerializer(CategorySerializer):
    children = serializers.ListField(child=serializers.DictField(), help_text="Same shape, nested.")


class CategoryDetailSerializer(CategorySerializer):
    breadcrumbs = CategoryRefSerializer(many=True)
    children = CategoryRefSerializer(many=True)


class ImageSrcsetSerializer(serializers.Serializer[Any]):
    webp = serializers.CharField(help_text="`url 160w, url 320w, …`; empty before thumbnails.")
    jpeg = serializers.CharField(help_text="As `webp`, in JPEG.")


class ProductImageSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    alt = serializers.CharField(help_text="Text for screen readers (may be empty).")
    width = serializers.IntegerField(help_text="Of the original, in pixels.")
    height = serializers.IntegerField()
    src = serializers.CharField(
        help_text="The largest JPEG thumbnail, or the original until thumbnails exist."
    )
    srcset = ImageSrcsetSerializer()
    urls = serializers.DictField(
        child=serializers.CharField(), help_text="JPEG thumbnail URLs by width in pixels."
    )


class ProductCardSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    slug = serializers.SlugField()
    name = serializers.CharField()
    category = CategoryRefSerializer()
    tags = serializers.ListField(child=serializers.SlugField())
    is_featured = serializers.BooleanField()
    price = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="What the cheapest variant costs now."
    )
    price_varies = serializers.BooleanField(
        help_text="Active variants' prices differ: `price` is the lowest ('from')."
    )
    list_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    compare_at_price = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    currency = serializers.CharField()
    in_stock = serializers.BooleanField()
    average_rating = serializers.FloatField(allow_null=True)
    review_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    image = ProductImageSerializer(allow_null=True, help_text="The first image; null if none.")


class ProductPageSerializer(serializers.Serializer[Any]):
    results = ProductCardSerializer(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    did_you_mean = serializers.CharField(
        allow_null=True,
        help_text="When a search finds nothing: the search with its misspelt words corrected, "
        "if that finds something under the same filters; else null.",
    )


class SuggestionSerializer(serializers.Serializer[Any]):
    text = serializers.CharField(help_text="The name to offer; searching for it finds it.")
    kind = serializers.ChoiceField(choices=SUGGESTION_KINDS)
    slug = serializers.SlugField(
        help_text="The category's, or that of one product with this name (for a direct link)."
    )


class SuggestionListSerializer(serializers.Serializer[Any]):
    query = serializers.CharField(help_text="`q` as received.")
    suggestions = SuggestionSerializer(many=True)


class VariantSerializer(serializers.Serializer[Any]):
    sku = serializers.CharField()
    name = serializers.CharField()
    options = serializers.DictField(child=serializers.CharField())
    price = serializers.DecimalField(max_digits=12, decimal_places=2)
    list_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    compare_at_price = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    currency = serializers.CharField()
    in_stock = serializers.BooleanField()
    attributes = serializers.DictField(
        child=serializers.SlugField(),
        help_text="The variant's value (slug) of each variant-defining attribute.",
    )
    image_id = serializers.IntegerField(
        allow_null=True, help_text="The variant's own first image (in `images`), if any."
    )


class ProductAttributeSerializer(serializers.Serializer[Any]):
    slug = serializers.SlugField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=AttributeKind.choices)
    values = serializers.ListField(child=serializers.CharField(), help_text="As shown.")
    value = serializers.CharField(help_text="The values joined for display, with the unit.")


class NamedValueSerializer(serializers.Serializer[Any]):
    slug = serializers.SlugField()
    name = serializers.CharField()


class VariantAttributeSerializer(serializers.Serializer[Any]):
    slug = serializers.SlugField()
    name = serializers.CharField()
    values = NamedValueSerializer(many=True, help_text="Values the active variants have.")


class RelatedProductSerializer(ProductCardSerializer):
    reason = serializers.ChoiceField(
        choices=RELATED_REASONS,
        help_text="`bought_together`: in the same paid orders (most orders first); "
        "`same_category`: fills the list from the product's category (best rated first).",
    )


class TagRefSerializer(CategoryRefSerializer):
    """A tag as a product names it: the slug to filter by, the name to show."""


class ProductDetailSerializer(ProductCardSerializer):
    tag_refs = TagRefSerializer(many=True, help_text="`tags` with their names, in order.")
    description = serializers.CharField()
    breadcrumbs = CategoryRefSerializer(many=True)
    attributes = ProductAttributeSerializer(many=True, help_text="The product's own values.")
    variant_attributes = VariantAttributeSerializer(
        many=True, help_text="What variants differ by: the variant picker's choices."
    )
    variants = VariantSerializer(many=True)
    images = ProductImageSerializer(many=True, help_text="The gallery, in order.")


class FacetValueSerializer(serializers.Serializer[Any]):
    slug = serializers.CharField(help_text="A value slug, or 'true'/'false' for yes/no.")
    name = serializers.CharField()
    count = serializers.IntegerField(help_text="Products of the list that have it.")
    selected = serializers.BooleanField()


class FacetRangeSerializer(serializers.Serializer[Any]):
    min = serializers.DecimalField(max_digits=18, decimal_places=4, allow_null=True)
    max = serializers.DecimalField(max_digits=18, decimal_places=4, allow_null=True)


class FacetNumberRangeSerializer(FacetRangeSerializer):
    count = serializers.IntegerField()


class AttributeFacetSerializer(serializers.Serializer[Any]):
    slug = serializers.SlugField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=AttributeKind.choices)
    unit = serializers.CharField()
    values = FacetValueSerializer(many=True, help_text="Choices and yes/no (empty for numbers).")
    range = FacetNumberRangeSerializer(allow_null=True, help_text="Numbers: the values' range.")
    selected = FacetRangeSerializer(allow_null=True, help_text="Numbers: the chosen range.")


class CountedRefSerializer(serializers.Serializer[Any]):
    slug = serializers.SlugField()
    name = serializers.CharField()
    count = serializers.IntegerField()


class TagFacetSerializer(CountedRefSerializer):
    selected = serializers.BooleanField()


class PriceRangeSerializer(serializers.Serializer[Any]):
    min = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    max = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    currency = serializers.CharField()


class RatingFacetSerializer(serializers.Serializer[Any]):
    min = serializers.IntegerField(help_text="Rated at least this many stars.")
    count = serializers.IntegerField()


class ProductFacetsSerializer(serializers.Serializer[Any]):
    total = serializers.IntegerField(help_text="Products matching every filter.")
    in_stock = serializers.IntegerField(help_text="Of those (ignoring `in_stock`), in stock.")
    price = PriceRangeSerializer(help_text="Effective 'from' prices, ignoring the price filter.")
    ratings = RatingFacetSerializer(many=True)
    categories = CountedRefSerializer(many=True, help_text="Sub-categories of the chosen one.")
    tags = TagFacetSerializer(many=True)
    attributes = AttributeFacetSerializer(many=True)


class ReviewSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    rating = serializers.IntegerField()
    title = serializers.CharField()
    body = serializers.CharField()
    verified_purchase = serializers.BooleanField()
    author = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ReviewPageSerializer(serializers.Serializer[Any]):
    results = ReviewSerializer(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class TagSerializer(serializers.ModelSerializer[Tag]):
    class Meta:
        model = Tag
        fields = ["slug", "name"]
        read_only_fields = ["slug"]


# --- Staff input ----------------------------------------------------------------------------


def _options_are_strings(value: dict[str, Any]) -> None:
    if len(value) > 10:
        raise serializers.ValidationError("At most 10 options.")
    if not all(isinstance(v, str) and len(v) <= 60 and len(k) <= 30 for k, v in value.items()):
        raise serializers.ValidationError("Options map short names to short strings.")


class VariantInputSerializer(serializers.Serializer[Any]):
    sku = serializers.RegexField(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", max_length=64)
    name = serializers.CharField(max_length=120, required=False, default="", allow_blank=True)
    options = serializers.DictField(required=False, default=dict, validators=[_options_are_strings])
    price = _money()
    compare_at_price = _money(required=False, allow_null=True, default=None)
    currency = serializers.RegexField(
        r"^[A-Za-z]{3}$", required=False, default=None, allow_null=True
    )
    stock = serializers.IntegerField(
        min_value=0, max_value=1_000_000_000, required=False, default=0
    )
    is_active = serializers.BooleanField(required=False, default=True)

    def to_input(self) -> VariantInput:
        return VariantInput(**self.validated_data)


class VariantUpdateSerializer(VariantInputSerializer):
    """Every field optional: PATCH semantics."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, partial=True, **kwargs)
        for field in self.fields.values():
            field.required = False
            field.default = serializers.empty


class ProductWriteSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, default="", allow_blank=True)
    category = serializers.SlugRelatedField(slug_field="slug", queryset=Category.objects.all())
    tags = serializers.SlugRelatedField(
        slug_field="slug", queryset=Tag.objects.all(), many=True, required=False, default=list
    )
    is_active = serializers.BooleanField(required=False, default=True)
    is_featured = serializers.BooleanField(required=False, default=False)
    product_type: serializers.SlugRelatedField[ProductType] = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=ProductType.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Product type slug: which attributes it and its variants carry.",
    )
    variants = VariantInputSerializer(
        many=True,
        required=False,
        help_text="Variants; or give sku/price/stock for a simple product.",
    )
    sku = serializers.CharField(max_length=64, required=False, help_text="Simple product: its SKU.")
    price = _money(required=False, help_text="Simple product: its price.")
    stock = serializers.IntegerField(required=False, min_value=0, help_text="Simple product.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        simple = {k: attrs.pop(k) for k in ("sku", "price", "stock") if k in attrs}
        variants = attrs.get("variants")
        if variants and simple:
            raise serializers.ValidationError(
                "Give either `variants` or `sku`/`price`/`stock` (a simple product), not both."
            )
        if not variants:
            missing = [k for k in ("sku", "price") if k not in simple]
            if missing:
                raise serializers.ValidationError(
                    {k: ["Required for a product without `variants`."] for k in missing}
                )
            variant = VariantInputSerializer(data=simple)
            variant.is_valid(raise_exception=True)
            attrs["variants"] = [variant.validated_data]
        attrs["variants"] = [VariantInput(**v) for v in attrs["variants"]]
        return attrs


class ProductUpdateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    category: serializers.SlugRelatedField[Category] = serializers.SlugRelatedField(
        slug_field="slug", queryset=Category.objects.all(), required=False
    )
    tags: serializers.SlugRelatedField[Tag] = serializers.SlugRelatedField(
        slug_field="slug", queryset=Tag.objects.all(), many=True, required=False
    )
    is_active = serializers.BooleanField(required=False)
    is_featured = serializers.BooleanField(required=False)
    product_type: serializers.SlugRelatedField[ProductType] = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=ProductType.objects.all(),
        required=False,
        allow_null=True,
        help_text="Its attributes; a type lacking some the product has values of is a 409.",
    )


class StaffProductSerializer(serializers.ModelSerializer[Product]):
    """A product as staff see it after a write (active or not)."""

    category: serializers.SlugRelatedField[Category] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    tags: serializers.SlugRelatedField[Tag] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, many=True
    )
    product_type: serializers.SlugRelatedField[ProductType] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    variants = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = [
            "id", "slug", "name", "description", "category", "tags", "is_active", "is_featured",
            "product_type", "variants", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_variants(self, product: Product) -> list[dict[str, Any]]:
        return StaffVariantSerializer(product.variants.all(), many=True).data  # type: ignore[return-value]


class StaffVariantSerializer(serializers.Serializer[Any]):
    sku = serializers.CharField()
    name = serializers.CharField()
    options = serializers.DictField()
    price = serializers.DecimalField(max_digits=12, decimal_places=2)
    compare_at_price = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    currency = serializers.CharField()
    stock = serializers.IntegerField()
    is_active = serializers.BooleanField()


class VariantChangeSerializer(serializers.Serializer[Any]):
    sku = serializers.CharField(max_length=64)
    price = _money(required=False)
    stock = serializers.IntegerField(required=False, min_value=0, max_value=1_000_000_000)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "price" not in attrs and "stock" not in attrs:
            raise serializers.ValidationError("Give a price, a stock, or both.")
        return attrs


class BulkVariantUpdateSerializer(serializers.Serializer[Any]):
    changes = VariantChangeSerializer(many=True, allow_empty=False, max_length=1000)  # type: ignore[call-arg]

    def validate_changes(self, value: list[dict[str, Any]]) -> list[VariantChange]:
        skus = [change["sku"] for change in value]
        repeated = sorted({sku for sku in skus if skus.count(sku) > 1})
        if repeated:
            raise serializers.ValidationError(f"SKU repeated: {', '.join(repeated)}.")
        return [VariantChange(**change) for change in value]


class BulkUpdateResultSerializer(serializers.Serializer[Any]):
    updated = serializers.IntegerField()


class ProductImageUploadSerializer(serializers.Serializer[Any]):
    """A multipart upload; the file itself is checked by the service (type, size, pixels)."""

    image = serializers.FileField(
        allow_empty_file=True, help_text="JPEG, PNG or WebP; EXIF is removed when stored."
    )
    alt_text = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    variant = serializers.CharField(
        max_length=64,
        required=False,
        allow_null=True,
        default=None,
        help_text="SKU of the variant the image shows (shown first when it is picked).",
    )
    position = serializers.IntegerField(
        min_value=0, required=False, default=None, help_text="Index in the gallery; default last."
    )


class ProductImageUpdateSerializer(serializers.Serializer[Any]):
    alt_text = serializers.CharField(max_length=200, required=False, allow_blank=True)
    variant = serializers.CharField(
        max_length=64, required=False, allow_null=True, help_text="A SKU, or null for none."
    )
    position = serializers.IntegerField(
        min_value=0, required=False, help_text="Index in the gallery (the others move)."
    )


class ProductImageOrderSerializer(serializers.Serializer[Any]):
    ids = serializers.ListField(
        child=serializers.IntegerField(),
        allow_empty=False,
        max_length=500,
        help_text="Every image id of the product, each once, in the new order.",
    )


class StaffProductImageSerializer(serializers.Serializer[Any]):
    """An image as staff manage it: its place, variant and thumbnails, and the public shape."""

    id = serializers.IntegerField()
    alt_text = serializers.CharField()
    position = serializers.IntegerField()
    variant = serializers.CharField(allow_null=True, help_text="SKU, or null.")
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    original = serializers.CharField(help_text="URL of the stored original.")
    thumbnails_ready = serializers.BooleanField(
        help_text="False until the background task made them."
    )
    shown = ProductImageSerializer(help_text="What the shop and the public API show.")
    created_at = serializers.DateTimeField()


class CategoryWriteSerializer(serializers.ModelSerializer[Category]):
    parent = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="slug", queryset=Category.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Category
        fields = ["slug", "name", "parent", "description", "is_active", "position"]
        read_only_fields = ["slug"]


class DiscountSerializer(serializers.ModelSerializer[Discount]):
    product = serializers.SlugRelatedField(
        slug_field="slug", queryset=Product.objects.all(), allow_null=True, required=False
    )
    category = serializers.SlugRelatedField(
        slug_field="slug", queryset=Category.objects.all(), allow_null=True, required=False
    )
    percent = serializers.DecimalField(max_digits=5, decimal_places=2)

    class Meta:
        model = Discount
        fields = [
            "id",
            "name",
            "percent",
            "product",
            "category",
            "starts_at",
            "ends_at",
            "is_active",
        ]
        read_only_fields = ["id"]
        # The service checks the rules and names the fields; skip the model-level duplicates.
        validators: list[Any] = []


class ReviewWriteSerializer(serializers.Serializer[Any]):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    title = serializers.CharField(max_length=120, required=False, default="", allow_blank=True)
    body = serializers.CharField(max_length=5000, required=False, default="", allow_blank=True)


class ReviewUpdateSerializer(serializers.Serializer[Any]):
    rating = serializers.IntegerField(min_value=1, max_value=5, required=False)
    title = serializers.CharField(max_length=120, required=False, allow_blank=True)
    body = serializers.CharField(max_length=5000, required=False, allow_blank=True)


# --- Attributes and product types -----------------------------------------------------------


class AttributeSerializer(serializers.Serializer[Any]):
    slug = serializers.SlugField(read_only=True)
    name = serializers.CharField(max_length=80)
    kind = serializers.ChoiceField(choices=AttributeKind.choices)
    unit = serializers.CharField(max_length=16, required=False, default="", allow_blank=True)
    is_filterable = serializers.BooleanField(required=False, default=True)
    position = serializers.IntegerField(required=False, default=0, min_value=0)
    values = serializers.ListField(
        child=serializers.CharField(max_length=80),
        required=False,
        default=list,
        max_length=500,
        help_text="Choice attributes: value names, in order (on update: values to add).",
    )


class AttributeUpdateSerializer(AttributeSerializer):
    kind = serializers.ChoiceField(
        choices=AttributeKind.choices, read_only=True, help_text="Fixed once created."
    )


class AttributeOutputSerializer(serializers.Serializer[Any]):
    slug = serializers.SlugField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=AttributeKind.choices)
    unit = serializers.CharField()
    is_filterable = serializers.BooleanField()
    position = serializers.IntegerField()
    values = NamedValueSerializer(many=True)


class TypeAttributeSerializer(serializers.Serializer[Any]):
    attribute = serializers.SlugField(help_text="An attribute's slug.")
    variant_defining = serializers.BooleanField(
        required=False, default=False, help_text="Each variant has its own value of it."
    )


class ProductTypeSerializer(serializers.Serializer[Any]):
    slug = serializers.SlugField(read_only=True)
    name = serializers.CharField(max_length=120)
    attributes = serializers.ListField(
        child=TypeAttributeSerializer(), required=False, max_length=50
    )


class ProductAttributeValuesSerializer(serializers.Serializer[Any]):
    product = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        default=dict,
        help_text='Attribute slug → value: "Leather", ["Red", "Blue"] or "Red|Blue", 800, true; '
        "null or an empty string clears it.",
    )
    variants = serializers.DictField(
        child=serializers.DictField(child=serializers.JSONField()),
        required=False,
        default=dict,
        help_text="SKU → {attribute slug → value} for the variant-defining attributes.",
    )

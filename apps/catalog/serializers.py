"""Input and output shapes of the catalog API.

Reads are built as plain data by `apps.catalog.selectors`; the output serializers here
describe that data for the OpenAPI schema (a test checks they match).
"""

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from apps.catalog.models import Category, Discount, Product, Tag
from apps.catalog.selectors import ORDERINGS
from apps.catalog.services import VariantChange, VariantInput

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 24


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


class ProductListQuerySerializer(PageQuerySerializer):
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
    ordering = serializers.ChoiceField(
        required=False,
        choices=sorted(ORDERINGS),
        help_text="Default: relevance when searching, else -created_at.",
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


class CategoryListQuerySerializer(serializers.Serializer[Any]):
    tree = serializers.BooleanField(
        required=False, default=False, help_text="Nest sub-categories under their parents."
    )


class FeaturedQuerySerializer(serializers.Serializer[Any]):
    limit = serializers.IntegerField(required=False, min_value=1, max_value=48, default=12)


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
    list_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    compare_at_price = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    currency = serializers.CharField()
    in_stock = serializers.BooleanField()
    average_rating = serializers.FloatField(allow_null=True)
    review_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class ProductPageSerializer(serializers.Serializer[Any]):
    results = ProductCardSerializer(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class VariantSerializer(serializers.Serializer[Any]):
    sku = serializers.CharField()
    name = serializers.CharField()
    options = serializers.DictField(child=serializers.CharField())
    price = serializers.DecimalField(max_digits=12, decimal_places=2)
    list_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    compare_at_price = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    currency = serializers.CharField()
    in_stock = serializers.BooleanField()


class ProductDetailSerializer(ProductCardSerializer):
    description = serializers.CharField()
    breadcrumbs = CategoryRefSerializer(many=True)
    variants = VariantSerializer(many=True)


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


class StaffProductSerializer(serializers.ModelSerializer[Product]):
    """A product as staff see it after a write (active or not)."""

    category: serializers.SlugRelatedField[Category] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    tags: serializers.SlugRelatedField[Tag] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, many=True
    )
    variants = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = [
            "id", "slug", "name", "description", "category", "tags", "is_active", "is_featured",
            "variants", "created_at", "updated_at",
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

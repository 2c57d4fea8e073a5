"""HTTP endpoints of the catalog: public reads (cached) and staff writes."""

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control, patch_vary_headers, set_response_etag
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.catalog import attributes as attribute_services
from apps.catalog import facets, selectors, services
from apps.catalog.cache import (
    StoredResponse,
    lookup_response,
    read_response,
    response_key,
    store_response,
)
from apps.catalog.errors import ImageTooLarge, InvalidAttributeValue, UnknownSku
from apps.catalog.images import size_text, staff_image_data
from apps.catalog.models import (
    Attribute,
    Category,
    Discount,
    Product,
    ProductImage,
    ProductType,
    ProductTypeAttribute,
    ProductVariant,
    Review,
    Tag,
)
from apps.catalog.permissions import (
    AttributePermissions,
    CategoryPermissions,
    DiscountPermissions,
    IsStaffOrReadOnly,
    ProductAttributePermissions,
    ProductImagePermissions,
    ProductPermissions,
    ProductTypePermissions,
    TagPermissions,
    VariantBulkPermissions,
    VariantPermissions,
)
from apps.catalog.serializers import (
    AttributeOutputSerializer,
    AttributeSerializer,
    AttributeUpdateSerializer,
    BulkUpdateResultSerializer,
    BulkVariantUpdateSerializer,
    CategoryDetailSerializer,
    CategoryListQuerySerializer,
    CategorySerializer,
    CategoryWriteSerializer,
    DiscountSerializer,
    FeaturedQuerySerializer,
    PageQuerySerializer,
    ProductAttributeValuesSerializer,
    ProductCardSerializer,
    ProductDetailSerializer,
    ProductFacetsQuerySerializer,
    ProductFacetsSerializer,
    ProductImageOrderSerializer,
    ProductImageUpdateSerializer,
    ProductImageUploadSerializer,
    ProductListQuerySerializer,
    ProductPageSerializer,
    ProductTypeSerializer,
    ProductUpdateSerializer,
    ProductWriteSerializer,
    RelatedProductSerializer,
    RelatedQuerySerializer,
    ReviewPageSerializer,
    ReviewSerializer,
    ReviewUpdateSerializer,
    ReviewWriteSerializer,
    StaffProductImageSerializer,
    StaffProductSerializer,
    StaffVariantSerializer,
    SuggestionListSerializer,
    SuggestionQuerySerializer,
    TagSerializer,
    VariantInputSerializer,
    VariantUpdateSerializer,
)
from apps.core.api import validated
from apps.core.errors import NotFound
from apps.core.pagination import page_body
from apps.core.throttling import count_ahead
from apps.users.models import User


def _page_links(request: Request, page: dict[str, Any]) -> dict[str, Any]:
    return page_body(
        request,
        page["results"],
        next_cursor=page["next_cursor"],
        previous_cursor=page["previous_cursor"],
    )


# Accept headers that every renderer setting answers with the JSON renderer's plain media type
# (it comes first): an anonymous GET asking for one of these may be answered before DRF runs.
PLAIN_JSON_ACCEPTS = frozenset({"", "*/*", "application/json"})
JSON_MEDIA_TYPE = "application/json"


def _is_anonymous_json_get(request: HttpRequest) -> bool:
    """Whether `request` is a GET of plain JSON by a client with no way to be signed in."""
    return (
        request.method == "GET"
        and "HTTP_AUTHORIZATION" not in request.META
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and request.META.get("HTTP_ACCEPT", "") in PLAIN_JSON_ACCEPTS
        and "format" not in request.GET
    )


def _json_response_key(request: HttpRequest, media_type: str) -> str:
    return response_key("json", request.build_absolute_uri(), media_type)


class CatalogView(APIView):
    """Public catalog reads that HTTP caches may keep; writes are for staff.

    An anonymous GET whose answer is stored (`cached_json`) and current is answered before DRF
    runs, in one round trip to the cache that also counts it in the throttles.
    """

    permission_classes = [IsStaffOrReadOnly]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if _is_anonymous_json_get(request):
            lookup = lookup_response(_json_response_key(request, JSON_MEDIA_TYPE))
            allowed, found = count_ahead(request, self, also_get=lookup.keys)
            version, stored = lookup.resolve(found)
            request.catalog_response = (lookup.key, version, stored)  # type: ignore[attr-defined]
            if allowed and stored is not None:
                response = self._stored_answer(stored)
                for name, value in self.default_response_headers.items():
                    response[name] = value
                _patch_catalog_caching(response, signed_in=False)
                return response
        return super().dispatch(request, *args, **kwargs)  # a 429 too, from the counts above

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            _patch_catalog_caching(response, signed_in=request.user.is_authenticated)
        return response

    @staticmethod
    def _stored_answer(stored: StoredResponse) -> HttpResponse:
        response = HttpResponse(stored.content, content_type=stored.content_type)
        response["ETag"] = stored.etag
        return response

    def cached_json(
        self,
        request: Request,
        answer: Callable[[], Any],
        *,
        params: frozenset[str] = frozenset(),
        prefixes: tuple[str, ...] = (),
        priced: bool = True,
    ) -> HttpResponse:
        """Return `answer()` as JSON, the whole answer kept in the catalog cache.

        A repeat of the same GET (URL and media type) is then one cache read: no validation,
        selector or rendering; for an anonymous client not even DRF (`dispatch`). Errors are
        raised, never stored, and the answer expires with the catalog version and, if it shows
        prices (`priced`), at the next discount change. Only URLs whose query names nothing
        but `params` (or keys starting with one of `prefixes`) are stored, so made-up
        parameters cannot fill the cache with copies of one answer.
        """
        renderer = request.accepted_renderer
        known = all(key in params or key.startswith(prefixes) for key in request.query_params)
        if renderer.format != "json" or not known:
            return Response(answer())  # the browsable API in development, or unknown params
        key = _json_response_key(request, request.accepted_media_type)
        looked_up = getattr(request, "catalog_response", None)
        version, stored = looked_up[1:] if looked_up and looked_up[0] == key else read_response(key)
        if stored is not None:
            return self._stored_answer(stored)
        content = renderer.render(
            answer(), request.accepted_media_type, self.get_renderer_context()
        )
        response = HttpResponse(content, content_type=renderer.media_type)
        set_response_etag(response)
        if version is not None:
            store_response(
                key,
                version=version,
                content=content,
                content_type=renderer.media_type,
                etag=response["ETag"],
                expires_at=selectors.get_discount_map().next_change if priced else None,
            )
        return response


def _patch_catalog_caching(response: HttpResponse, *, signed_in: bool) -> None:
    """Let shared caches keep an anonymous answer for CATALOG_HTTP_MAX_AGE; a signed-in
    client's only in its own cache, revalidated."""
    if signed_in:
        patch_cache_control(response, private=True, no_cache=True)
    else:
        patch_cache_control(response, public=True, max_age=settings.CATALOG_HTTP_MAX_AGE)
    patch_vary_headers(response, ["Authorization", "Cookie"])


# --- Categories -----------------------------------------------------------------------------


CATEGORY_LIST_PARAMS = frozenset(CategoryListQuerySerializer().fields)


class CategoryListView(CatalogView):
    permission_classes = [CategoryPermissions]

    @extend_schema(
        parameters=[CategoryListQuerySerializer],
        responses=CategorySerializer(many=True),
        description="Flat list (each category names its `parent`), or a tree with `?tree=true` "
        "(then each item also has `children`, shaped like `CategoryTree`).",
        tags=["catalog"],
    )
    def get(self, request: Request) -> HttpResponse:
        def answer() -> Any:
            if validated(CategoryListQuerySerializer, request.query_params)["tree"]:
                return selectors.category_tree()
            return selectors.list_categories()

        return self.cached_json(request, answer, params=CATEGORY_LIST_PARAMS, priced=False)

    @extend_schema(
        request=CategoryWriteSerializer,
        responses={201: CategoryWriteSerializer},
        tags=["catalog staff"],
    )
    def post(self, request: Request) -> Response:
        serializer = CategoryWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        category = services.create_category(**serializer.validated_data)
        return Response(CategoryWriteSerializer(category).data, status=status.HTTP_201_CREATED)


class CategoryDetailView(CatalogView):
    permission_classes = [CategoryPermissions]

    @extend_schema(responses=CategoryDetailSerializer, tags=["catalog"])
    def get(self, request: Request, slug: str) -> HttpResponse:
        return self.cached_json(request, lambda: selectors.get_category(slug), priced=False)

    @extend_schema(
        request=CategoryWriteSerializer, responses=CategoryWriteSerializer, tags=["catalog staff"]
    )
    def patch(self, request: Request, slug: str) -> Response:
        category = get_object_or_404(Category, slug=slug)
        serializer = CategoryWriteSerializer(category, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        category = services.update_category(category=category, **serializer.validated_data)
        return Response(CategoryWriteSerializer(category).data)

    @extend_schema(responses={204: None}, tags=["catalog staff"])
    def delete(self, request: Request, slug: str) -> Response:
        services.delete_category(category=get_object_or_404(Category, slug=slug))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Tags -----------------------------------------------------------------------------------


class TagListView(CatalogView):
    permission_classes = [TagPermissions]

    @extend_schema(responses=TagSerializer(many=True), tags=["catalog"])
    def get(self, request: Request) -> HttpResponse:
        return self.cached_json(
            request,
            lambda: [{"slug": t["slug"], "name": t["name"]} for t in selectors.list_tags()],
            priced=False,
        )

    @extend_schema(request=TagSerializer, responses={201: TagSerializer}, tags=["catalog staff"])
    def post(self, request: Request) -> Response:
        serializer = TagSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tag = services.create_tag(name=serializer.validated_data["name"])
        return Response(TagSerializer(tag).data, status=status.HTTP_201_CREATED)


class TagDetailView(CatalogView):
    permission_classes = [TagPermissions]

    @extend_schema(request=TagSerializer, responses=TagSerializer, tags=["catalog staff"])
    def patch(self, request: Request, slug: str) -> Response:
        tag = get_object_or_404(Tag, slug=slug)
        serializer = TagSerializer(tag, data=request.data)
        serializer.is_valid(raise_exception=True)
        tag = services.update_tag(tag=tag, name=serializer.validated_data["name"])
        return Response(TagSerializer(tag).data)

    @extend_schema(responses={204: None}, tags=["catalog staff"])
    def delete(self, request: Request, slug: str) -> Response:
        services.delete_tag(tag=get_object_or_404(Tag, slug=slug))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Products -------------------------------------------------------------------------------


def _staff_product(product: Product) -> dict[str, Any]:
    product = (
        Product.objects.select_related("category", "product_type")
        .prefetch_related("tags", "variants")
        .get(pk=product.pk)
    )
    return StaffProductSerializer(product).data


PRODUCT_LIST_PARAMS = frozenset(ProductListQuerySerializer().fields)
PRODUCT_FACET_PARAMS = frozenset(ProductFacetsQuerySerializer().fields)
ATTRIBUTE_PARAMETER = OpenApiParameter(
    name="attr.{attribute}",
    type=str,
    location=OpenApiParameter.QUERY,
    required=False,
    many=True,
    description=(
        "Filter by an attribute (see `/products/facets/` for what is offered): "
        "`attr.colour=navy&attr.colour=black` (any of the values), "
        "`attr.weight.min=100&attr.weight.max=500` (a number range), "
        "`attr.recycled-materials=true` (yes/no). Several attributes must all hold for one "
        "variant. An unknown attribute or value is a 400 problem."
    ),
)


def _product_filters(request: Request, params: dict[str, Any]) -> selectors.ProductFilters:
    """Return the list filters: validated `params` plus the `attr.*` query parameters."""
    attributes = facets.parse_attribute_filters(
        {key: request.query_params.getlist(key) for key in request.query_params}
    )
    return selectors.ProductFilters(**params, attributes=attributes)


class ProductListView(CatalogView):
    permission_classes = [ProductPermissions]

    @extend_schema(
        operation_id="products_list",
        parameters=[ProductListQuerySerializer, ATTRIBUTE_PARAMETER],
        responses=ProductPageSerializer,
        tags=["catalog"],
    )
    def get(self, request: Request) -> HttpResponse:
        def answer() -> dict[str, Any]:
            params = validated(ProductListQuerySerializer, request.query_params)
            cursor, page_size, ordering = (
                params.pop("cursor", None),
                params.pop("page_size"),
                params.pop("ordering", None),
            )
            page = selectors.list_products(
                filters=_product_filters(request, params),
                ordering=ordering,
                cursor=cursor,
                page_size=page_size,
            )
            return {**_page_links(request, page), "did_you_mean": page["did_you_mean"]}

        return self.cached_json(
            request, answer, params=PRODUCT_LIST_PARAMS, prefixes=(facets.PARAM_PREFIX,)
        )

    @extend_schema(
        request=ProductWriteSerializer,
        responses={201: StaffProductSerializer},
        tags=["catalog staff"],
    )
    def post(self, request: Request) -> Response:
        serializer = ProductWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user: User = request.user  # type: ignore[assignment]
        product = services.create_product(created_by=user, **serializer.validated_data)
        return Response(_staff_product(product), status=status.HTTP_201_CREATED)


class ProductFacetsView(CatalogView):
    @extend_schema(
        operation_id="products_facets",
        summary="Facet counts of a product list",
        description=(
            "For the same filters as the product list: how many products have each value of "
            "every filterable attribute, each tag and sub-category, each rating threshold, "
            "how many are in stock, and the price range. An attribute's own values are "
            "counted without its own filter, so a second value shows what it would add."
        ),
        parameters=[ProductFacetsQuerySerializer, ATTRIBUTE_PARAMETER],
        responses=ProductFacetsSerializer,
        tags=["catalog"],
    )
    def get(self, request: Request) -> HttpResponse:
        def answer() -> dict[str, Any]:
            params = validated(ProductFacetsQuerySerializer, request.query_params)
            return selectors.product_facets(filters=_product_filters(request, params))

        return self.cached_json(
            request, answer, params=PRODUCT_FACET_PARAMS, prefixes=(facets.PARAM_PREFIX,)
        )


FEATURED_PARAMS = frozenset(FeaturedQuerySerializer().fields)


class FeaturedProductsView(CatalogView):
    @extend_schema(
        parameters=[FeaturedQuerySerializer],
        responses=ProductCardSerializer(many=True),
        tags=["catalog"],
    )
    def get(self, request: Request) -> HttpResponse:
        def answer() -> Any:
            limit = validated(FeaturedQuerySerializer, request.query_params)["limit"]
            return selectors.featured_products(limit=limit)

        return self.cached_json(request, answer, params=FEATURED_PARAMS)


SUGGESTION_PARAMS = frozenset(SuggestionQuerySerializer().fields)


class ProductSuggestionsView(CatalogView):
    @extend_schema(
        operation_id="products_suggestions",
        parameters=[SuggestionQuerySerializer],
        responses=SuggestionListSerializer,
        description="Search-as-you-type: up to 8 category and product names with a word "
        "starting with each word of `q` (a misspelt word matches close spellings). "
        "An empty or longer than 100 characters `q` is a 400.",
        tags=["catalog"],
    )
    def get(self, request: Request) -> HttpResponse:
        def answer() -> dict[str, Any]:
            query = validated(SuggestionQuerySerializer, request.query_params)["q"]
            return {"query": query, "suggestions": selectors.search_suggestions(query=query)}

        return self.cached_json(request, answer, params=SUGGESTION_PARAMS)


RELATED_PARAMS = frozenset(RelatedQuerySerializer().fields)


class RelatedProductsView(CatalogView):
    @extend_schema(
        operation_id="products_related",
        parameters=[RelatedQuerySerializer],
        responses=RelatedProductSerializer(many=True),
        description="Product cards to show with a product: those most often bought with it "
        "first, then, to fill the list, others of its category; each says its `reason`.",
        tags=["catalog"],
    )
    def get(self, request: Request, slug: str) -> HttpResponse:
        def answer() -> list[dict[str, Any]]:
            limit = validated(RelatedQuerySerializer, request.query_params)["limit"]
            return selectors.related_products(slug=slug, limit=limit)

        return self.cached_json(request, answer, params=RELATED_PARAMS)


class ProductDetailView(CatalogView):
    permission_classes = [ProductPermissions]

    @extend_schema(responses=ProductDetailSerializer, tags=["catalog"])
    def get(self, request: Request, slug: str) -> HttpResponse:
        return self.cached_json(request, lambda: selectors.get_product(slug))

    @extend_schema(
        request=ProductUpdateSerializer, responses=StaffProductSerializer, tags=["catalog staff"]
    )
    def patch(self, request: Request, slug: str) -> Response:
        product = get_object_or_404(Product, slug=slug)
        serializer = ProductUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.update_product(product=product, **serializer.validated_data)
        return Response(_staff_product(product))

    @extend_schema(responses={204: None}, tags=["catalog staff"])
    def delete(self, request: Request, slug: str) -> Response:
        services.delete_product(product=get_object_or_404(Product, slug=slug))
        return Response(status=status.HTTP_204_NO_CONTENT)


class VariantListView(CatalogView):
    permission_classes = [VariantPermissions]

    @extend_schema(responses=StaffVariantSerializer(many=True), tags=["catalog staff"])
    def get(self, request: Request, slug: str) -> Response:
        product = get_object_or_404(Product, slug=slug)
        return Response(StaffVariantSerializer(product.variants.all(), many=True).data)

    @extend_schema(
        request=VariantInputSerializer,
        responses={201: StaffVariantSerializer},
        tags=["catalog staff"],
    )
    def post(self, request: Request, slug: str) -> Response:
        product = get_object_or_404(Product, slug=slug)
        serializer = VariantInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        variant = services.add_variant(product=product, data=serializer.to_input())
        return Response(StaffVariantSerializer(variant).data, status=status.HTTP_201_CREATED)


class VariantDetailView(CatalogView):
    permission_classes = [VariantPermissions]

    def _variant(self, slug: str, sku: str) -> ProductVariant:
        return get_object_or_404(ProductVariant, product__slug=slug, sku=sku)

    @extend_schema(
        request=VariantUpdateSerializer, responses=StaffVariantSerializer, tags=["catalog staff"]
    )
    def patch(self, request: Request, slug: str, sku: str) -> Response:
        variant = self._variant(slug, sku)
        serializer = VariantUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        variant = services.update_variant(variant=variant, **serializer.validated_data)
        return Response(StaffVariantSerializer(variant).data)

    @extend_schema(responses={204: None}, tags=["catalog staff"])
    def delete(self, request: Request, slug: str, sku: str) -> Response:
        services.delete_variant(variant=self._variant(slug, sku))
        return Response(status=status.HTTP_204_NO_CONTENT)


class VariantBulkUpdateView(CatalogView):
    permission_classes = [VariantBulkPermissions]

    @extend_schema(
        request=BulkVariantUpdateSerializer,
        responses=BulkUpdateResultSerializer,
        description="Set price and/or stock of many variants by SKU; all or nothing.",
        tags=["catalog staff"],
    )
    def post(self, request: Request) -> Response:
        serializer = BulkVariantUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        updated = services.bulk_update_variants(changes=serializer.validated_data["changes"])
        return Response({"updated": updated})


# --- Product images (staff) -----------------------------------------------------------------

# Room for the multipart framing and the form fields around the file itself.
MULTIPART_OVERHEAD = 64 * 1024
IMAGE_ERRORS = {
    400: OpenApiResponse(description="`invalid_image`, `unknown_sku` or a validation error."),
    413: OpenApiResponse(description="`image_too_large`: too many bytes or pixels."),
    415: OpenApiResponse(description="`unsupported_image_type`: not JPEG, PNG or WebP."),
}


def _staff_images(product: Product) -> list[dict[str, Any]]:
    images = product.images.select_related("variant").order_by("position", "id")
    return [staff_image_data(image) for image in images]


def _variant_of(product: Product, sku: str | None) -> ProductVariant | None:
    """Return the product's variant with this SKU (None for none)."""
    if sku is None:
        return None
    variant = ProductVariant.objects.filter(product=product, sku=sku).first()
    if variant is None:
        message = f"The product has no variant with SKU {sku}."
        raise UnknownSku(message, errors={"variant": [message]})
    return variant


class ProductImageListView(CatalogView):
    """A product's gallery: list it, upload to it (multipart/form-data)."""

    permission_classes = [ProductImagePermissions]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses=StaffProductImageSerializer(many=True), tags=["catalog staff"])
    def get(self, request: Request, slug: str) -> Response:
        return Response(_staff_images(get_object_or_404(Product, slug=slug)))

    @extend_schema(
        request={"multipart/form-data": ProductImageUploadSerializer},
        responses={201: StaffProductImageSerializer, **IMAGE_ERRORS},
        description="Upload a JPEG, PNG or WebP picture (at most PRODUCT_IMAGE_MAX_BYTES and "
        "PRODUCT_IMAGE_MAX_PIXELS). It is stored upright without EXIF; thumbnails follow in the "
        "background (`thumbnails_ready`).",
        tags=["catalog staff"],
    )
    def post(self, request: Request, slug: str) -> Response:
        # Refused from its declared length, before the body is read.
        limit = settings.PRODUCT_IMAGE_MAX_BYTES
        if int(request.META.get("CONTENT_LENGTH") or 0) > limit + MULTIPART_OVERHEAD:
            raise ImageTooLarge(
                f"The request is larger than a product image may be ({size_text(limit)})."
            )
        product = get_object_or_404(Product, slug=slug)
        data = validated(ProductImageUploadSerializer, request.data)
        image = services.add_product_image(
            product=product,
            upload=data["image"],
            alt_text=data["alt_text"],
            variant=_variant_of(product, data["variant"]),
            position=data["position"],
        )
        return Response(staff_image_data(image), status=status.HTTP_201_CREATED)


class ProductImageOrderView(CatalogView):
    permission_classes = [ProductImagePermissions]

    @extend_schema(
        request=ProductImageOrderSerializer,
        responses=StaffProductImageSerializer(many=True),
        description="Put the gallery in this order; `ids` lists every image once.",
        tags=["catalog staff"],
    )
    def post(self, request: Request, slug: str) -> Response:
        product = get_object_or_404(Product, slug=slug)
        ids = validated(ProductImageOrderSerializer, request.data)["ids"]
        services.reorder_product_images(product=product, image_ids=ids)
        return Response(_staff_images(product))


class ProductImageDetailView(CatalogView):
    permission_classes = [ProductImagePermissions]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def _image(self, slug: str, pk: int) -> ProductImage:
        return get_object_or_404(
            ProductImage.objects.select_related("product", "variant"), product__slug=slug, pk=pk
        )

    @extend_schema(
        request=ProductImageUpdateSerializer,
        responses={200: StaffProductImageSerializer, 400: IMAGE_ERRORS[400]},
        tags=["catalog staff"],
    )
    def patch(self, request: Request, slug: str, pk: int) -> Response:
        image = self._image(slug, pk)
        changes = validated(ProductImageUpdateSerializer, request.data)
        if "variant" in changes:
            changes["variant"] = _variant_of(image.product, changes["variant"])
        image = services.update_product_image(image=image, **changes)
        return Response(staff_image_data(image))

    @extend_schema(responses={204: None}, tags=["catalog staff"])
    def delete(self, request: Request, slug: str, pk: int) -> Response:
        services.delete_product_image(image=self._image(slug, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Discounts (staff) ----------------------------------------------------------------------


class DiscountListView(CatalogView):
    permission_classes = [DiscountPermissions]

    @extend_schema(responses=DiscountSerializer(many=True), tags=["catalog staff"])
    def get(self, request: Request) -> Response:
        discounts = Discount.objects.select_related("product", "category").order_by("-created_at")
        return Response(DiscountSerializer(discounts[:500], many=True).data)

    @extend_schema(
        request=DiscountSerializer, responses={201: DiscountSerializer}, tags=["catalog staff"]
    )
    def post(self, request: Request) -> Response:
        serializer = DiscountSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        discount = services.create_discount(**serializer.validated_data)
        return Response(DiscountSerializer(discount).data, status=status.HTTP_201_CREATED)


class DiscountDetailView(CatalogView):
    permission_classes = [DiscountPermissions]

    @extend_schema(responses=DiscountSerializer, tags=["catalog staff"])
    def get(self, request: Request, pk: int) -> Response:
        return Response(DiscountSerializer(get_object_or_404(Discount, pk=pk)).data)

    @extend_schema(request=DiscountSerializer, responses=DiscountSerializer, tags=["catalog staff"])
    def patch(self, request: Request, pk: int) -> Response:
        discount = get_object_or_404(Discount, pk=pk)
        serializer = DiscountSerializer(discount, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        discount = services.update_discount(discount=discount, **serializer.validated_data)
        return Response(DiscountSerializer(discount).data)

    @extend_schema(responses={204: None}, tags=["catalog staff"])
    def delete(self, request: Request, pk: int) -> Response:
        services.delete_discount(discount=get_object_or_404(Discount, pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Reviews --------------------------------------------------------------------------------


class ReviewListView(CatalogView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        parameters=[PageQuerySerializer], responses=ReviewPageSerializer, tags=["reviews"]
    )
    def get(self, request: Request, slug: str) -> Response:
        params = validated(PageQuerySerializer, request.query_params)
        page = selectors.list_reviews(
            slug=slug, cursor=params.get("cursor"), page_size=params["page_size"]
        )
        return Response(_page_links(request, page))

    @extend_schema(
        request=ReviewWriteSerializer, responses={201: ReviewSerializer}, tags=["reviews"]
    )
    def post(self, request: Request, slug: str) -> Response:
        product = Product.objects.get(pk=selectors.get_product_id(slug))
        serializer = ReviewWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user: User = request.user  # type: ignore[assignment]
        review = services.create_review(product=product, user=user, **serializer.validated_data)
        return Response(selectors.review_data(review), status=status.HTTP_201_CREATED)


class ReviewDetailView(CatalogView):
    """A customer's own review; anyone else's is a 404."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    def _own_review(self, request: Request, slug: str, pk: str) -> Review:
        return get_object_or_404(
            Review.objects.select_related("user"), product__slug=slug, pk=pk, user=request.user
        )

    @extend_schema(
        request=ReviewUpdateSerializer,
        responses={200: ReviewSerializer, 404: OpenApiResponse(description="Not your review.")},
        tags=["reviews"],
    )
    def patch(self, request: Request, slug: str, pk: str) -> Response:
        review = self._own_review(request, slug, pk)
        serializer = ReviewUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        review = services.update_review(review=review, **serializer.validated_data)
        return Response(selectors.review_data(review))

    @extend_schema(responses={204: None}, tags=["reviews"])
    def delete(self, request: Request, slug: str, pk: str) -> Response:
        services.delete_review(review=self._own_review(request, slug, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Attributes and product types -----------------------------------------------------------


ATTRIBUTE_KEYS = ("slug", "name", "kind", "unit", "is_filterable", "position")


def _public_attribute(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **{key: row[key] for key in ATTRIBUTE_KEYS},
        "values": [{"slug": v["slug"], "name": v["name"]} for v in row["values"]],
    }


def _attribute_answer(attribute: Attribute) -> dict[str, Any]:
    """Return an attribute just written, read from the database (not the catalog cache,
    which is only invalidated once the write's transaction commits)."""
    values = attribute.values.order_by("position", "name").values("slug", "name")
    row = {key: getattr(attribute, key) for key in ATTRIBUTE_KEYS}
    return _public_attribute({**row, "values": values})


class AttributeListView(CatalogView):
    permission_classes = [AttributePermissions]

    @extend_schema(responses=AttributeOutputSerializer(many=True), tags=["catalog"])
    def get(self, request: Request) -> Response:
        return Response([_public_attribute(a) for a in facets.attribute_catalog().values()])

    @extend_schema(
        request=AttributeSerializer,
        responses={201: AttributeOutputSerializer},
        tags=["catalog staff"],
    )
    def post(self, request: Request) -> Response:
        data = validated(AttributeSerializer, request.data)
        attribute = attribute_services.create_attribute(**data)
        return Response(_attribute_answer(attribute), status=status.HTTP_201_CREATED)


class AttributeDetailView(CatalogView):
    permission_classes = [AttributePermissions]

    @extend_schema(responses=AttributeOutputSerializer, tags=["catalog"])
    def get(self, request: Request, slug: str) -> Response:
        row = facets.attribute_catalog().get(slug)
        if row is None:
            raise NotFound(f"No attribute '{slug}'.")
        return Response(_public_attribute(row))

    @extend_schema(
        request=AttributeUpdateSerializer,
        responses=AttributeOutputSerializer,
        tags=["catalog staff"],
    )
    def patch(self, request: Request, slug: str) -> Response:
        attribute = get_object_or_404(Attribute, slug=slug)
        serializer = AttributeUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        with transaction.atomic():
            attribute_services.add_attribute_values(
                attribute=attribute, names=changes.pop("values", [])
            )
            attribute_services.update_attribute(attribute=attribute, **changes)
        return Response(_attribute_answer(attribute))

    @extend_schema(responses={204: None}, tags=["catalog staff"])
    def delete(self, request: Request, slug: str) -> Response:
        attribute_services.delete_attribute(attribute=get_object_or_404(Attribute, slug=slug))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _type_links() -> Any:
    return ProductTypeAttribute.objects.select_related("attribute").order_by("position", "id")


def _product_type_data(
    product_type: ProductType, links: Iterable[ProductTypeAttribute]
) -> dict[str, Any]:
    return {
        "slug": product_type.slug,
        "name": product_type.name,
        "attributes": [
            {"attribute": link.attribute.slug, "variant_defining": link.variant_defining}
            for link in links
        ],
    }


def _product_type_answer(product_type: ProductType) -> dict[str, Any]:
    return _product_type_data(product_type, _type_links().filter(product_type=product_type))


def _type_attributes(items: list[dict[str, Any]]) -> list[attribute_services.TypeAttribute]:
    """Return the product type's attributes named by slug (a 400 problem names an unknown)."""
    by_slug = Attribute.objects.in_bulk([item["attribute"] for item in items], field_name="slug")
    unknown = [item["attribute"] for item in items if item["attribute"] not in by_slug]
    if unknown:
        raise InvalidAttributeValue(
            f"No attribute '{unknown[0]}'.",
            errors={"attributes": [f"No attribute '{unknown[0]}'."]},
        )
    return [
        attribute_services.TypeAttribute(
            attribute=by_slug[item["attribute"]], variant_defining=item["variant_defining"]
        )
        for item in items
    ]


class ProductTypeListView(CatalogView):
    permission_classes = [ProductTypePermissions]

    @extend_schema(responses=ProductTypeSerializer(many=True), tags=["catalog"])
    def get(self, request: Request) -> Response:
        types = ProductType.objects.prefetch_related(
            Prefetch("type_attributes", queryset=_type_links())
        ).order_by("name")
        return Response([_product_type_data(t, t.type_attributes.all()) for t in types])

    @extend_schema(
        request=ProductTypeSerializer,
        responses={201: ProductTypeSerializer},
        tags=["catalog staff"],
    )
    def post(self, request: Request) -> Response:
        data = validated(ProductTypeSerializer, request.data)
        product_type = attribute_services.create_product_type(
            name=data["name"], attributes=_type_attributes(data.get("attributes", []))
        )
        return Response(_product_type_answer(product_type), status=status.HTTP_201_CREATED)


class ProductTypeDetailView(CatalogView):
    permission_classes = [ProductTypePermissions]

    @extend_schema(responses=ProductTypeSerializer, tags=["catalog"])
    def get(self, request: Request, slug: str) -> Response:
        return Response(_product_type_answer(get_object_or_404(ProductType, slug=slug)))

    @extend_schema(
        request=ProductTypeSerializer, responses=ProductTypeSerializer, tags=["catalog staff"]
    )
    def patch(self, request: Request, slug: str) -> Response:
        product_type = get_object_or_404(ProductType, slug=slug)
        serializer = ProductTypeSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        attributes = data.get("attributes")
        attribute_services.update_product_type(
            product_type=product_type,
            name=data.get("name"),
            attributes=None if attributes is None else _type_attributes(attributes),
        )
        return Response(_product_type_answer(product_type))

    @extend_schema(responses={204: None}, tags=["catalog staff"])
    def delete(self, request: Request, slug: str) -> Response:
        attribute_services.delete_product_type(
            product_type=get_object_or_404(ProductType, slug=slug)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProductAttributeValuesView(CatalogView):
    """A product's attribute values and its variants' (staff: read and replace)."""

    permission_classes = [ProductAttributePermissions]

    @extend_schema(responses=ProductAttributeValuesSerializer, tags=["catalog staff"])
    def get(self, request: Request, slug: str) -> Response:
        product = get_object_or_404(Product, slug=slug)
        return Response(attribute_services.attribute_values_of(product))

    @extend_schema(
        request=ProductAttributeValuesSerializer,
        responses=ProductAttributeValuesSerializer,
        tags=["catalog staff"],
        description="Set the named attributes (others keep their values); all or nothing.",
    )
    def put(self, request: Request, slug: str) -> Response:
        product = get_object_or_404(Product, slug=slug)
        data = validated(ProductAttributeValuesSerializer, request.data)
        variants = {v.sku: v for v in product.variants.filter(sku__in=list(data["variants"]))}
        unknown = [sku for sku in data["variants"] if sku not in variants]
        if unknown:
            raise UnknownSku(
                f"'{product.name}' has no variant {unknown[0]}.",
                errors={"variants": [f"No variant {unknown[0]}."]},
            )
        with transaction.atomic():
            attribute_services.set_attribute_values(product=product, values=data["product"])
            for sku, values in data["variants"].items():
                attribute_services.set_attribute_values(
                    product=product, variant=variants[sku], values=values
                )
        return Response(attribute_services.attribute_values_of(product))

"""HTTP endpoints of the catalog: public reads (cached) and staff writes."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control, patch_vary_headers
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.catalog import selectors, services
from apps.catalog.cache import cached
from apps.catalog.models import Category, Discount, Product, ProductVariant, Review, Tag
from apps.catalog.permissions import (
    CategoryPermissions,
    DiscountPermissions,
    IsStaffOrReadOnly,
    ProductPermissions,
    TagPermissions,
    VariantBulkPermissions,
    VariantPermissions,
)
from apps.catalog.serializers import (
    BulkUpdateResultSerializer,
    BulkVariantUpdateSerializer,
    CategoryDetailSerializer,
    CategoryListQuerySerializer,
    CategorySerializer,
    CategoryWriteSerializer,
    DiscountSerializer,
    FeaturedQuerySerializer,
    PageQuerySerializer,
    ProductCardSerializer,
    ProductDetailSerializer,
    ProductListQuerySerializer,
    ProductPageSerializer,
    ProductUpdateSerializer,
    ProductWriteSerializer,
    ReviewPageSerializer,
    ReviewSerializer,
    ReviewUpdateSerializer,
    ReviewWriteSerializer,
    StaffProductSerializer,
    StaffVariantSerializer,
    TagSerializer,
    VariantInputSerializer,
    VariantUpdateSerializer,
)
from apps.core.api import validated
from apps.core.pagination import page_body
from apps.users.models import User


def _page_links(request: Request, page: dict[str, Any]) -> dict[str, Any]:
    return page_body(
        request,
        page["results"],
        next_cursor=page["next_cursor"],
        previous_cursor=page["previous_cursor"],
    )


class CatalogView(APIView):
    """Public catalog reads that HTTP caches may keep; writes are for staff."""

    permission_classes = [IsStaffOrReadOnly]

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            if request.user.is_authenticated:
                patch_cache_control(response, private=True, no_cache=True)
            else:
                patch_cache_control(response, public=True, max_age=settings.CATALOG_HTTP_MAX_AGE)
            patch_vary_headers(response, ["Authorization", "Cookie"])
        return response

    def cached_json(
        self,
        request: Request,
        answer: Callable[[], Any],
        *,
        params: frozenset[str] = frozenset(),
    ) -> HttpResponse:
        """Return `answer()` as JSON, its rendered bytes kept in the catalog cache.

        A repeat of the same GET (URL and media type) is then one cache read: no validation,
        selector or rendering. Errors are raised, never stored, and the bytes expire with the
        catalog version and at the next discount change, like the data they are made from.
        Only URLs whose query names nothing but `params` are stored, so made-up parameters
        cannot fill the cache with copies of one answer.
        """
        renderer = request.accepted_renderer
        if renderer.format != "json" or not params.issuperset(request.query_params):
            return Response(answer())  # the browsable API in development, or unknown params
        content = cached(
            "json",
            request.build_absolute_uri(),
            request.accepted_media_type,
            compute=lambda: renderer.render(
                answer(), request.accepted_media_type, self.get_renderer_context()
            ),
            expires_at=lambda _: selectors.get_discount_map().next_change,
        )
        return HttpResponse(content, content_type=renderer.media_type)


# --- Categories -----------------------------------------------------------------------------


class CategoryListView(CatalogView):
    permission_classes = [CategoryPermissions]

    @extend_schema(
        parameters=[CategoryListQuerySerializer],
        responses=CategorySerializer(many=True),
        description="Flat list (each category names its `parent`), or a tree with `?tree=true` "
        "(then each item also has `children`, shaped like `CategoryTree`).",
        tags=["catalog"],
    )
    def get(self, request: Request) -> Response:
        if validated(CategoryListQuerySerializer, request.query_params)["tree"]:
            return Response(selectors.category_tree())
        return Response(selectors.list_categories())

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
    def get(self, request: Request, slug: str) -> Response:
        return Response(selectors.get_category(slug))

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
    def get(self, request: Request) -> Response:
        return Response([{"slug": t["slug"], "name": t["name"]} for t in selectors.list_tags()])

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
        Product.objects.select_related("category")
        .prefetch_related("tags", "variants")
        .get(pk=product.pk)
    )
    return StaffProductSerializer(product).data


PRODUCT_LIST_PARAMS = frozenset(ProductListQuerySerializer().fields)


class ProductListView(CatalogView):
    permission_classes = [ProductPermissions]

    @extend_schema(
        operation_id="products_list",
        parameters=[ProductListQuerySerializer],
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
                filters=selectors.ProductFilters(**params),
                ordering=ordering,
                cursor=cursor,
                page_size=page_size,
            )
            return _page_links(request, page)

        return self.cached_json(request, answer, params=PRODUCT_LIST_PARAMS)

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


class FeaturedProductsView(CatalogView):
    @extend_schema(
        parameters=[FeaturedQuerySerializer],
        responses=ProductCardSerializer(many=True),
        tags=["catalog"],
    )
    def get(self, request: Request) -> Response:
        limit = validated(FeaturedQuerySerializer, request.query_params)["limit"]
        return Response(selectors.featured_products(limit=limit))


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

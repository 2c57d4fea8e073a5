"""Catalog routes, mounted under /api/v1/."""

from django.urls import path

from apps.catalog import views

app_name = "catalog"

urlpatterns = [
    path("categories/", views.CategoryListView.as_view(), name="category-list"),
    path("categories/<slug:slug>/", views.CategoryDetailView.as_view(), name="category-detail"),
    path("tags/", views.TagListView.as_view(), name="tag-list"),
    path("tags/<slug:slug>/", views.TagDetailView.as_view(), name="tag-detail"),
    path("products/", views.ProductListView.as_view(), name="product-list"),
    path("products/featured/", views.FeaturedProductsView.as_view(), name="product-featured"),
    path("products/facets/", views.ProductFacetsView.as_view(), name="product-facets"),
    path(
        "products/suggestions/",
        views.ProductSuggestionsView.as_view(),
        name="product-suggestions",
    ),
    path("products/<slug:slug>/", views.ProductDetailView.as_view(), name="product-detail"),
    path(
        "products/<slug:slug>/related/", views.RelatedProductsView.as_view(), name="product-related"
    ),
    path("products/<slug:slug>/variants/", views.VariantListView.as_view(), name="variant-list"),
    path("products/<slug:slug>/images/", views.ProductImageListView.as_view(), name="image-list"),
    path(
        "products/<slug:slug>/images/reorder/",
        views.ProductImageOrderView.as_view(),
        name="image-order",
    ),
    path(
        "products/<slug:slug>/images/<int:pk>/",
        views.ProductImageDetailView.as_view(),
        name="image-detail",
    ),
    path(
        "products/<slug:slug>/variants/<str:sku>/",
        views.VariantDetailView.as_view(),
        name="variant-detail",
    ),
    path("products/<slug:slug>/reviews/", views.ReviewListView.as_view(), name="review-list"),
    path(
        "products/<slug:slug>/reviews/<uuid:pk>/",
        views.ReviewDetailView.as_view(),
        name="review-detail",
    ),
    path("variants/bulk-update/", views.VariantBulkUpdateView.as_view(), name="variant-bulk"),
    path(
        "products/<slug:slug>/attributes/",
        views.ProductAttributeValuesView.as_view(),
        name="product-attributes",
    ),
    path("attributes/", views.AttributeListView.as_view(), name="attribute-list"),
    path("attributes/<slug:slug>/", views.AttributeDetailView.as_view(), name="attribute-detail"),
    path("product-types/", views.ProductTypeListView.as_view(), name="product-type-list"),
    path(
        "product-types/<slug:slug>/",
        views.ProductTypeDetailView.as_view(),
        name="product-type-detail",
    ),
    path("discounts/", views.DiscountListView.as_view(), name="discount-list"),
    path("discounts/<int:pk>/", views.DiscountDetailView.as_view(), name="discount-detail"),
]

"""Routes of the wishlist API, mounted under /api/v1/."""

from django.urls import path

from apps.wishlist import views

app_name = "wishlist"

urlpatterns = [
    path("wishlist/", views.WishlistView.as_view(), name="wishlist"),
    path("wishlist/<slug:slug>/", views.WishlistItemView.as_view(), name="wishlist-item"),
]

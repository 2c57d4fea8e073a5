"""Cart routes, mounted under /api/v1/."""

from django.urls import path

from apps.cart import views

app_name = "cart"

urlpatterns = [
    path("cart/", views.CartDetailView.as_view(), name="cart"),
    path("cart/items/", views.CartItemsView.as_view(), name="cart-items"),
    path("cart/items/<int:line_id>/", views.CartItemView.as_view(), name="cart-item"),
    path("cart/voucher/", views.CartVoucherView.as_view(), name="cart-voucher"),
    path("cart/shipping-method/", views.CartShippingView.as_view(), name="cart-shipping"),
    path("shipping-methods/", views.ShippingMethodListView.as_view(), name="shipping-methods"),
]

"""Storefront routes, mounted at the site root under the "storefront" namespace."""

from django.urls import path

from apps.storefront import views

app_name = "storefront"

urlpatterns = [
    path("", views.home, name="home"),
    path("c/<slug:slug>/", views.category, name="category"),
    path("search/", views.search, name="search"),
    path("p/<slug:slug>/", views.product_detail, name="product"),
    path("p/<slug:slug>/add/", views.cart_add, name="cart-add"),
    path("p/<slug:slug>/reviews/", views.product_review, name="review"),
    path("p/<slug:slug>/save/", views.wishlist_save, name="wishlist-save"),
    path("cart/", views.cart_detail, name="cart"),
    path("cart/lines/<int:line_id>/", views.cart_line_update, name="cart-line"),
    path("cart/lines/<int:line_id>/remove/", views.cart_line_remove, name="cart-line-remove"),
    path("cart/lines/<int:line_id>/save/", views.cart_line_save, name="cart-line-save"),
    path("cart/voucher/", views.cart_voucher, name="cart-voucher"),
    path("cart/voucher/remove/", views.cart_voucher_remove, name="cart-voucher-remove"),
    path("cart/shipping/", views.cart_shipping, name="cart-shipping"),
    path("checkout/", views.checkout, name="checkout"),
    path("pay/sandbox/<str:intent_id>/", views.sandbox_pay_page, name="sandbox-pay"),
    path("orders/<uuid:order_id>/", views.order_confirmation, name="order"),
    path("orders/<uuid:order_id>/pay/", views.order_pay, name="order-pay"),
    path("account/", views.account, name="account"),
    path("account/login/", views.login_view, name="login"),
    path("account/logout/", views.logout_view, name="logout"),
    path("account/register/", views.register, name="register"),
    path("account/register/<str:token>/", views.register_finish, name="register-finish"),
    path("account/password-reset/", views.password_reset, name="password-reset"),
    path(
        "account/reset/<str:uid>/<str:token>/",
        views.password_reset_confirm,
        name="password-reset-confirm",
    ),
    path("account/orders/<uuid:order_id>/", views.account_order, name="account-order"),
    path(
        "account/orders/<uuid:order_id>/returns/",
        views.account_order_return,
        name="account-order-return",
    ),
    path(
        "account/orders/<uuid:order_id>/documents/<str:number>.pdf",
        views.account_order_document,
        name="account-order-document",
    ),
    path(
        "account/orders/<uuid:order_id>/cancel/",
        views.account_order_cancel,
        name="account-order-cancel",
    ),
    path("account/wishlist/", views.wishlist, name="wishlist"),
    path("account/wishlist/<slug:slug>/remove/", views.wishlist_remove, name="wishlist-remove"),
    path("account/addresses/", views.addresses, name="addresses"),
    path("account/addresses/new/", views.address_add, name="address-add"),
    path("account/addresses/<uuid:address_id>/", views.address_edit, name="address-edit"),
    path(
        "account/addresses/<uuid:address_id>/delete/",
        views.address_delete,
        name="address-delete",
    ),
    path(
        "account/addresses/<uuid:address_id>/default/",
        views.address_default,
        name="address-default",
    ),
]

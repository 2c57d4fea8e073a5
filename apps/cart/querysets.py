"""The cart's query vocabulary."""

from django.db.models import QuerySet

from apps.cart.models import Cart, CartLine


def cart_lines(cart: Cart) -> QuerySet[CartLine]:
    """Return the cart's lines with their variants and products, in the order they were added."""
    return (
        CartLine.objects.filter(cart=cart)
        .select_related("variant__product")
        .order_by("created_at", "id")
    )

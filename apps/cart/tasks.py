"""Background jobs for carts."""

from celery import shared_task


@shared_task(name="cart.purge_stale_carts", acks_late=True)
def purge_stale_carts() -> int:
    """Delete carts untouched for CART_STALE_DAYS; return how many."""
    from apps.cart.services import purge_stale_carts as purge

    return purge()

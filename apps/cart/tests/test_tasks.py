"""The cart's background job: purging carts nobody has used for CART_STALE_DAYS."""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings

from apps.cart import tasks
from apps.cart.models import Cart, CartLine
from apps.cart.tests.factories import CartFactory, CartLineFactory
from config.celery import app

pytestmark = pytest.mark.django_db

T0 = datetime(2030, 5, 1, 8, 0, tzinfo=UTC)


def test_purge_stale_carts_is_registered_and_scheduled():
    assert tasks.purge_stale_carts.name == "cart.purge_stale_carts"
    assert app.tasks["cart.purge_stale_carts"].acks_late is True
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "cart.purge_stale_carts" in scheduled


def test_the_task_deletes_stale_carts_and_their_lines_and_keeps_the_rest(time_machine):
    time_machine.move_to(T0 - timedelta(days=31), tick=False)
    stale = CartLineFactory.create().cart
    time_machine.move_to(T0 - timedelta(days=29), tick=False)
    fresh = CartLineFactory.create().cart
    time_machine.move_to(T0, tick=False)

    result = tasks.purge_stale_carts.delay()  # eager in the test settings

    assert result.get() == 1
    assert list(Cart.objects.all()) == [fresh]
    assert not CartLine.objects.filter(cart_id=stale.pk).exists()


def test_the_task_is_idempotent(time_machine):
    time_machine.move_to(T0 - timedelta(days=60), tick=False)
    CartFactory.create_batch(2)
    time_machine.move_to(T0, tick=False)

    assert [tasks.purge_stale_carts.delay().get() for _ in range(2)] == [2, 0]
    assert not Cart.objects.exists()

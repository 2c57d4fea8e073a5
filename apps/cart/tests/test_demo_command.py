"""The demo checkout data command."""

import pytest
from django.core.management import CommandError, call_command

from apps.cart.models import ShippingMethod, Voucher

pytestmark = pytest.mark.django_db


def test_creates_shipping_methods_and_a_voucher_once(settings):
    settings.DEBUG = True
    call_command("create_demo_checkout")
    call_command("create_demo_checkout")

    assert sorted(ShippingMethod.objects.values_list("name", flat=True)) == ["Express", "Standard"]
    voucher = Voucher.objects.get()
    assert (voucher.code, voucher.kind, voucher.per_customer_limit) == ("WELCOME10", "percent", 1)


def test_refuses_with_debug_off_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("create_demo_checkout")
    assert not ShippingMethod.objects.exists()

    call_command("create_demo_checkout", force=True)
    assert ShippingMethod.objects.count() == 2

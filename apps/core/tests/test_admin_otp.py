"""Admin 2FA: with ADMIN_REQUIRE_OTP on, staff get in only with a valid TOTP token."""

from io import StringIO
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP  # type: ignore[import-untyped, unused-ignore]
from django_otp.plugins.otp_totp.models import TOTPDevice  # type: ignore[import-untyped, unused-ignore]

from apps.users.tests.factories import DEFAULT_PASSWORD, SuperUserFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def otp_on(settings):
    settings.ADMIN_REQUIRE_OTP = True


@pytest.fixture
def staff():
    return SuperUserFactory.create()


def token_of(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def log_in(client: Client, email: str, **fields: str):
    return client.post(
        reverse("admin:login"),
        {"username": email, "password": DEFAULT_PASSWORD, "next": reverse("admin:index"), **fields},
    )


def test_without_otp_the_password_is_enough(staff):
    client = Client()
    form_page = client.get(reverse("admin:login"))
    assert "otp_token" not in form_page.content.decode()

    response = log_in(client, staff.email)

    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_login_page_asks_for_a_token(otp_on):
    page = Client().get(reverse("admin:login")).content.decode()
    assert 'name="otp_token"' in page


def test_a_password_alone_is_refused(otp_on, staff):
    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    client = Client()

    response = log_in(client, staff.email)

    assert response.status_code == 200
    assert "token" in response.content.decode().lower()
    assert client.get(reverse("admin:index")).status_code == 302


def test_a_staff_user_without_a_device_cannot_get_in(otp_on, staff):
    client = Client()

    response = log_in(client, staff.email, otp_token="123456")

    assert response.status_code == 200
    assert client.get(reverse("admin:index")).status_code == 302


def test_a_session_logged_in_without_the_second_factor_is_not_enough(otp_on, staff):
    client = Client()
    client.force_login(staff)  # a password login from before 2FA was switched on

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_a_wrong_token_is_refused(otp_on, staff):
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    wrong = f"{(int(token_of(device)) + 1) % 10**device.digits:06d}"
    client = Client()

    response = log_in(client, staff.email, otp_token=wrong)

    assert response.status_code == 200
    assert client.get(reverse("admin:index")).status_code == 302


def test_a_valid_token_lets_staff_in(otp_on, staff):
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    client = Client()

    response = log_in(client, staff.email, otp_token=token_of(device))

    assert response.status_code == 302, response.content.decode()
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert index.wsgi_request.user.is_verified()  # type: ignore[union-attr]


def test_totp_devices_are_managed_in_the_admin(staff):
    client = Client()
    client.force_login(staff)
    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)

    response = client.get(reverse("admin:otp_totp_totpdevice_changelist"))

    assert response.status_code == 200
    assert "phone" in response.content.decode()


# --- Enrolling: add_totp_device -------------------------------------------------------------


def test_add_totp_device_prints_an_otpauth_url_that_logs_in(otp_on, staff):
    out = StringIO()
    call_command("add_totp_device", staff.email.upper(), stdout=out)

    url = urlparse(out.getvalue().strip())
    assert url.scheme == "otpauth"
    assert url.netloc == "totp"
    assert parse_qs(url.query)["secret"]
    device = TOTPDevice.objects.get(user=staff)
    assert device.confirmed
    assert log_in(Client(), staff.email, otp_token=token_of(device)).status_code == 302


def test_add_totp_device_refuses_unknown_and_non_staff_users():
    with pytest.raises(CommandError, match="No user"):
        call_command("add_totp_device", "nobody@example.com", stdout=StringIO())
    customer = UserFactory.create()
    with pytest.raises(CommandError, match="not staff"):
        call_command("add_totp_device", customer.email, stdout=StringIO())
    assert not TOTPDevice.objects.exists()


def test_the_admin_lives_at_the_configured_path(settings):
    assert reverse("admin:index") == f"/{settings.ADMIN_URL}"
    assert reverse("admin:sales-dashboard") == f"/{settings.ADMIN_URL}dashboard/"

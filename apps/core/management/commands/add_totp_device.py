"""Enrol a staff user's authenticator app for the admin's second factor."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.plugins.otp_totp.models import TOTPDevice  # type: ignore[import-untyped, unused-ignore]

from apps.users.models import User


class Command(BaseCommand):
    help = (
        "Add a TOTP device to a staff user and print its otpauth:// URL (scan it, or type the "
        "secret, into an authenticator app)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="The staff user's e-mail address.")
        parser.add_argument("--name", default="Authenticator", help="A name for the device.")

    def handle(self, *args: Any, email: str, name: str, **options: Any) -> None:
        user = User.objects.with_email(email).first()
        if user is None:
            raise CommandError(f"No user with e-mail {email}.")
        if not user.is_staff:
            raise CommandError(f"{email} is not staff; only staff use the admin.")
        device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)
        self.stdout.write(device.config_url)

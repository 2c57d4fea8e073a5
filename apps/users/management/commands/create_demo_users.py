"""Create the demo logins that `make run` prints (local development only)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.users.models import User

DEMO_USERS = (
    # (e-mail, password, full name, staff, superuser)
    ("admin@emporium.localhost", "emporium-admin", "Ada Admin", True, True),
    ("staff@emporium.localhost", "emporium-staff", "Sam Staff", True, False),
    ("customer@emporium.localhost", "emporium-customer", "Casey Customer", False, False),
)


class Command(BaseCommand):
    help = "Create (or reset) the demo admin, staff and customer accounts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Create them even though DEBUG is off (never on a real shop).",
        )

    def handle(self, *args: Any, force: bool = False, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "Demo users have well-known passwords; refusing with DEBUG off. "
                "Pass --force if this really is a throwaway site."
            )
        for email, password, full_name, is_staff, is_superuser in DEMO_USERS:
            user = User.objects.with_email(email).first() or User(email=email)
            user.full_name = full_name
            user.is_staff = is_staff
            user.is_superuser = is_superuser
            user.is_active = True
            user.set_password(password)
            user.save()
            role = "superuser" if is_superuser else "staff" if is_staff else "customer"
            self.stdout.write(f"  {role:<9}  {email}  /  {password}")

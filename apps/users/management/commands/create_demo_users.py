"""Create the demo logins that `make run` prints (local development only)."""

from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core.permissions import CATALOG_MANAGERS, ORDER_MANAGERS, SUPPORT
from apps.users.models import User

DEMO_USERS = (
    # (e-mail, password, full name, staff, superuser, staff role groups)
    ("admin@emporium.localhost", "emporium-admin", "Ada Admin", True, True, ()),
    ("staff@emporium.localhost", "emporium-staff", "Sam Staff", True, False, (ORDER_MANAGERS,)),
    (
        "catalog@emporium.localhost",
        "emporium-catalog",
        "Cat Alog",
        True,
        False,
        (CATALOG_MANAGERS,),
    ),
    ("orders@emporium.localhost", "emporium-orders", "Olly Orders", True, False, (ORDER_MANAGERS,)),
    ("support@emporium.localhost", "emporium-support", "Sue Support", True, False, (SUPPORT,)),
    ("customer@emporium.localhost", "emporium-customer", "Casey Customer", False, False, ()),
)


class Command(BaseCommand):
    help = "Create (or reset) the demo admin, staff (one per role) and customer accounts."

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
        for email, password, full_name, is_staff, is_superuser, roles in DEMO_USERS:
            user = User.objects.with_email(email).first() or User(email=email)
            user.full_name = full_name
            user.is_staff = is_staff
            user.is_superuser = is_superuser
            user.is_active = True
            user.set_password(password)
            user.save()
            # The groups come from a migration of apps.core; a missing one is a real error.
            user.groups.set(Group.objects.filter(name__in=roles))
            role = "superuser" if is_superuser else ", ".join(roles) or "customer"
            self.stdout.write(f"  {role:<16}  {email}  /  {password}")

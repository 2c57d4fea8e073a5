"""Staff in the back office, in a real browser."""

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from apps.users.tests.factories import SuperUserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def admin_login(page: Page, email: str, password: str) -> None:
    page.goto(f"/{settings.ADMIN_URL}login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_admin_refuses_a_wrong_password_and_admits_staff(page: Page) -> None:
    staff = SuperUserFactory.create(email="boss@example.com", password=PASSWORD)

    admin_login(page, staff.email, "not the password")
    expect(page.locator(".errornote")).to_contain_text("correct e-mail address and password")

    admin_login(page, staff.email, PASSWORD)
    expect(page.get_by_role("heading", name="Back office", exact=True)).to_be_visible()

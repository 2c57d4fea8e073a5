"""Account pages in a real browser: a password-reset link that no longer works says so; signing
up reveals no account and reports every password problem at once."""

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from apps.users.models import User
from apps.users.tests.factories import UserFactory, sign_up_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_made_up_reset_link_says_it_does_not_work_and_leads_to_a_new_one(page: Page) -> None:
    page.goto("/account/reset/bm90LWEtdXNlcg/not-a-token/")

    expect(page.get_by_role("heading", level=1)).to_have_text("This link no longer works")
    expect(page.locator("#reset-link-invalid")).to_contain_text("invalid or has expired")
    expect(page.locator("#set-password-form")).to_have_count(0)

    page.locator("#request-new-link").click()

    expect(page).to_have_url(re.compile(r"/account/password-reset/$"))
    expect(page.get_by_label("E-mail")).to_be_visible()


def test_signing_up_tells_no_one_which_addresses_have_an_account_and_reports_every_password_problem(
    sized_page: Page,
) -> None:
    page = sized_page
    UserFactory.create(email="taken@example.com")
    answers = []
    for email in ["taken@example.com", "new@example.com"]:
        page.goto("/account/register/")
        page.get_by_label("E-mail").fill(email)
        page.locator("#register-button").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
        answers.append(page.locator("#register-sent").inner_text().replace(email, "…"))
    assert answers[0] == answers[1]

    page.goto(sign_up_path(next(m for m in mail.outbox if m.to == ["new@example.com"])))
    page.get_by_label(re.compile(r"^Password:?$")).fill("1234")
    page.get_by_label("Password (again)").fill("12345")
    page.locator("#register-finish-button").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("There are 2 problems")
    expect(summary).to_contain_text("too short")
    expect(summary).to_contain_text("too common")
    expect(summary).to_contain_text("entirely numeric")
    expect(summary).to_contain_text("The two passwords differ.")
    assert not User.objects.filter(email="new@example.com").exists()

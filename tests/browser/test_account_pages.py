"""Account pages in a real browser: a password-reset link that no longer works says so."""

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_made_up_reset_link_says_it_does_not_work_and_leads_to_a_new_one(page: Page) -> None:
    page.goto("/account/reset/bm90LWEtdXNlcg/not-a-token/")

    expect(page.get_by_role("heading", level=1)).to_have_text("This link no longer works")
    expect(page.locator("#reset-link-invalid")).to_contain_text("invalid or has expired")
    expect(page.locator("#set-password-form")).to_have_count(0)

    page.locator("#request-new-link").click()

    expect(page).to_have_url(re.compile(r"/account/password-reset/$"))
    expect(page.get_by_label("E-mail")).to_be_visible()

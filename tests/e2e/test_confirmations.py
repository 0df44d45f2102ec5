"""A decision that ends a case, in a real browser (docs/confirmations.md): a referral made for the test and her
consent recorded on one page, then the withdraw action: sent without a reason, then with one, the confirmation page
saying what will happen, "Change the reason" keeping it; and, in a tab with JavaScript switched off, the confirmation
that withdraws her, with the banner saying what happened. Every page is checked with axe-core."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e import server as e2e_server
from tests.e2e.checks import PageReport, assert_clean, expect_error_summary, inspect

pytestmark = pytest.mark.e2e

LONDON = ZoneInfo("Europe/London")
WARNING = "She will be withdrawn from diversion. The CPS will be told the prosecution proceeds."
BANNER = "She has been withdrawn from diversion. The CPS has been sent the outcome notice."


def fill_date(page: Page, name: str, day: date) -> None:
    for part, value in (("day", day.day), ("month", day.month), ("year", day.year)):
        page.fill(f"#{name}-{part}", str(value))


def opted_in_case(page: Page) -> str:
    """A new referral, her consent to all four purposes recorded on the one page; the case's path."""
    rng = random.SystemRandom()
    today = datetime.now(LONDON).date()
    page.goto("/cases/new")
    page.select_option("#court", e2e_server.COURTS[0][0])
    page.fill("#urn", f"01/cd/{rng.randrange(10_000, 100_000)}/26")
    page.select_option("#offence", "SOA1959_S1")
    # Six weeks on: a day no other browser test lists.
    fill_date(page, "return_date", today + timedelta(weeks=6))
    page.fill("#given_name", "Rae")
    page.fill("#family_name", "Confirm-" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(6)))
    fill_date(page, "date_of_birth", date(today.year - 35, 6, 9))
    page.get_by_role("button", name="Save referral").click()
    expect(page.locator("h1")).to_have_text("Consent")
    for purpose in ("support", "share_with_court_cps", "reminders", "equality_monitoring"):
        page.check(f"input[name={purpose}][value=given]")
    page.get_by_role("button", name="Record her decisions").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("She has opted in to diversion.")
    return urlparse(page.url).path.removesuffix("/consent")


def test_withdrawing_is_confirmed_first_and_works_without_javascript(
    role_pages: dict[str, Page], browser: Browser, server
) -> None:
    page = role_pages["worker"]
    reports: list[PageReport] = []

    def check(tab: Page, state: str = "page") -> None:
        reports.append(inspect(tab, "worker", state))

    case = opted_in_case(page)
    page.goto(f"{case}/withdraw")
    expect(page.locator("h1")).to_have_text("Withdraw from the scheme")
    check(page)
    page.get_by_role("button", name="Withdraw from the scheme").click()
    expect_error_summary(page, "Enter why she is withdrawing")
    check(page, "sent empty")
    page.fill("#reason", "She is moving away")
    page.get_by_role("button", name="Withdraw from the scheme").click()
    expect(page.locator("h1")).to_have_text("Check before you withdraw her")
    expect(page.locator(".govuk-summary-list")).to_contain_text("She is moving away")
    expect(page.locator(".govuk-warning-text")).to_contain_text(WARNING)
    check(page, "asked to confirm")
    page.get_by_role("button", name="Change the reason").click()
    expect(page.locator("h1")).to_have_text("Withdraw from the scheme")
    expect(page.locator("#reason")).to_have_value("She is moving away")
    expect(page.locator(".app-case-status .govuk-tag").first).to_have_text("Opted in")

    # The same, with JavaScript switched off: the confirmation is a plain form.
    context = browser.new_context(
        base_url=server.url, java_script_enabled=False, storage_state=page.context.storage_state()
    )
    try:
        plain = context.new_page()
        plain.goto(f"{case}/withdraw")
        plain.fill("#reason", "She is moving away to her sister's")
        plain.get_by_role("button", name="Withdraw from the scheme").click()
        expect(plain.locator(".govuk-warning-text")).to_contain_text(WARNING)
        assert "moving" not in plain.url, "her answers stay out of the address"
        plain.get_by_role("button", name="Withdraw her from diversion").click()
        expect(plain.locator(".govuk-notification-banner--success")).to_contain_text(BANNER)
        expect(plain.locator(".app-case-status .govuk-tag").first).to_have_text("Withdrawn")
    finally:
        context.close()
    page.goto(case)
    check(page, "withdrawn")
    assert_clean(reports, "the withdrawal and its confirmation")

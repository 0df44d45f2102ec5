"""A mistake put right, in a real browser (docs/reversals.md): a decline recorded on the consent page with its
confirmation, then reversed by a manager through the reversal's own confirmation; and a withdrawal (she does not
agree to sharing) reversed the same way, the CPS then seeing the correction in its inbox and on the notice pages.
Every page is checked with axe-core."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import server as e2e_server
from tests.e2e.checks import PageReport, assert_clean, expect_error_summary, inspect

pytestmark = pytest.mark.e2e

LONDON = ZoneInfo("Europe/London")
PURPOSES = ("support", "share_with_court_cps", "reminders", "equality_monitoring")


def fill_date(page: Page, name: str, day: date) -> None:
    for part, value in (("day", day.day), ("month", day.month), ("year", day.year)):
        page.fill(f"#{name}-{part}", str(value))


def new_referral(page: Page, family_name: str) -> str:
    """A new referral made through the form, left on its consent page; the case's path."""
    rng = random.SystemRandom()
    today = datetime.now(LONDON).date()
    page.goto("/cases/new")
    page.select_option("#court", e2e_server.COURTS[0][0])
    page.fill("#urn", f"01/rv/{rng.randrange(10_000, 100_000)}/26")
    page.select_option("#offence", "SOA1959_S1")
    # Six weeks and a day on: a day no other browser test lists.
    fill_date(page, "return_date", today + timedelta(weeks=6, days=1))
    page.fill("#given_name", "Ria")
    page.fill("#family_name", family_name)
    fill_date(page, "date_of_birth", date(today.year - 33, 4, 14))
    page.get_by_role("button", name="Save referral").click()
    expect(page.locator("h1")).to_have_text("Consent")
    return urlparse(page.url).path.removesuffix("/consent")


def answer(page: Page, answers: dict[str, str]) -> None:
    for purpose in PURPOSES:
        page.check(f"input[name={purpose}][value={answers.get(purpose, 'given')}]")
    page.get_by_role("button", name="Record her decisions").click()


def reverse(page: Page, case: str, check, *, returns_to: str, tells_cps: bool) -> None:
    """The manager reverses the case's decision: the link on the case, the page sent without a reason, then with
    one, the confirmation, and the banner."""
    page.goto(case)
    page.get_by_role("link", name="Reverse this decision").click()
    expect(page.locator("h1")).to_have_text("Reverse this decision")
    check(page, "manager", "reversal form")
    page.get_by_role("button", name="Reverse this decision").click()
    expect_error_summary(page, "Enter why the decision is being reversed")
    check(page, "manager", "reversal sent empty")
    page.fill("#reason", "Recorded in error: she agreed when asked again in the same meeting")
    page.get_by_role("button", name="Reverse this decision").click()
    expect(page.locator("h1")).to_have_text("Check before you reverse this decision")
    warning = page.locator(".govuk-warning-text")
    expect(warning).to_contain_text(f"The case will return to {returns_to}.")
    if tells_cps:
        expect(warning).to_contain_text("The CPS will be sent a correction of the outcome notice.")
    else:
        expect(warning).to_contain_text("The CPS was sent no outcome notice, so no correction is needed.")
    check(page, "manager", "reversal asked to confirm")
    page.locator("form:has(input[name=confirmed])").get_by_role("button", name="Reverse this decision").click()
    banner = page.locator(".govuk-notification-banner--success")
    expect(banner).to_contain_text(f"Decision reversed. The case is {returns_to} again.")
    if tells_cps:
        expect(banner).to_contain_text("The CPS has been sent a correction of the outcome notice.")
    expect(page.locator(".app-case-status .govuk-tag").first).to_have_text(returns_to.capitalize())
    check(page, "manager", "reversed")


def test_a_decline_and_a_withdrawal_are_reversed_by_a_manager_and_the_cps_sees_the_correction(
    role_pages: dict[str, Page],
) -> None:
    worker, manager, cps = role_pages["worker"], role_pages["manager"], role_pages["cps"]
    reports: list[PageReport] = []

    def check(tab: Page, who: str, state: str = "page") -> None:
        reports.append(inspect(tab, who, state))

    rng = random.SystemRandom()
    tag = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(6))

    # A decline, confirmed first; then reversed: the case is referred again, and the CPS had no notice.
    declined = new_referral(worker, f"Decline-{tag}")
    answer(worker, {"support": "refused"})
    expect(worker.locator("h1")).to_have_text("Check her decisions before you record them")
    check(worker, "worker", "decline asked to confirm")
    worker.get_by_role("button", name="Record that she declines").click()
    expect(worker.locator(".govuk-notification-banner--success")).to_contain_text("She has declined diversion.")
    worker.goto(declined)
    expect(worker.get_by_role("link", name="Reverse this decision")).to_have_count(0)
    reverse(manager, declined, check, returns_to="referred", tells_cps=False)

    # A withdrawal: she does not agree to sharing after opting in; reversed, the CPS is sent a correction.
    family = f"Withdraw-{tag}"
    withdrawn = new_referral(worker, family)
    answer(worker, {})
    expect(worker.locator(".govuk-notification-banner--success")).to_contain_text("She has opted in to diversion.")
    worker.goto(f"{withdrawn}/consent")
    answer(worker, {"share_with_court_cps": "refused"})
    expect(worker.locator(".govuk-warning-text")).to_contain_text("The CPS will be told the prosecution proceeds.")
    worker.get_by_role("button", name="Withdraw her from diversion").click()
    expect(worker.locator(".govuk-notification-banner--success")).to_contain_text("The CPS has been sent")
    reverse(manager, withdrawn, check, returns_to="opted in", tells_cps=True)

    # The CPS inbox lists the correction (her name shown again: sharing is given again) and not the notice.
    cps.goto("/notices")
    row = cps.locator("tr", has_text=family)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Correction: the notice that Ria " + family + " withdrew")
    check(cps, "cps", "inbox with a correction")
    row.get_by_role("link").first.click()
    expect(cps.locator("h1")).to_have_text("Correction of an outcome notice")
    expect(cps.locator(".govuk-inset-text")).to_contain_text("which was sent in error")
    check(cps, "cps", "correction")
    cps.get_by_role("link", name="earlier outcome notice").click()
    expect(cps.locator("h1")).to_have_text("Outcome notice")
    expect(cps.locator(".govuk-warning-text")).to_contain_text("This notice was sent in error and has been corrected")
    expect(cps.get_by_role("link", name="Record the CPS decision")).to_have_count(0)
    check(cps, "cps", "superseded notice")
    cps.get_by_role("link", name="the correction").click()
    cps.get_by_role("link", name="Acknowledge the correction").click()
    expect(cps.locator("h1")).to_have_text("Acknowledge the correction")
    check(cps, "cps", "acknowledge the correction")
    cps.get_by_role("button", name="Acknowledge the correction").click()
    expect(cps.locator(".govuk-notification-banner--success")).to_contain_text("Correction acknowledged.")
    assert_clean(reports, "the decline, the withdrawal, their reversals and the CPS correction")

"""Court dates in a real browser (docs/court-dates.md): a new referral with its return date already passed is
refused, a manager's form records it as a past case; a return date on a Sunday warns naming the day and asks for a
reason, on the new-referral page and on the change-the-return-date page; the court-day list asked for year 0001
says so instead of failing. Every page, in its error and warning states, is checked with axe-core."""

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
NEEDS_REASON = "Give a reason to keep this return date, or change it"


def fill_date(page: Page, name: str, day: date) -> None:
    for part, value in (("day", day.day), ("month", day.month), ("year", day.year)):
        page.fill(f"#{name}-{part}", str(value))


def sunday_after(day: date, weeks: int) -> date:
    """The Sunday in the week ``weeks`` weeks on: a day no other browser test lists."""
    later = day + timedelta(weeks=weeks)
    return later + timedelta(days=6 - later.weekday())


def in_words(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def fill_referral(page: Page, return_date: date, first_hearing: date | None = None) -> None:
    rng = random.SystemRandom()
    page.goto("/cases/new")
    page.select_option("#court", e2e_server.COURTS[0][0])
    page.fill("#urn", f"01/cd/{rng.randrange(10_000, 100_000)}/26")
    page.select_option("#offence", "SOA1959_S1")
    if first_hearing is not None:
        fill_date(page, "first_hearing_date", first_hearing)
    fill_date(page, "return_date", return_date)
    page.fill("#given_name", "Ida")
    page.fill("#family_name", "Dates-" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(6)))
    fill_date(page, "date_of_birth", date(1988, 3, 14))


def test_past_and_sunday_return_dates_in_the_browser(role_pages: dict[str, Page]) -> None:
    reports: list[PageReport] = []
    today = datetime.now(LONDON).date()

    # A support worker: a return date already passed is refused; no past-case choice is offered.
    page = role_pages["worker"]
    fill_referral(page, today - timedelta(days=1), first_hearing=today - timedelta(days=30))
    expect(page.locator("input[name=past_case]")).to_have_count(0)
    page.get_by_role("button", name="Save referral").click()
    expect_error_summary(page, "The return date must be in the future. Only a manager can record a past case")
    reports.append(inspect(page, "worker", "return date passed"))

    # A Sunday: the warning names the day, and the reason is asked for.
    sunday = sunday_after(today, 7)
    fill_referral(page, sunday)
    page.get_by_role("button", name="Save referral").click()
    expect_error_summary(page, NEEDS_REASON)
    expect(page.locator(".govuk-warning-text")).to_contain_text(
        f"The return date, {in_words(sunday)}, is a weekend day."
    )
    reports.append(inspect(page, "worker", "return date on a Sunday"))
    page.fill("#override_reason", "The court sits on Sunday for this list")
    page.get_by_role("button", name="Save referral").click()
    expect(page.locator("h1")).to_have_text("Consent")
    case = urlparse(page.url).path.removesuffix("/consent")

    # The court re-adjourns to the next Sunday: the same warning on the change page.
    later = sunday + timedelta(weeks=1)
    page.goto(f"{case}/return-date")
    fill_date(page, "return_date", later)
    page.fill("#reason", "Re-adjourned by the court")
    page.get_by_role("button", name="Change return date").click()
    expect_error_summary(page, NEEDS_REASON)
    expect(page.locator(".govuk-warning-text")).to_contain_text(
        f"The new return date, {in_words(later)}, is a weekend day."
    )
    reports.append(inspect(page, "worker", "new return date on a Sunday"))
    page.fill("#override_reason", "A Sunday sitting")
    page.get_by_role("button", name="Change return date").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Return date changed.")

    # A manager records a past case by choosing so.
    page = role_pages["manager"]
    fill_referral(page, today - timedelta(days=1), first_hearing=today - timedelta(days=120))
    expect(page.locator("input[name=past_case]")).to_have_count(1)
    reports.append(inspect(page, "manager", "new referral"))
    page.get_by_role("button", name="Save referral").click()
    expect_error_summary(page, "The return date must be in the future, or choose that this is a past case")
    reports.append(inspect(page, "manager", "return date passed"))
    page.check("input[name=past_case]")
    page.get_by_role("button", name="Save referral").click()
    expect(page.locator("h1")).to_have_text("Consent")

    # The court-day list asked for year 0001 says so.
    page.goto("/court-day?day-day=1&day-month=1&day-year=0001")
    expect_error_summary(page, "The day must be between 1 January 1900 and 31 December 2100")
    reports.append(inspect(page, "manager", "day out of range"))
    assert_clean(reports, "court dates")

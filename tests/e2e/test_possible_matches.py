"""Someone referred before, in a real browser (docs/api.md, "Someone referred before"; docs/merging.md): a court's
referral of a woman referred before lands on the support workers' worklist, where she is linked to her earlier
record; and two records of one woman are merged from her case, through the merge page's confirmation. Every page is
checked with axe-core."""

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


def fill_date(page: Page, name: str, day: date) -> None:
    for part, value in (("day", day.day), ("month", day.month), ("year", day.year)):
        page.fill(f"#{name}-{part}", str(value))


def fill_referral(page: Page, given: str, family: str, born: date, *, court: bool = False) -> None:
    rng = random.SystemRandom()
    today = datetime.now(LONDON).date()
    page.goto("/cases/new")
    if not court:
        page.select_option("#court", e2e_server.COURTS[0][0])
    page.fill("#urn", f"01/pm/{rng.randrange(10_000, 100_000)}/26")
    page.select_option("#offence", "SOA1959_S1")
    # Six weeks and three days on: a day no other browser test lists.
    fill_date(page, "return_date", today + timedelta(weeks=6, days=3))
    page.fill("#given_name", given)
    page.fill("#family_name", family)
    fill_date(page, "date_of_birth", born)
    page.get_by_role("button", name="Save referral").click()


def _tag() -> str:
    rng = random.SystemRandom()
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(6)).capitalize()


def test_a_court_referral_of_someone_referred_before_is_linked_from_the_worklist(role_pages: dict[str, Page]) -> None:
    worker, court = role_pages["worker"], role_pages["court"]
    reports: list[PageReport] = []

    def check(tab: Page, who: str, state: str) -> None:
        reports.append(inspect(tab, who, state))

    family = f"Earlier{_tag()}"
    born = date(datetime.now(LONDON).year - 29, 3, 8)
    fill_referral(worker, "Nia", family, born)
    expect(worker.locator("h1")).to_have_text("Consent")
    earlier_case = urlparse(worker.url).path.removesuffix("/consent")

    # The court refers her again: saved, and the court is told nothing about her earlier referral.
    fill_referral(court, "Nia", family, born, court=True)
    expect(court.locator(".govuk-notification-banner--success")).to_contain_text("Referral saved.")
    expect(court.get_by_text("referred before")).to_have_count(0)

    worker.goto("/cases")
    worker.get_by_role("link", name="Referrals that may be someone referred before").click()
    expect(worker.locator("h1")).to_have_text("Referrals that may be someone referred before")
    section = worker.locator("form", has_text=f"Is Nia {family}")
    expect(section).to_have_count(1)
    expect(worker.locator("caption", has_text=f"Earlier record: Nia {family}")).to_have_count(1)
    check(worker, "worker", "worklist")
    section.get_by_role("button", name="Save the decision").click()
    expect_error_summary(worker, "Choose whether she is one of these women")
    check(worker, "worker", "worklist sent without a decision")
    section = worker.locator("form", has_text=f"Is Nia {family}")
    section.get_by_label(f"Nia {family}, referred 1 time").check()
    section.get_by_role("button", name="Save the decision").click()
    expect(worker.locator(".govuk-notification-banner--success")).to_contain_text(
        "the referral is now on her earlier record"
    )
    expect(worker.locator("form", has_text=f"Is Nia {family}")).to_have_count(0)
    check(worker, "worker", "worklist after a decision")

    # Her earlier case now lists the court's referral among her other referrals.
    worker.goto(earlier_case)
    expect(worker.locator("caption", has_text="Her other referrals")).to_have_count(1)
    assert_clean(reports, "the worklist of possible earlier referrals")


def test_two_records_of_one_woman_are_merged_from_her_case(role_pages: dict[str, Page]) -> None:
    worker = role_pages["worker"]
    reports: list[PageReport] = []

    def check(state: str) -> None:
        reports.append(inspect(worker, "worker", state))

    family = f"Twice{_tag()}"
    born = date(datetime.now(LONDON).year - 41, 10, 2)
    fill_referral(worker, "Lee", family, born)
    expect(worker.locator("h1")).to_have_text("Consent")
    # The second referral asks whether she is the woman referred before; the worker says she is someone else.
    fill_referral(worker, "Lee", family, born)
    expect_error_summary(worker, "Choose whether she is someone referred before")
    worker.get_by_label("A different person").check()
    worker.get_by_role("button", name="Save referral").click()
    expect(worker.locator("h1")).to_have_text("Consent")
    second_case = urlparse(worker.url).path.removesuffix("/consent")

    # Later it turns out they are the same woman: merged from her case.
    worker.goto(second_case)
    worker.get_by_role("link", name="She has another record: merge her records").click()
    expect(worker.locator("h1")).to_have_text("Merge her records")
    check("merge page")
    worker.get_by_role("button", name="Continue").click()
    expect_error_summary(worker, "Enter why these are the same woman")
    check("merge page sent empty")
    worker.get_by_label(f"Lee {family}, born").check()
    worker.get_by_label("This case's record").check()
    worker.get_by_label("Why are these the same woman?").fill("She confirmed both referrals were hers")
    worker.get_by_role("button", name="Continue").click()
    expect(worker.locator("h1")).to_have_text("Check before you merge her records")
    expect(worker.locator(".govuk-warning-text")).to_contain_text("cannot be undone")
    check("merge asked to confirm")
    worker.get_by_role("button", name="Merge her records").click()
    expect(worker.locator(".govuk-notification-banner--success")).to_contain_text(
        "Her records have been merged into one."
    )
    expect(worker.locator("caption", has_text="Her other referrals")).to_have_count(1)
    check("merged")
    assert_clean(reports, "merging two records of one woman")

"""A dropped connection never makes a second record, in a real browser (docs/idempotency.md): the new-referral form
is sent, the server saves it but the answer never reaches the browser, and Save is pressed again on the same page.
The second send carries the same one-time key, so it lands on the case the first one made, says "This was already
saved." and makes nothing more. Each page is checked with axe-core."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, Route, expect

from diversion.dates import bank_holidays
from tests.e2e import server as e2e_server
from tests.e2e.checks import PageReport, assert_clean, inspect

pytestmark = pytest.mark.e2e

LONDON = ZoneInfo("Europe/London")


def fill_date(page: Page, name: str, day: date) -> None:
    for part, value in (("day", day.day), ("month", day.month), ("year", day.year)):
        page.fill(f"#{name}-{part}", str(value))


def working_day_after(day: date, days: int) -> date:
    later = day + timedelta(days=days)
    while later.weekday() >= 5 or later in bank_holidays():
        later += timedelta(days=1)
    return later


def test_a_referral_sent_twice_with_one_key_makes_one_case(role_pages: dict[str, Page]) -> None:
    reports: list[PageReport] = []
    page = role_pages["worker"]
    today = datetime.now(LONDON).date()
    rng = random.SystemRandom()
    urn = f"01/ok/{rng.randrange(10_000, 100_000)}/26"

    page.goto("/cases/new")
    key = page.locator("input[name=one_time_key]").get_attribute("value")
    assert key, "the form carries a one-time key"
    page.select_option("#court", e2e_server.COURTS[0][0])
    page.fill("#urn", urn)
    page.select_option("#offence", "SOA1959_S1")
    fill_date(page, "return_date", working_day_after(today, 22))
    page.fill("#given_name", "Ola")
    page.fill("#family_name", "Once-" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(6)))
    fill_date(page, "date_of_birth", date(1990, 6, 12))
    reports.append(inspect(page, "worker", "new referral with its one-time key"))

    # The first send reaches the server, which saves the case; its answer is lost on the way back, so the page she
    # sees is still the form with everything she typed.
    sent: list[str | None] = []
    held: list[Route] = []

    def lose_the_first_answer(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        sent.append(route.request.post_data)
        if len(sent) == 1:
            answer = route.fetch(max_redirects=0)
            assert answer.status == 302, answer.status
            held.append(route)  # never answered: the connection dropped
            return
        route.continue_()

    page.route("**/cases/new", lose_the_first_answer)
    try:
        save = page.get_by_role("button", name="Save referral")
        save.focus()
        page.keyboard.press("Enter")
        page.wait_for_timeout(1000)
        assert len(sent) == 1, "the first send reached the server"
        # Nothing came back, and the form is still on her screen: she presses Save again.
        page.keyboard.press("Enter")
        expect(page.locator("h1")).to_have_text("Consent")
    finally:
        page.unroute("**/cases/new")
    assert len(sent) == 2
    assert all(f"one_time_key={key}" in (data or "") for data in sent), "both sends carry the same key"
    # The first send's own "Referral saved." waits in her session too: both are true.
    expect(page.locator(".govuk-notification-banner--success", has_text="This was already saved.")).to_have_count(1)
    reports.append(inspect(page, "worker", "the case the first send made"))
    case = urlparse(page.url).path.removesuffix("/consent")
    assert case.startswith("/cases/")

    # One case with that URN, not two.
    page.goto("/cases?tab=open")
    page.locator("#urn").fill(urn)
    page.get_by_role("button", name="Search").click()
    expect(page.locator("table caption")).to_have_text("Search results: 1 case")
    assert_clean(reports, "one-time keys")

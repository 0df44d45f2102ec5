"""Her language and an interpreter in a real browser (docs/languages.md): a support worker refers a woman who speaks
Romanian and needs an interpreter, records her consent, changes her language page (sent once with a mistake), and
books her first appointment: the booking page and her appointments list say "Book an interpreter: Romanian". Every
page visited, and the language page in its error state, is checked with axe-core."""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import server as e2e_server
from tests.e2e.checks import PageReport, assert_clean, expect_error_summary, inspect

pytestmark = pytest.mark.e2e

LONDON = ZoneInfo("Europe/London")
PROMPT = "Book an interpreter: Romanian"
ROMANIAN = "Romanian; Moldavian; Moldovan"


def fill_date(page: Page, name: str, day) -> None:
    page.fill(f"#{name}-day", str(day.day))
    page.fill(f"#{name}-month", str(day.month))
    page.fill(f"#{name}-year", str(day.year))


def test_a_worker_books_for_a_woman_who_needs_a_romanian_interpreter(role_pages: dict[str, Page]) -> None:
    page = role_pages["worker"]
    reports: list[PageReport] = []

    def check(state: str = "page") -> None:
        reports.append(inspect(page, "worker", state))

    today = datetime.now(LONDON).date()
    rng = random.SystemRandom()
    family_name = "Lang-" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(6))

    # The referral: her language and her interpreter asked with her details.
    page.goto("/cases/new")
    expect(page.locator("h1")).to_have_text("New referral")
    check()
    page.select_option("#court", label=e2e_server.COURTS[0][1])
    page.fill("#urn", f"01/ab/{rng.randrange(10_000, 100_000)}/26")
    page.select_option("#offence", "SOA1959_S1")
    fill_date(page, "return_date", today + timedelta(weeks=3))
    page.fill("#given_name", "Ioana")
    page.fill("#family_name", family_name)
    fill_date(page, "date_of_birth", today.replace(year=today.year - 31, day=9))
    page.select_option("#language", "ro")
    page.check("input[name=interpreter_needed][value=yes]")
    page.get_by_role("button", name="Save referral").click()

    expect(page.locator("h1")).to_have_text("Consent")
    case_id = re.search(r"/cases/([0-9a-f-]{36})/consent", page.url)[1]
    for purpose in ("support", "share_with_court_cps", "reminders", "equality_monitoring"):
        page.check(f"input[name={purpose}][value=given]")
    page.get_by_role("button", name="Record her decisions").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("She has opted in to diversion.")

    # The overview says what was recorded, and leads to her language page.
    page.goto(f"/cases/{case_id}")
    expect(page.locator("main")).to_contain_text(f"Needed: {ROMANIAN}")
    check()
    page.get_by_role("link", name="Change her language and reading needs").click()
    expect(page.locator("h1")).to_have_text("Her language and reading")
    expect(page.locator("#language")).to_have_value("ro")
    check()

    # Sent with English as her language and an interpreter in "her preferred language": which language is asked.
    page.select_option("#language", "en")
    page.select_option("#interpreter_language", "")
    page.fill("#reading_help", "Read letters aloud with her.")
    page.get_by_role("button", name="Save").click()
    expect_error_summary(page, "Select the language she needs an interpreter for")
    expect(page.locator("#interpreter_language-error")).to_be_visible()
    expect(page.locator("#reading_help")).to_have_value("Read letters aloud with her.")
    check("sent without the interpreter's language")
    page.select_option("#interpreter_language", "ro")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Her language and reading needs")
    expect(page.locator("main")).to_contain_text("Read letters aloud with her.")

    # Booking: the prompt on the booking page and on her appointments list once booked.
    page.goto(f"/cases/{case_id}/appointments/new?number=1")
    expect(page.locator("h1")).to_have_text("Book appointment 1")
    expect(page.locator(".app-interpreter-prompt")).to_contain_text(PROMPT)
    check()
    fill_date(page, "day", today + timedelta(days=7))
    page.fill("#time", "10:30")
    page.fill("#location", "Drop-in centre")
    page.get_by_role("button", name="Book appointment").click()
    expect(page.locator("h1")).to_have_text("Appointments")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("booked")
    expect(page.locator(".app-interpreter-prompt")).to_contain_text(PROMPT)
    check("appointment 1 booked")

    assert_clean(reports, "her language and an interpreter's booking")

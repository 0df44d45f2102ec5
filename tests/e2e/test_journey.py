"""The whole journey of a case as a support worker, with the keyboard alone: referral, consent, appointment 1
attended, needs assessment, appointment 2 attended, Care Action Plan agreed, and the case completed.

Focus moves only with Tab and Shift+Tab (tests/e2e/keyboard.py), so every control used is shown to be reachable by
keyboard, in the page's order, and operable with it. Each page reached is checked as shown, and each form once sent
with a mistake, with axe-core and the shape and branding checks.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from diversion.assessments.models import Domain
from tests.e2e import server as e2e_server
from tests.e2e.checks import PageReport, all_findings, inspect
from tests.e2e.crawl import shape_of
from tests.e2e.keyboard import (
    choose_option,
    choose_radio,
    follow,
    press_to_navigate,
    send,
    tab_to,
    tick,
    type_date,
    type_into,
)
from tests.e2e.signing_in import ENROL_PATH, shown_secret

pytestmark = pytest.mark.e2e

LONDON = ZoneInfo("Europe/London")
STEP_TIMEOUT_MS = 10_000
WHO = "worker"
OFFENCE = "Loitering or soliciting for prostitution (Street Offences Act 1959, s.1)"
DOMAINS = tuple(domain.value for domain in Domain)  # in the order the assessment page asks them
NEED_LABELS = ("0: No need", "1: Low need", "2: Medium need", "3: High need")
INDICATOR = "Someone else controls her money or documents"
WARNING_ERROR = "Give a reason to book it anyway, or choose another time"
AGREES, DOES_NOT_AGREE = "She agrees", "She does not agree, or withdraws her agreement"
# Each form of the journey, by the path it is shown and sent at: checked as shown and in an error state.
FORMS = (
    "/cases/new",
    "/cases/{id}/consent",
    "/cases/{id}/appointments/new",
    "/appointments/{id}/outcome",
    "/cases/{id}/assessment/edit",
    "/cases/{id}/plan/edit",
)

Check = Callable[[str], None]


@dataclass(frozen=True)
class Times:
    """When the two appointments were (both have passed), and a time that clashes with the first."""

    day: date
    first: time
    clashing: time
    second: time


def appointment_times(now: datetime) -> Times:
    """Earlier today in London when there is room before now (clear of a clock change at 1am), else yesterday."""
    if now.hour >= 5:
        first = (now - timedelta(hours=3)).replace(minute=now.minute // 5 * 5, second=0, microsecond=0)
        return Times(
            now.date(), first.time(), (first + timedelta(minutes=30)).time(), (first + timedelta(minutes=90)).time()
        )
    return Times(now.date() - timedelta(days=1), time(10, 0), time(10, 30), time(11, 30))


@pytest.fixture
def keyboard_tab(browser: Browser, server) -> Iterator[Page]:
    """A tab of its own, for the worker nobody else signs in as."""
    context = browser.new_context(base_url=server.url)
    context.set_default_timeout(STEP_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def sign_in_with_keyboard(page: Page, email: str) -> None:
    """A first sign-in, setting up the authenticator, from the sign-in page to the home page."""
    page.goto("/sign-in")
    type_into(page, "#email", email)
    type_into(page, "#password", e2e_server.PASSWORD)
    # Enter in the password field sends the form.
    press_to_navigate(page)
    expect(page).to_have_url(re.compile(f"{ENROL_PATH}$"))
    type_into(page, "#code", pyotp.TOTP(shown_secret(page)).now())
    press_to_navigate(page)
    expect(page.locator("h1")).to_have_text("Save your recovery codes")
    follow(page, "Continue")
    expect(page).to_have_url(re.compile("/home$"))


def expect_error_summary(page: Page, *messages: str) -> None:
    """The error summary is shown with the focus (a screen reader reads it first) and names each message."""
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Error: "))
    for message in messages:
        expect(summary).to_contain_text(message)


def expect_saved(page: Page, message: str) -> None:
    """The success banner says what was saved."""
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(message)


def expect_status(page: Page, label: str) -> None:
    """The case's status tag reads ``label``."""
    expect(page.locator(".app-case-status .govuk-tag").first).to_have_text(label)


def warning_shown(page: Page) -> str:
    """The booking page's warning (weekend, bank holiday, clash), or an empty string."""
    warning = page.locator(".govuk-warning-text")
    return warning.inner_text() if warning.count() else ""


def book(page: Page, check: Check, day: date, at: time, *, clash: time | None = None) -> None:
    """Fill in the booking form (its date is today's until changed) and book through the warnings: a clash is
    mended by changing the time, a weekend or a bank holiday is booked anyway with a reason."""
    if day != datetime.now(LONDON).date():
        type_date(page, "day", day.day, day.month, day.year)
    type_into(page, "#time", f"{clash or at:%H:%M}")
    type_into(page, "#location", "Drop-in centre")
    send(page, "Book appointment")
    if clash is not None:
        expect_error_summary(page, WARNING_ERROR)
        assert "The worker already has an appointment at that time." in warning_shown(page)
        check("clash warning")
        type_into(page, "#time", f"{at:%H:%M}")
    elif warning_shown(page):
        expect_error_summary(page, WARNING_ERROR)
        check("weekend or bank holiday warning")
    if "weekend" in warning_shown(page) or "bank holiday" in warning_shown(page):
        type_into(page, "#override_reason", "She came that day")
    if warning_shown(page):
        send(page, "Book appointment")
    expect(page.locator("h1")).to_have_text("Appointments")
    expect_saved(page, "booked")


def record_attended(page: Page, check: Check, number: int, *, send_empty: bool) -> None:
    """From the case's next step, record that she attended (having sent the form empty first, if asked)."""
    follow(page, f"record what happened at appointment {number}", backwards=True)
    expect(page.locator("h1")).to_have_text(f"What happened at appointment {number}")
    check("page")
    if send_empty:
        send(page, "Save")
        expect_error_summary(page, "Select what happened")
        check("sent empty")
    choose_radio(page, "outcome", "Attended")
    send(page, "Save")
    expect(page.locator("h1")).to_have_text("Overview")
    expect_saved(page, f"Appointment {number}: attended.")
    check(f"appointment {number} attended")


def test_a_worker_takes_a_case_from_referral_to_completed_with_the_keyboard_alone(keyboard_tab: Page) -> None:
    page = keyboard_tab
    reports: list[PageReport] = []

    def check(state: str = "page") -> None:
        reports.append(inspect(page, WHO, state))

    now = datetime.now(LONDON)
    today = now.date()
    times = appointment_times(now)
    rng = random.SystemRandom()
    digits = rng.randrange(10_000, 100_000)
    family_name = "Keys-" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(6))
    return_date = today + timedelta(weeks=3)
    adult = date(today.year - 30, 3, 14)
    seventeen = today - timedelta(days=17 * 365 + 180)

    sign_in_with_keyboard(page, e2e_server.KEYBOARD_EMAIL)
    check()

    # The referral, from the service navigation; sent first with a date of birth that makes her 17.
    tab_to(page, ".govuk-service-navigation a[href='/cases/new']")
    press_to_navigate(page)
    expect(page.locator("h1")).to_have_text("New referral")
    check()
    choose_option(page, "#court", e2e_server.COURTS[0][1], typed="Ashford")
    type_into(page, "#urn", f"01/ab/{digits}/26")
    choose_option(page, "#offence", OFFENCE, typed="Loitering")
    for part, value in (("day", today.day), ("month", today.month), ("year", today.year)):
        # The first hearing is today, as the page fills in.
        expect(page.locator(f"#first_hearing_date-{part}")).to_have_value(str(value))
    type_date(page, "return_date", return_date.day, return_date.month, return_date.year)
    type_into(page, "#given_name", "Dana")
    type_into(page, "#family_name", family_name)
    type_date(page, "date_of_birth", seventeen.day, seventeen.month, seventeen.year)
    type_into(page, "#phone", f"07700 1{rng.randrange(10_000, 100_000)}")
    choose_radio(page, "may_text", "Yes")
    choose_radio(page, "may_voicemail", "No")
    # Her quiet hours with the end left out: said beside her age, and put right with it.
    type_into(page, "#quiet_from", "20:00")
    type_into(page, "#contact_note", "Not after 8pm")
    send(page, "Save referral")

    expect_error_summary(
        page, "She is under 18 on the referral date", "Enter when her quiet hours end, or clear both times"
    )
    expect(page.locator("#date_of_birth-error")).to_contain_text("safeguarding referral")
    expect(page.locator("#quiet_to-error")).to_contain_text("Enter when her quiet hours end")
    expect(page.locator("#quiet_from")).to_have_value("20:00")
    check("sent with her under 18")
    tab_to(page, ".govuk-error-summary a[href='#date_of_birth-day']")
    page.keyboard.press("Enter")
    expect(page.locator("#date_of_birth-day")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type(str(adult.day))
    type_into(page, "#date_of_birth-month", str(adult.month))
    type_into(page, "#date_of_birth-year", str(adult.year))
    type_into(page, "#quiet_to", "08:00")
    send(page, "Save referral")

    # Consent: the four purposes on one page, sent empty first. Then "does not agree" to sharing by mistake: the
    # confirmation says she would be declined, and going back keeps her answers to put the one right.
    expect(page.locator("h1")).to_have_text("Consent")
    expect_saved(page, "Referral saved.")
    expect(page.locator(".app-identity-bar")).to_contain_text(f"Dana {family_name}")
    expect(page.locator(".app-identity-bar")).to_contain_text(f"URN 01/AB/{digits}/26")
    expect_status(page, "Referred")
    check()
    send(page, "Record her decisions")
    expect_error_summary(
        page,
        "Select whether she agrees to support from the diversion scheme",
        "Select whether she agrees to equality monitoring",
    )
    check("sent empty")
    for purpose, answer in (
        ("support", AGREES),
        ("share_with_court_cps", DOES_NOT_AGREE),
        ("reminders", AGREES),
        ("equality_monitoring", DOES_NOT_AGREE),
    ):
        choose_radio(page, purpose, answer)
    send(page, "Record her decisions")
    expect(page.locator("h1")).to_have_text("Check her decisions before you record them")
    expect(page.locator(".govuk-warning-text")).to_contain_text("She will decline diversion.")
    expect_status(page, "Referred")
    check("asked to confirm")
    send(page, "Change her decisions")
    expect(page.locator("h1")).to_have_text("Consent")
    expect(page.locator("input[name=share_with_court_cps][value=refused]")).to_be_checked()
    expect(page.locator("input[name=reminders][value=given]")).to_be_checked()
    choose_radio(page, "share_with_court_cps", AGREES)
    send(page, "Record her decisions")
    expect_saved(page, "She has opted in to diversion.")
    expect_status(page, "Opted in")
    check("support and sharing agreed")

    # Appointment 1, at a time that has passed; sent without a time first.
    follow(page, "book appointment 1", backwards=True)
    expect(page.locator("h1")).to_have_text("Book appointment 1")
    check()
    send(page, "Book appointment")
    expect_error_summary(page, "Enter the time")
    check("sent without a time")
    book(page, check, times.day, times.first)
    check("appointment 1 booked")
    record_attended(page, check, 1, send_empty=True)

    # The needs assessment, sent empty first; then every domain, and a sign of exploitation.
    follow(page, "record the needs assessment", backwards=True)
    expect(page.locator("h1")).to_have_text("Record the needs assessment")
    check()
    send(page, "Save assessment")
    expect_error_summary(page, "Select the need level for accommodation", "Give a wellbeing score from 1 to 10")
    check("sent empty")
    for position, domain in enumerate(DOMAINS):
        choose_radio(page, f"{domain}_need", NEED_LABELS[position % 4])
        choose_option(page, f"#{domain}_score", str(position % 10 + 1))
    type_into(page, "#accommodation_notes", "Sofa-surfing")
    tick(page, INDICATOR)
    send(page, "Save assessment")
    expect_saved(page, "Assessment saved.")
    expect_status(page, "Assessed")
    expect(page.locator(".app-case-status")).to_contain_text("Safeguarding")
    check()

    # Appointment 2, after appointment 1: tried first at a time that clashes with it, which the page warns of.
    follow(page, "book appointment 2", backwards=True)
    expect(page.locator("h1")).to_have_text("Book appointment 2")
    check()
    book(page, check, times.day, times.second, clash=times.clashing)
    check("appointment 2 booked")
    record_attended(page, check, 2, send_empty=False)

    # The Care Action Plan: her agreement ticked before any goal is written, which the page refuses, keeping the
    # tick; then one goal with one action, sent with Enter from the action's due date.
    follow(page, "agree the Care Action Plan", backwards=True)
    expect(page.locator("h1")).to_have_text("Make the Care Action Plan with her")
    check()
    tick(page, "She agrees to this plan")
    send(page, "Save plan")
    expect_error_summary(page, "Add at least one goal before recording her agreement")
    expect(page.locator("input[name=agreed]")).to_be_checked()
    check("agreed with no goal")
    tab_to(page, ".govuk-error-summary a[href='#goal0_text']")
    page.keyboard.press("Enter")
    expect(page.locator("#goal0_text")).to_be_focused()
    page.keyboard.type("A safe home")
    choose_option(page, "#goal0_domain", "Accommodation", backwards=True)
    type_into(page, "#goal0_action0_text", "Housing options")
    due = today + timedelta(weeks=1)
    type_date(page, "goal0_action0_due", due.day, due.month, due.year)
    press_to_navigate(page)

    # The save that completes her case is checked first, saying what will happen.
    expect(page.locator("h1")).to_have_text("Check before you complete her case")
    expect(page.locator(".govuk-warning-text")).to_contain_text("The CPS will be sent the outcome notice")
    expect_status(page, "Assessed")
    check("asked to confirm")
    send(page, "Save the plan and complete her case")
    expect_saved(page, "Case completed. The CPS has been sent the outcome notice.")
    expect_status(page, "Completed")
    check()
    follow(page, "Overview", backwards=True)
    expect_status(page, "Completed")
    expect(page.locator(".app-case-status")).to_contain_text(f"Outcome date {today.day} {today:%B %Y}")
    check("completed")

    states: dict[str, set[str]] = defaultdict(set)
    for report in reports:
        states[shape_of(report.path).split("?")[0]].add(report.state)
    for form in FORMS:
        assert "page" in states[form], f"{form} was not checked as shown"
        assert len(states[form]) > 1, f"{form} was not checked in an error state"
    problems = all_findings(reports)
    assert not problems, f"{len(problems)} problems on the pages of the journey:\n" + "\n".join(problems)

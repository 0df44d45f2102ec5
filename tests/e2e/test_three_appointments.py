"""A three-appointment scheme completes a case only after its third appointment, in the browser.

On a server of its own (tests/e2e/server.py, ``--world three-appointments``: a second organisation, so the suite's
shared server keeps one organisation with one scheme), the worker of an Engagement and Support Order (the
assessment at appointment 1, attendance at 2, the Care Action Plan at 3) takes her opted-in case through:
appointment 1 attended and the needs assessment, appointment 2 attended, the plan made with her but her agreement
refused until appointment 3 is attended, the case still assessed and saying what remains (appointment 3), then
appointment 3 attended, the plan agreed and the case completed. Every new page state is checked with axe and the
shape and branding checks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from diversion.assessments.models import Domain
from tests.conftest import DatabaseFactory
from tests.e2e import server as e2e_server
from tests.e2e.checks import PageReport, assert_clean, expect_error_summary, inspect
from tests.e2e.conftest import serving
from tests.e2e.signing_in import ENROL_PATH, confirm_enrolment, leave_recovery_codes, submit_password

pytestmark = pytest.mark.e2e

LONDON = ZoneInfo("Europe/London")
STEP_TIMEOUT_MS = 10_000
WHO = "eso worker"
# The needs assessment's domains, in the order the form shows them.
DOMAINS = tuple(domain.value for domain in Domain)
AGREE_AT_THREE = "Record that she attended appointment 3 before recording her agreement"


def appointment_times(now: datetime) -> tuple[date, list[time]]:
    """Three times an hour apart that have all passed: earlier today in London when there is room before now (clear
    of a clock change at 1am), else yesterday's morning."""
    if now.hour >= 5:
        first = (now - timedelta(hours=3, minutes=30)).replace(minute=now.minute // 5 * 5, second=0, microsecond=0)
        return now.date(), [(first + timedelta(hours=hours)).time() for hours in range(3)]
    return now.date() - timedelta(days=1), [time(9, 0), time(10, 0), time(11, 0)]


@pytest.fixture(scope="module")
def eso_server(
    databases: DatabaseFactory, master_keys: str, tmp_path_factory: pytest.TempPathFactory, server_clock: str
) -> Iterator[str]:
    """The app on a free port, on the suite's clock, with the three-appointment seed alone; stopped after."""
    instance = tmp_path_factory.mktemp("e2e-eso-instance")
    with serving(databases, master_keys, instance, server_clock, world="three-appointments") as (url, _seeded):
        yield url


@pytest.fixture
def eso_tab(browser: Browser, eso_server: str) -> Iterator[Page]:
    """A tab on the three-appointment server."""
    context = browser.new_context(base_url=eso_server)
    context.set_default_timeout(STEP_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def expect_saved(page: Page, message: str) -> None:
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(message)


def expect_status(page: Page, label: str) -> None:
    expect(page.locator(".app-case-status .govuk-tag").first).to_have_text(label)


def expect_still_to_do(page: Page, remaining: str) -> None:
    """The case page says it completes after three appointments, and what remains."""
    expect(page.locator(".app-next-action .app-still-to-do")).to_have_text(
        f"The case completes after 3 appointments. Still to do: {remaining}."
    )


def book(page: Page, day: date, at: time) -> None:
    """From the booking form (its date today's until changed): her organisation's venue and the time, booked through
    a weekend or bank holiday warning with a reason."""
    if day != datetime.now(LONDON).date():
        for part, value in (("day", day.day), ("month", day.month), ("year", day.year)):
            page.locator(f"#day-{part}").fill(str(value))
    page.locator("#time").fill(f"{at:%H:%M}")
    venue = page.locator("#venue option", has_text=e2e_server.ESO_VENUE).get_attribute("value")
    page.locator("#venue").select_option(venue)
    page.get_by_role("button", name="Book appointment").click()
    if page.locator(".govuk-warning-text").count():
        page.locator("#override_reason").fill("She came that day")
        page.get_by_role("button", name="Book appointment").click()
    expect(page.locator("h1")).to_have_text("Appointments")
    expect_saved(page, "booked")


def book_and_attend(page: Page, number: int, day: date, at: time, check) -> None:
    """Book appointment ``number`` from the case's next step, and record that she attended it."""
    page.locator(".app-next-action").get_by_role("link", name=f"book appointment {number}").click()
    expect(page.locator("h1")).to_have_text(f"Book appointment {number}")
    check()
    book(page, day, at)
    check(f"appointment {number} booked")
    page.locator(".app-next-action").get_by_role("link", name=f"record what happened at appointment {number}").click()
    expect(page.locator("h1")).to_have_text(f"What happened at appointment {number}")
    check()
    page.get_by_label("Attended", exact=True).check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("h1")).to_have_text("Overview")
    expect_saved(page, f"Appointment {number}: attended.")


def fill_plan(page: Page, *, agreed: bool) -> None:
    """One goal with one action, and her agreement ticked or not."""
    page.locator("#goal0_domain").select_option(label="Accommodation")
    page.locator("#goal0_text").fill("A safe home")
    page.locator("#goal0_action0_text").fill("Housing options appointment")
    agreement = page.locator("input[name=agreed]")
    if agreed:
        agreement.check()
    else:
        agreement.uncheck()


def test_a_three_appointment_case_completes_only_after_its_third_appointment(eso_tab: Page) -> None:
    page = eso_tab
    reports: list[PageReport] = []

    def check(state: str = "page") -> None:
        reports.append(inspect(page, WHO, state))

    day, (first, second, third) = appointment_times(datetime.now(LONDON))

    submit_password(page, e2e_server.ESO_EMAIL, e2e_server.PASSWORD)
    expect(page).to_have_url(re.compile(f"{ENROL_PATH}$"))
    confirm_enrolment(page)
    leave_recovery_codes(page)

    # Her caseload holds the one case of the scheme: opted in, three appointments to go.
    page.goto("/cases")
    page.get_by_role("link", name=e2e_server.ESO_CLIENT).click()
    expect(page.locator("h1")).to_have_text("Overview")
    expect_status(page, "Opted in")
    expect_still_to_do(
        page, "appointment 1 and the needs assessment; appointment 2; appointment 3 and the Care Action Plan"
    )
    check("opted in")

    # Appointment 1 and the needs assessment.
    book_and_attend(page, 1, day, first, check)
    check("appointment 1 attended")
    page.locator(".app-next-action").get_by_role("link", name="record the needs assessment").click()
    expect(page.locator("h1")).to_have_text("Record the needs assessment")
    for position, domain in enumerate(DOMAINS):
        page.locator(f"input[name={domain}_need][value='{position % 4}']").check()
        page.locator(f"#{domain}_score").select_option(str(position % 10 + 1))
    page.get_by_role("button", name="Save assessment", exact=True).click()
    expect_saved(page, "Assessment saved.")
    expect_status(page, "Assessed")
    page.get_by_role("link", name="Overview").click()
    expect_still_to_do(page, "appointment 2; appointment 3 and the Care Action Plan")
    check("assessed")

    # Appointment 2: attended, and the case is still assessed, with appointment 3 and the plan to come.
    book_and_attend(page, 2, day, second, check)
    expect_status(page, "Assessed")
    expect(page.locator(".app-next-action")).to_contain_text("book appointment 3")
    expect_still_to_do(page, "appointment 3 and the Care Action Plan")
    check("appointment 2 attended")

    # The plan is made with her now, but her agreement is recorded at appointment 3, which produces it.
    page.get_by_role("link", name="Plan", exact=True).click()
    expect(page.locator("main")).to_contain_text("No plan yet. It is agreed with her at appointment 3 of 3.")
    check("no plan yet")
    page.get_by_role("link", name="Make the plan").click()
    expect(page.locator("h1")).to_have_text("Make the Care Action Plan with her")
    fill_plan(page, agreed=True)
    page.get_by_role("button", name="Save plan", exact=True).click()
    expect_error_summary(page, AGREE_AT_THREE)
    expect_status(page, "Assessed")
    check("agreed before appointment 3")
    fill_plan(page, agreed=False)
    page.get_by_role("button", name="Save plan", exact=True).click()
    expect_saved(page, "Care Action Plan saved.")
    expect_status(page, "Assessed")
    check("plan saved, not agreed")
    page.get_by_role("link", name="Overview").click()
    expect_status(page, "Assessed")
    expect_still_to_do(page, "appointment 3 and the Care Action Plan")

    # Appointment 3 attended: only her agreement remains, and with it the case completes.
    book_and_attend(page, 3, day, third, check)
    expect_status(page, "Assessed")
    expect_still_to_do(page, "the Care Action Plan")
    check("appointment 3 attended")
    page.locator(".app-next-action").get_by_role("link", name="agree the Care Action Plan").click()
    expect(page.locator("h1")).to_have_text("Make the Care Action Plan with her")
    page.locator("input[name=agreed]").check()
    page.get_by_role("button", name="Save plan", exact=True).click()
    expect(page.locator("h1")).to_have_text("Check before you complete her case")
    check("asked to confirm")
    page.get_by_role("button", name="Save the plan and complete her case").click()
    expect_saved(page, "Case completed. The CPS has been sent the outcome notice.")
    expect_status(page, "Completed")
    page.get_by_role("link", name="Appointments", exact=True).click()
    expect(page.locator("h1")).to_have_text("Appointments")
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(3)
    for number in range(3):
        expect(rows.nth(number).locator("td").first).to_have_text(str(number + 1))
    expect(page.get_by_role("link", name=re.compile("^Book appointment"))).to_have_count(0)
    check("completed")

    assert_clean(reports, "the pages of the three-appointment journey")

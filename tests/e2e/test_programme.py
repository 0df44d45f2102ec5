"""A manager changes a scheme's programme in a real browser (docs/organisations.md, "Programmes"): the list of her
schemes, a scheme's programme and its versions, the form sent with a mistake (an error summary) and then right (a new
version, with a new consent wording), and a save from a page shown before her own save in another tab (409, both
side by side, then saved with her choices). Each state is checked with axe-core. The scheme changed serves no court
and holds no case, so no other test's cases follow its programme."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.checks import PageReport, assert_clean, expect_error_summary, inspect
from tests.e2e.server import PILOT_SCHEME

pytestmark = pytest.mark.e2e

EQUALITY = (
    "I agree that my ethnic group may be recorded and counted, without my name, in reports on who the scheme reaches. "
    "Saying no changes nothing about my support or my case."
)


def test_a_manager_changes_a_schemes_programme(role_pages: dict[str, Page]) -> None:
    reports: list[PageReport] = []
    page = role_pages["manager"]
    page.goto("/home")
    page.locator(".govuk-service-navigation").get_by_role("link", name="Programmes").click()
    expect(page.locator("h1")).to_have_text("Programmes")
    expect(page.locator("table")).to_contain_text(PILOT_SCHEME)
    reports.append(inspect(page, "manager", "programmes"))

    page.get_by_role("link", name=PILOT_SCHEME).click()
    expect(page.locator("h1")).to_have_text("Programme: version 1")
    expect(page.locator("#programme-settings")).to_contain_text("6 years after her last case ends")
    reports.append(inspect(page, "manager", "a scheme's programme"))

    page.get_by_role("link", name="Change the programme").click()
    expect(page.locator("#appointments")).to_have_value("2")
    reports.append(inspect(page, "manager", "the programme form"))

    # A third appointment without saying what it produces, and no retention period: refused, nothing saved.
    page.locator("#appointments").fill("3")
    page.locator("#retention_years").fill("0")
    page.get_by_role("button", name="Save the programme").click()
    expect_error_summary(
        page, "Choose what appointment 3 produces", "Enter the retention period, a whole number of years from 1 to 25"
    )
    reports.append(inspect(page, "manager", "the programme form with mistakes"))

    page.select_option("#step_2", "attendance")
    page.select_option("#step_3", "care_plan")
    page.locator("#retention_years").fill("8")
    page.locator("#reminder_lead_times").fill("2d@18:00, 2h")
    page.locator("#wording_equality_monitoring").fill(EQUALITY)
    page.get_by_role("button", name="Save the programme").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Version 2 of the programme is saved")
    expect(page.locator("h1")).to_have_text("Programme: version 2")
    settings = page.locator("#programme-settings")
    expect(settings).to_contain_text("8 years after her last case ends")
    expect(settings).to_contain_text("2 days before at 6pm; 2 hours before")
    expect(page.locator("#programme-wordings")).to_contain_text(EQUALITY)
    expect(page.locator("table tbody tr")).to_have_count(2)
    reports.append(inspect(page, "manager", "a new programme version saved"))

    # She opens the form, then saves a change from another tab: the first tab's page is now stale.
    page.get_by_role("link", name="Change the programme").click()
    other = page.context.new_page()
    try:
        other.goto(page.url)
        other.locator("#at_risk_working_days").fill("4")
        other.get_by_role("button", name="Save the programme").click()
        expect(other.locator("h1")).to_have_text("Programme: version 3")
    finally:
        other.close()
    page.locator("#retention_years").fill("9")
    page.get_by_role("button", name="Save the programme").click()
    expect_error_summary(page, "Someone else saved a new version of this programme")
    expect(page.locator("#conflict")).to_contain_text(re.compile(r"At-risk working days\s*Different"))
    reports.append(inspect(page, "manager", "a stale programme save"))

    page.locator("input[name='keep-retention_years'][value='mine']").check()
    page.locator("input[name='keep-at_risk_working_days'][value='theirs']").check()
    page.get_by_role("button", name="Save with these choices").click()
    expect(page.locator("h1")).to_have_text("Programme: version 4")
    expect(settings).to_contain_text("A return date within 4 working days")
    expect(settings).to_contain_text("9 years after her last case ends")
    reports.append(inspect(page, "manager", "a programme saved with her choices"))

    assert_clean(reports, "the programme pages")

"""A manager changes a scheme's programme in a real browser (docs/organisations.md, "Programmes"): the list of her
schemes, a scheme's programme and its versions, the form sent with mistakes (an error summary) and then right (a new
version, with a new consent wording), and a save from a page shown before her own save in another tab (409, both
side by side, then saved with her choices). Each state is checked with axe-core. The programme is the one every
seeded case's scheme runs, so the test saves it back as it found it (cases already started keep their versions
whatever happens here)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from diversion.referrals.models import ConsentPurpose
from diversion.referrals.wording import FIRST_WORDINGS
from tests.e2e.checks import PageReport, assert_clean, expect_error_summary, inspect

pytestmark = pytest.mark.e2e

SCHEME = "Court diversion"
EQUALITY = (
    "I agree that my ethnic group may be recorded and counted, without my name, in reports on who the scheme reaches. "
    "Saying no changes nothing about my support or my case."
)
# What the seeded programme holds, put back at the end.
AS_FOUND = {
    "#at_risk_working_days": "5",
    "#reminder_lead_times": "1d@10:00, 2h",
    "#retention_years": "6",
    "#wording_equality_monitoring": FIRST_WORDINGS[ConsentPurpose.EQUALITY_MONITORING],
}


def version_of(page: Page) -> int:
    """The version number the programme page's heading names."""
    heading = page.locator("h1").inner_text()
    found = re.search(r"version (\d+)$", heading)
    assert found, heading
    return int(found[1])


def save(page: Page) -> None:
    page.get_by_role("button", name="Save the programme").click()


def test_a_manager_changes_a_schemes_programme(role_pages: dict[str, Page]) -> None:
    reports: list[PageReport] = []
    page = role_pages["manager"]
    page.goto("/home")
    page.locator(".govuk-service-navigation").get_by_role("link", name="Programmes").click()
    expect(page.locator("h1")).to_have_text("Programmes")
    expect(page.locator("table")).to_contain_text(SCHEME)
    reports.append(inspect(page, "manager", "programmes"))

    page.locator("table").get_by_role("link", name=SCHEME, exact=True).click()
    expect(page.locator("#programme-settings")).to_contain_text("6 years after her last case ends")
    first = version_of(page)
    programme_url = page.url
    reports.append(inspect(page, "manager", "a scheme's programme"))
    try:
        page.get_by_role("link", name="Change the programme").click()
        expect(page.locator("#appointments")).to_have_value("2")
        reports.append(inspect(page, "manager", "the programme form"))

        # A third appointment without saying what it produces, and no retention period: refused, nothing saved.
        page.locator("#appointments").fill("3")
        page.locator("#retention_years").fill("0")
        save(page)
        expect_error_summary(
            page,
            "Choose what appointment 3 produces",
            "Enter the retention period, a whole number of years from 1 to 25",
        )
        reports.append(inspect(page, "manager", "the programme form with mistakes"))

        page.locator("#appointments").fill("2")
        page.locator("#retention_years").fill("8")
        page.locator("#reminder_lead_times").fill("2d@18:00, 2h")
        page.locator("#wording_equality_monitoring").fill(EQUALITY)
        save(page)
        expect(page.locator(".govuk-notification-banner")).to_contain_text(
            f"Version {first + 1} of the programme is saved"
        )
        settings = page.locator("#programme-settings")
        expect(settings).to_contain_text("8 years after her last case ends")
        expect(settings).to_contain_text("2 days before at 6pm; 2 hours before")
        expect(page.locator("#programme-wordings")).to_contain_text(EQUALITY)
        expect(page.locator("table tbody tr")).to_have_count(first + 1)
        reports.append(inspect(page, "manager", "a new programme version saved"))

        # She opens the form, then saves a change from another tab: the first tab's page is now stale.
        page.get_by_role("link", name="Change the programme").click()
        other = page.context.new_page()
        try:
            other.goto(page.url)
            other.locator("#at_risk_working_days").fill("4")
            save(other)
            expect(other.locator(".govuk-notification-banner")).to_contain_text(f"Version {first + 2}")
        finally:
            other.close()
        page.locator("#retention_years").fill("9")
        save(page)
        expect_error_summary(page, "Someone else saved a new version of this programme")
        expect(page.locator("#conflict")).to_contain_text(re.compile(r"At-risk working days\s*Different"))
        reports.append(inspect(page, "manager", "a stale programme save"))

        page.locator("input[name='keep-retention_years'][value='mine']").check()
        page.locator("input[name='keep-at_risk_working_days'][value='theirs']").check()
        page.get_by_role("button", name="Save with these choices").click()
        expect(page.locator(".govuk-notification-banner")).to_contain_text(f"Version {first + 3}")
        expect(settings).to_contain_text("A return date within 4 working days")
        expect(settings).to_contain_text("9 years after her last case ends")
        reports.append(inspect(page, "manager", "a programme saved with her choices"))
    finally:
        # Saved back as found, so that cases taken by later tests follow the programme they expect.
        page.goto(programme_url)
        page.get_by_role("link", name="Change the programme").click()
        page.locator("#appointments").fill("2")
        for selector, value in AS_FOUND.items():
            page.locator(selector).fill(value)
        save(page)
        expect(page.locator(".govuk-notification-banner")).to_contain_text("of the programme is saved")
        expect(page.locator("#programme-settings")).to_contain_text("6 years after her last case ends")

    assert_clean(reports, "the programme pages")

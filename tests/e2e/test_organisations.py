"""In a real browser (docs/organisations.md): the platform operator adds an organisation and its first administrator,
who signs in with the temporary password shown once, adds a scheme and a court the scheme serves, and sees nothing of
the first organisation. Every page is checked with axe, in its normal and its error state."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.checks import assert_clean, expect_error_summary, inspect
from tests.e2e.conftest import _new_context
from tests.e2e.server import ROLE_NAMES
from tests.e2e.signing_in import NEW_PASSWORD_PATH, confirm_enrolment, leave_recovery_codes, submit_password

pytestmark = pytest.mark.e2e

# Used by this test alone: the organisation and its administrator are made here, so the seed has neither.
ORG_NAME = "Riverside Women's Project"
ORG_SLUG = "riverside"
ADMIN_NAME = "Rhea Okafor"
ADMIN_EMAIL = "rhea@riverside.e2e.example.org"
ADMIN_PASSWORD = "harbour lilac quiet engine"
SCHEME_NAME = "Riverside Diversion"
COURT_CODE = "E2ER"
COURT_NAME = "Riverside Magistrates' Court"


def test_the_operator_adds_an_organisation_whose_administrator_adds_a_scheme(
    browser: Browser, server, role_pages
) -> None:
    reports = []
    operator = role_pages["operator"]
    operator.goto("/")
    expect(operator).to_have_url(re.compile(r"/platform/organisations$"))
    expect(operator.locator("h1")).to_have_text("Organisations")
    navigation = operator.locator(".govuk-service-navigation__list a")
    expect(navigation).to_have_text(["Organisations", "Your account"])
    reports.append(inspect(operator, "operator", "organisations"))

    operator.get_by_role("link", name="Add an organisation").click()
    expect(operator.locator("h1")).to_have_text("Add an organisation")
    reports.append(inspect(operator, "operator", "new organisation"))
    operator.get_by_role("button", name="Add organisation").click()
    expect_error_summary(operator, "Enter the organisation's name")
    reports.append(inspect(operator, "operator", "new organisation sent empty"))
    operator.locator("#name").fill(ORG_NAME)
    operator.locator("#slug").fill("Not a slug")
    operator.locator("#admin_name").fill(ADMIN_NAME)
    operator.locator("#admin_email").fill(ADMIN_EMAIL)
    operator.get_by_role("button", name="Add organisation").click()
    expect_error_summary(operator, "Enter a short name for the organisation")
    reports.append(inspect(operator, "operator", "new organisation with a bad short name"))
    operator.locator("#slug").fill(ORG_SLUG)
    operator.get_by_role("button", name="Add organisation").click()
    expect(operator.locator("h1")).to_have_text("Organisation added")
    reports.append(inspect(operator, "operator", "organisation added"))
    temporary = operator.locator("#temporary-password").inner_text().strip()
    operator.get_by_role("link", name="Back to organisations").click()
    row = operator.locator("tr", has_text=ORG_NAME)
    expect(row).to_contain_text(ORG_SLUG)
    expect(operator.locator("main")).not_to_contain_text(temporary)
    reports.append(inspect(operator, "operator", "organisations with the new one"))
    # Nothing else is hers to open.
    for path in ("/cases", "/admin/users", "/privacy/audit"):
        response = operator.goto(path)
        assert response is not None
        assert response.status == 403, path
    reports.append(inspect(operator, "operator", "refused"))

    context = _new_context(browser, server)
    try:
        admin = context.new_page()
        submit_password(admin, ADMIN_EMAIL, temporary)
        expect(admin).to_have_url(re.compile(f"{NEW_PASSWORD_PATH}$"))
        admin.locator("#password").fill(ADMIN_PASSWORD)
        admin.locator("#confirm").fill(ADMIN_PASSWORD)
        admin.get_by_role("button", name="Save password").click()
        confirm_enrolment(admin)
        leave_recovery_codes(admin)

        # Her organisation has no scheme yet, and her users are herself alone.
        admin.goto("/admin/users")
        expect(admin.locator("main tbody tr")).to_have_count(1)
        expect(admin.locator("main")).not_to_contain_text(ROLE_NAMES["worker"])
        reports.append(inspect(admin, "new admin", "users"))
        admin.get_by_role("link", name="Schemes").click()
        expect(admin.locator("main")).to_contain_text("Your organisation has no scheme yet.")
        reports.append(inspect(admin, "new admin", "no schemes"))

        admin.get_by_role("link", name="Add a scheme").click()
        expect(admin.locator("h1")).to_have_text("Add a scheme")
        reports.append(inspect(admin, "new admin", "new scheme"))
        admin.locator("#name").fill(SCHEME_NAME)
        admin.locator("#appointments").fill("9")
        admin.get_by_role("button", name="Save scheme").click()
        expect_error_summary(
            admin,
            "Enter a short name for the scheme",
            "Enter the number of appointments, from 1 to 6",
        )
        reports.append(inspect(admin, "new admin", "new scheme with errors"))
        admin.locator("#slug").fill("riverside-diversion")
        admin.locator("#appointments").fill("3")
        admin.get_by_label("Assigned", exact=False).check()
        admin.get_by_role("button", name="Save scheme").click()
        expect(admin.locator(".govuk-notification-banner")).to_contain_text("Scheme added.")
        row = admin.locator("tr", has_text=SCHEME_NAME)
        expect(row).to_contain_text("Assigned worker")
        expect(row).to_contain_text("None yet")
        reports.append(inspect(admin, "new admin", "scheme added"))

        # A court of her own, served by her one scheme (chosen already).
        admin.goto("/admin/courts/new")
        expect(admin.get_by_label(SCHEME_NAME)).to_be_checked()
        reports.append(inspect(admin, "new admin", "new court"))
        admin.locator("#code").fill(COURT_CODE)
        admin.locator("#name").fill(COURT_NAME)
        admin.get_by_role("button", name="Save court").click()
        expect(admin.locator(".govuk-notification-banner")).to_contain_text("Court saved.")
        expect(admin.locator("tr", has_text=COURT_NAME)).to_contain_text(SCHEME_NAME)
        # The first organisation's courts are not hers.
        expect(admin.locator("main")).not_to_contain_text("Ashford Magistrates")
        reports.append(inspect(admin, "new admin", "court saved"))
        admin.goto("/admin/schemes")
        expect(admin.locator("tr", has_text=SCHEME_NAME)).to_contain_text(COURT_NAME)

        # Changing the scheme: an empty name is refused, then the access rule goes back to the team.
        admin.locator("tr", has_text=SCHEME_NAME).get_by_role("link", name=re.compile("^Change")).click()
        expect(admin.locator("h1")).to_have_text("Change the scheme")
        reports.append(inspect(admin, "new admin", "change scheme"))
        admin.locator("#name").fill("")
        admin.get_by_role("button", name="Save scheme").click()
        expect_error_summary(admin, "Enter the scheme's name")
        reports.append(inspect(admin, "new admin", "change scheme with an error"))
        admin.locator("#name").fill(SCHEME_NAME)
        admin.get_by_label("Team", exact=False).check()
        admin.get_by_role("button", name="Save scheme").click()
        expect(admin.locator(".govuk-notification-banner")).to_contain_text("Scheme saved.")
        expect(admin.locator("tr", has_text=SCHEME_NAME)).to_contain_text("Team")

        # A worker for the scheme: its one scheme is chosen already.
        admin.goto("/admin/users/new")
        expect(admin.get_by_label(SCHEME_NAME)).to_be_checked()
        reports.append(inspect(admin, "new admin", "new user"))
    finally:
        context.close()
    assert_clean(reports, "a new organisation, its administrator and its first scheme")

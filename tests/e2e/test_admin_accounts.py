"""In a real browser, the route an attacker took: an administrator creates a CPS account, signs in with its temporary
password and enrols an authenticator. The account is held at the page saying a manager must confirm it, and the
status list (every court's names, URNs and dates of birth) is refused, until a manager confirms it (docs/people.md)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.checks import assert_clean, inspect
from tests.e2e.conftest import _new_context
from tests.e2e.signing_in import ENROL_PATH, NEW_PASSWORD_PATH, confirm_enrolment, leave_recovery_codes, submit_password

pytestmark = pytest.mark.e2e

# Used by this test alone: the administrator makes the account here, so the seed has none.
NEW_CPS_EMAIL = "new.cps@e2e.example.org"
NEW_CPS_NAME = "Nell Ferraby"
NEW_CPS_PASSWORD = "copper meadow slow violin"
WAITING = "A manager must confirm it before you can open any case or record"


def test_an_administrators_new_cps_account_opens_nothing_until_a_manager_confirms_it(
    browser: Browser, server, role_pages
) -> None:
    reports = []
    admin = role_pages["admin"]
    admin.goto("/admin/users/new")
    reports.append(inspect(admin, "admin", "new user"))
    admin.locator("#display_name").fill(NEW_CPS_NAME)
    admin.locator("#email").fill(NEW_CPS_EMAIL)
    admin.get_by_label("CPS", exact=True).check()
    # The courts she covers, among those the administrator's organisation's schemes serve (docs/organisations.md).
    admin.locator('input[name="cps_courts"][value="E2EA"]').check()
    admin.get_by_role("button", name="Create user").click()
    expect(admin.locator("h1")).to_have_text("User created")
    reports.append(inspect(admin, "admin", "user created"))
    temporary = admin.locator("#temporary-password").inner_text().strip()

    context = _new_context(browser, server)
    try:
        cps = context.new_page()
        submit_password(cps, NEW_CPS_EMAIL, temporary)
        expect(cps).to_have_url(re.compile(f"{NEW_PASSWORD_PATH}$"))
        cps.locator("#password").fill(NEW_CPS_PASSWORD)
        cps.locator("#confirm").fill(NEW_CPS_PASSWORD)
        cps.get_by_role("button", name="Save password").click()
        expect(cps).to_have_url(re.compile(f"{ENROL_PATH}$"))
        confirm_enrolment(cps)
        leave_recovery_codes(cps)
        expect(cps.locator("main")).to_contain_text(WAITING)
        expect(cps.locator('a[href="/statuses"]')).to_have_count(0)
        reports.append(inspect(cps, "waiting cps", "home"))

        # Held at the waiting page: the status list answers 403 with the reason, and no client on it.
        response = cps.goto("/statuses")
        assert response is not None
        assert response.status == 403
        expect(cps.locator("h1")).to_have_text("A manager must confirm your account")
        expect(cps.locator("main")).to_contain_text(WAITING)
        expect(cps.locator("main table")).to_have_count(0)
        reports.append(inspect(cps, "waiting cps", "statuses refused"))

        # A manager sees the account waiting and confirms it.
        manager = role_pages["manager"]
        manager.goto("/admin/accounts-to-confirm")
        row = manager.locator("tr", has_text=NEW_CPS_EMAIL)
        expect(row).to_contain_text("Account created")
        expect(row).to_contain_text("CPS")
        reports.append(inspect(manager, "manager", "accounts to confirm"))
        row.get_by_role("button", name=re.compile("^Confirm")).click()
        expect(manager.locator(".govuk-notification-banner")).to_contain_text(f"{NEW_CPS_NAME}'s account confirmed")
        expect(manager.locator("tr", has_text=NEW_CPS_EMAIL)).to_have_count(0)
        reports.append(inspect(manager, "manager", "account confirmed"))

        response = cps.goto("/statuses")
        assert response is not None
        assert response.status == 200
        expect(cps.locator("main table")).not_to_have_count(0)
        reports.append(inspect(cps, "confirmed cps", "statuses"))
    finally:
        context.close()
    assert_clean(reports, "an administrator's new CPS account, waiting and confirmed")

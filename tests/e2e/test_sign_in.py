"""Signing in and out in a real browser: enrolment, sign-out, a wrong password, the keyboard alone, no JavaScript."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import server as e2e_server
from tests.e2e.checks import all_findings, inspect
from tests.e2e.signing_in import (
    ENROL_PATH,
    NEW_PASSWORD_PATH,
    VERIFY_PATH,
    confirm_enrolment,
    leave_recovery_codes,
    shown_secret,
    sign_out,
    submit_password,
)

pytestmark = pytest.mark.e2e

WRONG_PASSWORD = "not the password at all"


def test_first_sign_in_sets_up_the_authenticator_and_sign_out_ends_the_session(signed_out_page) -> None:
    page = signed_out_page
    submit_password(page, e2e_server.JOURNEY_EMAIL, e2e_server.PASSWORD)

    expect(page).to_have_url(re.compile(f"{ENROL_PATH}$"))
    expect(page.locator(".app-qr-code svg")).to_have_count(1)
    expect(page.locator("#totp-secret")).to_have_text(re.compile(r"^\s*([A-Z2-7]{4} )+[A-Z2-7]{1,4}\s*$"))
    assert len(shown_secret(page)) == 32
    codes = confirm_enrolment(page)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", code) for code in codes), codes

    leave_recovery_codes(page)
    expect(page.locator("main")).to_contain_text(f"You are signed in as {e2e_server.JOURNEY_NAME}")

    sign_out(page)
    expect(page.locator("main")).to_contain_text("You have signed out on every device")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    for protected in ("/home", "/account"):
        page.goto(protected)
        # The sign-in page, which comes back to the page asked for afterwards (docs/sessions.md).
        expect(page).to_have_url(re.compile(rf"/sign-in\?next={protected}$"))


def test_wrong_password_shows_an_error_summary_whose_link_moves_focus_to_the_password(signed_out_page) -> None:
    page = signed_out_page
    submit_password(page, e2e_server.SPARE_EMAIL, WRONG_PASSWORD)

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("There is a problem")
    # GOV.UK Frontend focuses the summary on load, so a screen reader announces it first.
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Error: Sign in - "))
    link = summary.get_by_role("link", name=re.compile("Enter a correct email address and password"))
    expect(link).to_have_attribute("href", "#password")
    link.click()
    expect(page.locator("#password")).to_be_focused()

    problems = all_findings([inspect(page, "spare user", "wrong password")])
    assert not problems, "\n".join(problems)


def test_sign_in_works_with_the_keyboard_alone(signed_out_page) -> None:
    page = signed_out_page
    page.goto("/sign-in")

    page.keyboard.press("Tab")
    expect(page.locator("a.govuk-skip-link")).to_be_focused()
    for _ in range(20):
        if page.evaluate("document.activeElement.id") == "email":
            break
        page.keyboard.press("Tab")
    expect(page.locator("#email")).to_be_focused()
    page.keyboard.type(e2e_server.SPARE_EMAIL)
    page.keyboard.press("Tab")
    expect(page.locator("#password")).to_be_focused()
    page.keyboard.type(e2e_server.PASSWORD)
    page.keyboard.press("Enter")

    # The spare user has no authenticator yet, so its second step is setting one up.
    expect(page).to_have_url(re.compile(f"{ENROL_PATH}$"))
    expect(page.locator("h1")).to_have_text("Set up your authenticator app")


def test_sign_in_page_works_without_javascript(no_script_page) -> None:
    page = no_script_page
    page.goto("/sign-in")
    # The page template marks the body when its script runs: proof that JavaScript really is off.
    expect(page.locator("body")).not_to_have_class(re.compile("govuk-frontend-supported"))

    page.locator("#email").fill(e2e_server.SPARE_EMAIL)
    page.locator("#password").fill(WRONG_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("There is a problem")
    expect(summary.get_by_role("link")).to_have_attribute("href", "#password")
    expect(page.locator("#password-error")).to_contain_text("Enter a correct email address and password")


def test_sign_in_pages_pass_axe_in_normal_and_error_states(sign_in_pages) -> None:
    checked = {(report.path, report.state) for report in sign_in_pages.reports}
    for path in ("/sign-in", NEW_PASSWORD_PATH, ENROL_PATH, VERIFY_PATH):
        assert {(path, "page"), (path, "sent empty")} <= checked, f"{path} was not checked in both states"

    problems = all_findings(sign_in_pages.reports)
    assert not problems, "\n".join(problems)


def test_signed_out_the_sign_in_page_switches_to_welsh_and_back(signed_out_page: Page) -> None:
    page = signed_out_page
    page.goto("/sign-in")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator("main a[hreflang=cy]").click()
    page.wait_for_url(re.compile(r"/sign-in"))
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    expect(page.locator("h1")).not_to_have_text("Sign in")
    report = inspect(page, "signed out", "sign-in, in Welsh")
    assert not report.violations + report.shape, report
    page.locator("main a[hreflang=en]").click()
    page.wait_for_url(re.compile(r"/sign-in"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Sign in")

"""Steps of the sign-in journey, driven through the real pages as a person would."""

from __future__ import annotations

import re
import time

import pyotp
from playwright.sync_api import Locator, Page, expect

ENROL_PATH = "/sign-in/set-up-authenticator"
VERIFY_PATH = "/sign-in/security-code"
NEW_PASSWORD_PATH = "/sign-in/new-password"
# Where signing in lands: home, or for the platform operator her list of organisations (docs/organisations.md).
LANDING = re.compile(r"/(home|platform/organisations)$")


def submit_password(page: Page, email: str, password: str) -> None:
    """Open the sign-in page and send an email address and password."""
    page.goto("/sign-in")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def shown_secret(page: Page) -> str:
    """The authenticator key the enrolment page shows for typing in, without the spaces that group it."""
    return "".join(page.locator("#totp-secret").inner_text().split())


def confirm_enrolment(page: Page) -> list[str]:
    """Send a code computed from the key on the enrolment page; returns the recovery codes shown next."""
    page.locator("#code").fill(pyotp.TOTP(shown_secret(page)).now())
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("h1")).to_have_text("Save your recovery codes")
    return page.locator("#recovery-codes li").all_inner_texts()


def leave_recovery_codes(page: Page) -> None:
    """Go on from the recovery codes to the home page (the operator's: her list of organisations)."""
    page.get_by_role("link", name="Continue").click()
    page.wait_for_url(LANDING)


def sign_in_first_time_together(pages: dict[str, Page], password: str) -> None:
    """The first sign-in of several users (email: tab) at once, through the same pages and forms."""
    # Each step is started in every tab before any is waited for, so the browser and the server work on one tab
    # while Python drives the next.
    for email, page in pages.items():
        page.goto("/sign-in", wait_until="commit")
        page.locator("#email").fill(email)
        page.locator("#password").fill(password)
        _submit_without_waiting(page)
    for page in pages.values():
        page.wait_for_url(f"**{ENROL_PATH}")
        page.locator("#code").fill(pyotp.TOTP(shown_secret(page)).now())
        _submit_without_waiting(page)
    for page in pages.values():
        expect(page.locator("h1")).to_have_text("Save your recovery codes")
        page.get_by_role("link", name="Continue").click()
    for page in pages.values():
        page.wait_for_url(LANDING)


def _submit_without_waiting(page: Page) -> None:
    """Send the page's form as its button would, returning before the next page arrives."""
    page.locator("main form").evaluate("form => form.requestSubmit(form.querySelector('[type=submit]'))")


def sign_out(page: Page) -> None:
    """Press Sign out in the header."""
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/sign-in")


def send_empty(page: Page, button: str) -> None:
    """Send the page's form with nothing filled in, to show its error state."""
    page.get_by_role("button", name=button).click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()


def code_after(secret: str, last_step: int) -> str:
    """A code for a step after the last one used: the server accepts one step ahead of its own."""
    return pyotp.TOTP(secret).generate_otp(max(int(time.time() // 30), last_step + 1))


def timeout_dialog_heading(page: Page) -> Locator:
    """The heading of the page's session dialog (docs/sessions.md)."""
    return page.locator("dialog.app-timeout-dialog h2")

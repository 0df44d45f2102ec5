"""A session ended from another device while she types (docs/sessions.md): the dialog says she is signed out, Save
is held back instead of landing on the sign-in page, she signs in again in a new tab, and back on her page Save
works with nothing she typed lost.

The page's own clock is moved on (Playwright's clock, in this tab only) to bring the timeout warning forward; the
server keeps the run's shared clock (tests/clock.py).
"""

from __future__ import annotations

import re
import time
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.e2e import server as e2e_server
from tests.e2e.checks import all_findings, inspect
from tests.e2e.signing_in import (
    ENROL_PATH,
    VERIFY_PATH,
    code_after,
    confirm_enrolment,
    leave_recovery_codes,
    shown_secret,
    sign_out,
    submit_password,
    timeout_dialog_heading,
)

pytestmark = pytest.mark.e2e

LONDON = ZoneInfo("Europe/London")
OFFENCE = "Loitering or soliciting for prostitution (Street Offences Act 1959, s.1)"
WHO = "worker"


def _weekday_after(day: date, days: int) -> date:
    """A Tuesday to Thursday at least ``days`` after ``day``, clear of the Christmas and New Year bank holidays."""
    candidate = day + timedelta(days=days)
    while candidate.weekday() not in (1, 2, 3) or (candidate.month, candidate.day) in ((12, 24), (12, 31)):
        candidate += timedelta(days=1)
    return candidate


def test_a_session_ended_elsewhere_loses_nothing_she_typed(server, devices) -> None:
    page = devices()
    submit_password(page, e2e_server.SESSION_EMAIL, e2e_server.PASSWORD)
    expect(page).to_have_url(re.compile(f"{ENROL_PATH}$"))
    secret = shown_secret(page)
    recovery_codes = confirm_enrolment(page)
    last_step = int(time.time() // 30)
    leave_recovery_codes(page)

    # The referral, typed in full but not yet saved.
    page.clock.install()
    page.goto("/cases/new")
    today = datetime.now(LONDON).date()
    return_date = _weekday_after(today, 21)
    born = date(today.year - 31, 6, 9)
    page.locator("#court").select_option(label=e2e_server.COURTS[0][1])
    page.locator("#urn").fill("01/AB/24680/26")
    page.locator("#offence").select_option(label=OFFENCE)
    for part, value in (("day", return_date.day), ("month", return_date.month), ("year", return_date.year)):
        page.locator(f"#return_date-{part}").fill(str(value))
    page.locator("#given_name").fill("Rae")
    page.locator("#family_name").fill("Lindqvist")
    for part, value in (("day", born.day), ("month", born.month), ("year", born.year)):
        page.locator(f"#date_of_birth-{part}").fill(str(value))
    page.locator("#phone").fill("07700 100982")
    page.locator("input[name=may_text][value=yes]").check()
    page.locator("input[name=may_voicemail][value=no]").check()
    page.locator("#quiet_from").fill("20:00")
    page.locator("#quiet_to").fill("09:00")
    page.locator("#contact_note").fill("Mornings only")
    page.locator("#notes").fill("Prefers to meet at the drop-in.")
    typed = {
        field: page.locator(field).input_value()
        for field in (
            "#urn",
            "#given_name",
            "#family_name",
            "#phone",
            "#quiet_from",
            "#quiet_to",
            "#contact_note",
            "#notes",
            "#return_date-day",
        )
    }

    # On another device she signs in (with a recovery code) and signs out, which ends every session of hers.
    other = devices()
    submit_password(other, e2e_server.SESSION_EMAIL, e2e_server.PASSWORD)
    expect(other).to_have_url(re.compile(f"{VERIFY_PATH}$"))
    other.locator("#code").fill(recovery_codes[0])
    other.get_by_role("button", name="Continue").click()
    other.wait_for_url("**/home")
    sign_out(other)

    # 26 minutes on, as this page counts them, the warning comes; staying signed in finds the session gone.
    page.clock.fast_forward("26:00")
    expect(timeout_dialog_heading(page)).to_have_text("You will be signed out soon")
    page.get_by_role("button", name="Stay signed in").click()
    expect(timeout_dialog_heading(page)).to_have_text("You have been signed out")
    expect(page.locator("#timeout-message")).to_contain_text("What you typed on this page is still here")
    reports = [inspect(page, WHO, "signed-out dialog")]

    # Save is held back: sent now, the form would land on the sign-in page.
    page.keyboard.press("Escape")
    expect(page.locator("dialog.app-timeout-dialog")).not_to_be_visible()
    page.get_by_role("button", name="Save referral").click()
    expect(timeout_dialog_heading(page)).to_have_text("You have been signed out")
    expect(page).to_have_url(re.compile(r"/cases/new$"))

    # She signs in again in a new tab, which comes back to the page she was on.
    sign_in_link = page.get_by_role("link", name="Sign in again (opens in a new tab)")
    expect(sign_in_link).to_have_attribute("target", "_blank")
    with page.context.expect_page() as opened:
        sign_in_link.click()
    tab = opened.value
    expect(tab).to_have_url(re.compile(r"/sign-in\?next="))
    assert parse_qs(urlsplit(tab.url).query) == {"next": ["/cases/new"]}
    tab.locator("#email").fill(e2e_server.SESSION_EMAIL)
    tab.locator("#password").fill(e2e_server.PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    expect(tab).to_have_url(re.compile(f"{VERIFY_PATH}$"))
    tab.locator("#code").fill(code_after(secret, last_step))
    tab.get_by_role("button", name="Continue").click()
    expect(tab).to_have_url(re.compile(r"/cases/new$"))
    tab.close()

    # Back on her page: signed in again, and everything she typed is still there.
    page.bring_to_front()
    page.get_by_role("button", name="I have signed in again").click()
    expect(timeout_dialog_heading(page)).to_have_text("You are signed in again")
    reports.append(inspect(page, WHO, "signed in again dialog"))
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("dialog.app-timeout-dialog")).not_to_be_visible()
    for field, value in typed.items():
        expect(page.locator(field)).to_have_value(value)

    # Save works: the page took the new session's CSRF token.
    page.get_by_role("button", name="Save referral").click()
    expect(page.locator("h1")).to_have_text("Consent")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Referral saved.")
    expect(page.locator(".app-identity-bar")).to_contain_text("Rae Lindqvist")
    expect(page.locator(".app-identity-bar")).to_contain_text("URN 01/AB/24680/26")
    assert all_findings(reports) == [], all_findings(reports)

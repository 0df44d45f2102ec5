"""Drafts and a session ended while the needs assessment is half typed (docs/drafts.md, docs/sessions.md).

She types half of the 12-domain assessment; a field losing focus saves a draft, which another tab offers back and
restores. Her session is then ended from another device; the dialog says so, Save is held back, she signs in again
in a new tab (which comes back to the assessment and offers her draft), and back on her page Save works with
nothing she typed lost. The draft is gone once the assessment is saved. Each state is checked with axe-core.

The page's own clock is moved on (Playwright's clock, in this tab only) to bring the timeout warning forward and to
run the autosave's timers; the server keeps the run's shared clock (tests/clock.py).
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from diversion.assessments.models import Domain
from tests.e2e import server as e2e_server
from tests.e2e.checks import PageReport, assert_clean, inspect
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

WHO = "worker"
NOTES = {
    "accommodation": "Sofa-surfing at her sister's since October",
    "drugs": "Daily crack use; wants a script review",
    "alcohol": "Drinks most evenings",
}
RISK = "Partner waits outside the drop-in"


def _answer(page: Page, domain: str, need: int, score: int) -> None:
    page.locator(f"input[name={domain}_need][value='{need}']").check()
    page.locator(f"#{domain}_score").select_option(str(score))


def _typed(page: Page) -> dict[str, str]:
    values = {f"#{domain}_notes": page.locator(f"#{domain}_notes").input_value() for domain in NOTES}
    values["#risk_notes"] = page.locator("#risk_notes").input_value()
    values["#drugs_score"] = page.locator("#drugs_score").input_value()
    return values


def test_a_half_typed_assessment_survives_a_session_ended_elsewhere(server, devices) -> None:
    case = server.outcomes["cases"]["drafts"]["id"]
    path = f"/cases/{case}/assessment/edit"
    reports: list[PageReport] = []
    page = devices()
    submit_password(page, e2e_server.DRAFTS_EMAIL, e2e_server.PASSWORD)
    expect(page).to_have_url(re.compile(f"{ENROL_PATH}$"))
    secret = shown_secret(page)
    recovery_codes = confirm_enrolment(page)
    last_step = int(time.time() // 30)
    leave_recovery_codes(page)

    # Half the assessment: the first six domains, with notes on three; then the risk notes, whose losing focus
    # saves a draft a moment later.
    page.clock.install()
    page.goto(path)
    domains = [domain.value for domain in Domain]
    for number, domain in enumerate(domains[:6]):
        _answer(page, domain, need=number % 4, score=number + 3)
    for domain, note in NOTES.items():
        page.locator(f"#{domain}_notes").fill(note)
    page.locator("#risk_notes").fill(RISK)
    page.locator("#risk_notes").blur()
    page.clock.run_for(1500)
    expect(page.locator("[data-draft-status]")).to_have_text(
        re.compile(r"^Draft saved at (\d{1,2}(:\d\d)?[ap]m|midnight|midday)\.$")
    )
    typed = _typed(page)

    # In another tab the form offers the draft back, and puts it into the form when she chooses it.
    other_tab = page.context.new_page()
    other_tab.goto(path)
    banner = other_tab.locator("[data-draft-banner=offered]")
    expect(banner).to_contain_text("You have a draft of this form")
    reports.append(inspect(other_tab, WHO, "assessment with a draft offered"))
    banner.get_by_role("link", name="Continue from your draft").click()
    expect(other_tab.locator("[data-draft-banner=restored]")).to_contain_text("This form shows your draft")
    for field, value in typed.items():
        expect(other_tab.locator(field)).to_have_value(value)
    expect(other_tab.locator("input[name=alcohol_need][value='2']")).to_be_checked()
    reports.append(inspect(other_tab, WHO, "assessment with its draft restored"))
    other_tab.close()

    # On another device she signs in (with a recovery code) and signs out, which ends every session of hers.
    other = devices()
    submit_password(other, e2e_server.DRAFTS_EMAIL, e2e_server.PASSWORD)
    expect(other).to_have_url(re.compile(f"{VERIFY_PATH}$"))
    other.locator("#code").fill(recovery_codes[0])
    other.get_by_role("button", name="Continue").click()
    other.wait_for_url("**/home")
    sign_out(other)

    # She goes on typing: the rest of the domains. The autosave finds her signed out and says so.
    for number, domain in enumerate(domains[6:], start=6):
        _answer(page, domain, need=number % 4, score=number - 2)
    page.locator(f"#{domains[-1]}_score").blur()
    page.clock.run_for(1500)
    expect(page.locator("[data-draft-status]")).to_contain_text("you have been signed out")

    # The warning comes; staying signed in finds the session gone.
    page.clock.fast_forward("26:00")
    expect(timeout_dialog_heading(page)).to_have_text("You will be signed out soon")
    page.get_by_role("button", name="Stay signed in").click()
    expect(timeout_dialog_heading(page)).to_have_text("You have been signed out")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Save assessment").click()
    expect(timeout_dialog_heading(page)).to_have_text("You have been signed out")
    expect(page).to_have_url(re.compile(f"{re.escape(path)}$"))

    # She signs in again in a new tab, which comes back to the assessment and offers her draft.
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Sign in again (opens in a new tab)").click()
    tab = opened.value
    tab.locator("#email").fill(e2e_server.DRAFTS_EMAIL)
    tab.locator("#password").fill(e2e_server.PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    expect(tab).to_have_url(re.compile(f"{VERIFY_PATH}$"))
    tab.locator("#code").fill(code_after(secret, last_step))
    tab.get_by_role("button", name="Continue").click()
    expect(tab).to_have_url(re.compile(f"{re.escape(path)}$"))
    expect(tab.locator("[data-draft-banner=offered]")).to_contain_text("You have a draft of this form")
    tab.close()

    # Back on her page, everything she typed is still there, and Save works.
    page.bring_to_front()
    page.get_by_role("button", name="I have signed in again").click()
    expect(timeout_dialog_heading(page)).to_have_text("You are signed in again")
    page.get_by_role("button", name="Continue").click()
    for field, value in typed.items():
        expect(page.locator(field)).to_have_value(value)
    expect(page.locator(f"#{domains[-1]}_score")).to_have_value(str(len(domains) - 3))
    page.get_by_role("button", name="Save assessment").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Assessment saved.")
    expect(page.locator("main")).to_contain_text(NOTES["drugs"])
    expect(page.locator("main")).to_contain_text(RISK)

    # The draft has done its job: the form no longer offers it.
    page.goto(path)
    expect(page.locator("h1")).to_have_text("Record the needs assessment")
    expect(page.locator("[data-draft-banner]")).to_have_count(0)
    assert_clean(reports, "drafts and a session ended while the assessment was typed")

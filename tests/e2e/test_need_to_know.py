"""Need to know inside a team, in a real browser (docs/organisations.md, "Need to know"): in a scheme with the
assigned access rule a support worker finds a colleague's case by its URN, is asked why before it opens, sends the
question empty and is told what to do, gives a reason and sees the case. Every state is checked with axe-core.

It runs on a server of its own (tests/e2e/server.py, the need-to-know world): a second scheme beside the first
would change the forms other browser tests fill in."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e import server as e2e_server
from tests.e2e.checks import PageReport, assert_clean, expect_error_summary, inspect
from tests.e2e.conftest import STEP_TIMEOUT_MS, serving
from tests.e2e.signing_in import ENROL_PATH, confirm_enrolment, leave_recovery_codes, submit_password

pytestmark = pytest.mark.e2e

WHO = "assigned worker"
QUESTION = "Say why you are opening this case"


@pytest.fixture(scope="module")
def assigned_world(databases, master_keys, tmp_path_factory, server_clock) -> Iterator[tuple[str, dict]]:
    """A server seeded with need to know's world: its address, and the colleague's case."""
    instance = tmp_path_factory.mktemp("e2e-need-to-know")
    with serving(databases, master_keys, instance, server_clock, world="need-to-know") as (url, seeded):
        yield url, seeded["case"]


@pytest.fixture
def page(browser: Browser, assigned_world) -> Iterator[Page]:
    context = browser.new_context(base_url=assigned_world[0])
    context.set_default_timeout(STEP_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_a_colleagues_case_asks_for_a_reason_then_opens(assigned_world, page: Page) -> None:
    case = assigned_world[1]
    reports: list[PageReport] = []
    submit_password(page, e2e_server.NEED_TO_KNOW_EMAIL, e2e_server.PASSWORD)
    expect(page).to_have_url(re.compile(f"{ENROL_PATH}$"))
    confirm_enrolment(page)
    leave_recovery_codes(page)

    # Her lists leave the colleague's case out; a search by its URN finds it, without her name.
    page.goto("/cases?tab=open")
    expect(page.locator("main")).not_to_contain_text(case["name"])
    page.locator("#urn").fill(case["urn"])
    page.get_by_role("button", name="Search").click()
    row = page.locator("tr", has_text="Another worker's case")
    expect(row).to_contain_text("Reason needed")
    expect(page.locator("main")).not_to_contain_text(case["name"])
    reports.append(inspect(page, WHO, "a colleague's case found by a search"))

    # Opening it asks why, showing its status only.
    row.get_by_role("link").click()
    expect(page.locator("h1")).to_have_text(QUESTION)
    expect(page).to_have_url(re.compile(f"/cases/{case['id']}$"))
    expect(page.locator(".govuk-summary-list")).to_contain_text(case["urn"])
    expect(page.locator("main")).to_contain_text("This case is Cal Dunne's.")
    expect(page.locator("main")).not_to_contain_text(case["name"])
    reports.append(inspect(page, WHO, "asked why"))

    # Sent without a reason: the error summary, and nothing of the case.
    page.get_by_role("button", name="Open the case").click()
    expect_error_summary(page, "Enter why you need to open this case")
    expect(page.locator("main")).not_to_contain_text(case["name"])
    reports.append(inspect(page, WHO, "asked why, sent empty"))

    # With a reason, the case opens where she was going, and stays open to her today.
    page.locator("#reason").fill("Covering court today while Cal is on leave")
    page.get_by_role("button", name="Open the case").click()
    expect(page).to_have_url(re.compile(f"/cases/{case['id']}$"))
    expect(page.locator(".moj-identity-bar__title")).to_have_text(case["name"])
    reports.append(inspect(page, WHO, "the case, opened with a reason"))
    page.get_by_role("link", name="History").click()
    expect(page.locator("main")).to_contain_text("Opened with a reason by a support worker not assigned to the case")
    reports.append(inspect(page, WHO, "the case's history"))
    assert_clean(reports, "opening a colleague's case with a reason")

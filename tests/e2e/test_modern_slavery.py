"""The National Referral Mechanism task in a real browser (docs/modern-slavery.md): a support worker ticks a sign of
exploitation on a case's needs assessment, the case overview then asks her to consider an NRM referral; the page to
record it, sent empty, shows the error summary; she records that she was referred, with the day, and the task is gone
from the overview, which shows what was done. Each page is checked with axe-core, in its normal and its error state."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.checks import PageReport, assert_clean, expect_error_summary, inspect

pytestmark = pytest.mark.e2e

LONDON = ZoneInfo("Europe/London")
TASK = "Consider an NRM referral through a first responder (with her consent)"


def test_signs_of_exploitation_ask_for_an_nrm_decision_which_the_worker_records(
    role_pages: dict[str, Page], server
) -> None:
    reports: list[PageReport] = []
    worker = role_pages["worker"]
    case = f"/cases/{server.outcomes['cases']['modern_slavery']['id']}"

    # No sign of exploitation yet: no task.
    worker.goto(case)
    expect(worker.locator("h1")).to_have_text("Overview")
    expect(worker.locator(".app-nrm-task")).to_have_count(0)

    # She ticks one on the assessment.
    worker.goto(f"{case}/assessment/edit")
    worker.check("input[name=indicators][value=threats]")
    worker.get_by_role("button", name="Save assessment").click()
    expect(worker.locator(".govuk-notification-banner")).to_contain_text("Assessment saved.")

    worker.goto(case)
    task = worker.locator(".app-nrm-task")
    expect(task).to_contain_text(TASK)
    reports.append(inspect(worker, "worker", "overview with the task"))

    task.get_by_role("link", name="Record what was done").click()
    expect(worker.locator("h1")).to_have_text("National Referral Mechanism")
    # A Duty to Notify is a first responder's; this organisation is not one.
    expect(worker.locator("input[name=outcome][value=duty_to_notify]")).to_have_count(0)
    reports.append(inspect(worker, "worker", "record the outcome"))

    worker.get_by_role("button", name="Save").click()
    expect_error_summary(worker, "Select what was done about a National Referral Mechanism referral", "Enter the date")
    reports.append(inspect(worker, "worker", "record the outcome sent empty"))

    # Chosen and dated with the keyboard alone.
    worker.locator("input[name=outcome][value=nrm_referred]").focus()
    worker.keyboard.press("Space")
    day = datetime.now(LONDON).date()
    for part, value in (("day", day.day), ("month", day.month), ("year", day.year)):
        worker.locator(f"#date-{part}").focus()
        worker.keyboard.type(str(value))
    worker.locator("#note").focus()
    worker.keyboard.type("Referred through the police's modern slavery team")
    worker.get_by_role("button", name="Save").focus()
    worker.keyboard.press("Enter")

    expect(worker.locator(".govuk-notification-banner--success")).to_contain_text(
        "National Referral Mechanism outcome saved."
    )
    expect(worker.locator("h1")).to_have_text("Overview")
    expect(worker.locator(".app-nrm-task")).to_have_count(0)
    outcome = worker.locator(".app-nrm-outcome")
    expect(outcome).to_contain_text("Referred to the National Referral Mechanism on")
    expect(outcome).to_contain_text("Referred through the police's modern slavery team")
    reports.append(inspect(worker, "worker", "overview with the outcome"))
    assert_clean(reports, "the National Referral Mechanism task")

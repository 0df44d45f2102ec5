"""A stale assessment save in a real browser (docs/conflicts.md): a support worker and a manager open the same
assessment; the manager saves an alcohol score of 9, then the worker saves 4. She sees both answers with the
difference marked, Save again without a choice is refused naming the answer, and with the saved answer kept the
assessment is saved at the next version. Each state is checked with axe-core."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.checks import PageReport, assert_clean, expect_error_summary, inspect

pytestmark = pytest.mark.e2e

DIFFERENT = "Different: your answer and the saved answer differ"


def row(page: Page, label: str):
    return page.locator("#conflict tbody tr", has=page.locator("th", has_text=re.compile(rf"^\s*{re.escape(label)}")))


def test_a_stale_assessment_save_shows_the_differences_and_needs_a_choice(role_pages: dict[str, Page], server) -> None:
    reports: list[PageReport] = []
    case = server.outcomes["cases"]["conflict"]["id"]
    path = f"/cases/{case}/assessment/edit"
    worker, manager = role_pages["worker"], role_pages["manager"]
    worker.goto(path)
    manager.goto(path)

    manager.select_option("#alcohol_score", "9")
    manager.get_by_role("button", name="Save assessment").click()
    expect(manager.locator(".govuk-notification-banner")).to_contain_text("Assessment saved.")

    worker.select_option("#alcohol_score", "4")
    worker.get_by_role("button", name="Save assessment").click()
    expect_error_summary(worker, "Someone else saved this assessment while you were working on it")
    alcohol = row(worker, "Alcohol use: wellbeing score")
    expect(alcohol).to_contain_text(DIFFERENT)
    expect(alcohol.locator("td")).to_have_text(["4", "9"])
    expect(row(worker, "Drug use: wellbeing score")).not_to_contain_text("Different")
    expect(worker.locator("#alcohol_score")).to_have_value("4")
    reports.append(inspect(worker, "worker", "assessment saved by someone else"))

    worker.get_by_role("button", name="Save with these choices").click()
    expect_error_summary(worker, "Choose which answer to keep for alcohol use: wellbeing score")
    expect(worker.locator("#keep-alcohol_score-error")).to_be_visible()
    reports.append(inspect(worker, "worker", "assessment conflict saved without a choice"))
    manager.goto(f"/cases/{case}/assessment")
    expect(manager.locator("main")).to_contain_text("9")

    worker.locator("#keep-alcohol_score").check()
    worker.get_by_role("button", name="Save with these choices").click()
    expect(worker.locator(".govuk-notification-banner")).to_contain_text("Assessment saved.")
    worker.goto(path)
    expect(worker.locator("#alcohol_score")).to_have_value("9")
    expect(worker.locator("input[name=version]")).to_have_value("3")

    assert_clean(reports, "the stale assessment save")

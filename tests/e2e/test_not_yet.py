"""A form asked for before it can be saved shows what comes first, and the page passes axe (docs/not-yet.md)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.checks import assert_clean, inspect

pytestmark = pytest.mark.e2e


def test_the_assessment_before_appointment_1_is_attended_says_what_comes_first(role_pages, server) -> None:
    page = role_pages["worker"]
    # Kim Ashe has opted in; her appointment 1 is in three days.
    case = server.outcomes["cases"]["reminded"]["id"]
    page.goto(f"/cases/{case}/assessment")
    expect(page.locator(f'a[href="/cases/{case}/assessment/edit"]')).to_have_count(0)
    page.goto(f"/cases/{case}/assessment/edit")
    expect(page.locator("form[action$='/assessment/edit']")).to_have_count(0)
    expect(page.locator(".app-not-yet")).to_contain_text("Record that she attended appointment 1 before the assessment")
    report = inspect(page, "worker", "not yet")
    page.get_by_role("link", name="Go to her appointments").click()
    expect(page.locator("h1")).to_have_text("Appointments")
    assert_clean([report], "the assessment asked for too soon")

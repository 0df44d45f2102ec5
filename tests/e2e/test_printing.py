"""The court-day list printed to PDF by Chromium and read back with pypdf: the court's name, the time printed, each
page's number, and every name whole on one line (docs/small-screens.md)."""

from __future__ import annotations

from io import BytesIO

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.e2e import server as e2e_server

pytestmark = pytest.mark.e2e


def _printed(page, **paper) -> list[str]:
    """The text of each printed page."""
    return [sheet.extract_text() for sheet in PdfReader(BytesIO(page.pdf(**paper))).pages]


def test_the_court_day_list_prints_with_its_court_the_time_and_page_numbers(role_pages, server) -> None:
    tab = role_pages["court"].context.new_page()
    try:
        tab.goto(f"/court-day?date={server.partners['court_day']}")
        court_name = e2e_server.COURTS[0][1]
        names = [
            case["name"]
            for case in server.partners["cases"]
            if case["court"] == e2e_server.COURTS[0][0] and case["return_date"] == server.partners["court_day"]
        ]
        assert len(names) >= 4
        # The printed-only line is hidden on screen.
        expect(tab.locator(".app-printed-at")).to_be_hidden()

        # A4, and a short page that needs several sheets, so the numbering counts across them.
        for paper in ({"format": "A4"}, {"width": "210mm", "height": "110mm"}):
            sheets = _printed(tab, **paper)
            text = "\n".join(sheets)
            assert court_name in sheets[0], f"{paper}: the court's name is not on the first page"
            assert "Printed " in sheets[0], f"{paper}: the time printed is not on the first page"
            for number, sheet in enumerate(sheets, start=1):
                assert f"Page {number} of {len(sheets)}" in sheet, f"{paper}: page {number} has no number"
            for name in names:
                # A name broken over two lines would come back with a line break inside it.
                assert name in text, f"{paper}: {name} is not on one line"
            # The navigation and the day-changing form are not printed.
            assert "Sign out" not in text
            assert "Another day" not in text
        assert len(_printed(tab, width="210mm", height="110mm")) > 1, "the short page did not need a second sheet"
    finally:
        tab.close()

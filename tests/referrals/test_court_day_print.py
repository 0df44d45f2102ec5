"""The court-day list on paper: it names the court, says when it was printed, keeps names on one line, and its
stylesheet gives each page margins and a number (docs/small-screens.md). tests/e2e/test_printing.py prints it."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from diversion.dates import today
from tests import pages
from tests.factories import create_court, create_referral, create_user, log_in_as

PRINT_STYLES = Path(__file__).resolve().parents[2] / "assets" / "scss" / "_print.scss"


@pytest.fixture
def courts(app_ctx):
    return create_court(name="Ashford Magistrates' Court"), create_court(name="Bramley Magistrates' Court")


@pytest.fixture
def day(app_ctx):
    return today() + timedelta(days=14)


@pytest.fixture
def cases(courts, day):
    worker = create_user(role="worker")
    ashford, bramley = courts
    return (
        create_referral(state="OPTED_IN", worker=worker, court=ashford, return_date=day, given_name="Cara"),
        create_referral(state="OPTED_IN", worker=worker, court=bramley, return_date=day, given_name="Dee"),
    )


def court_day(client, day) -> pages.Page:
    return pages.get(client, f"/court-day?date={day.isoformat()}")


@pytest.mark.clock("2026-12-01 10:00")
def test_a_court_user_s_printed_list_names_her_court_and_the_time_it_was_printed(client, courts, cases, day):
    ashford, _ = courts
    page = court_day(log_in_as(client, create_user(role="court", court=ashford)), day)

    assert page.text_of(".govuk-caption-l") == "Ashford Magistrates' Court"
    assert "Bramley" not in page.html
    printed = page.select_one("time.app-printed-at")
    line = printed.parent
    assert line.name == "p"
    assert pages.normalise(line.get_text(" ")).startswith("Printed ")
    assert "app-print-only" in line.get("class", [])
    assert str(printed["datetime"]).startswith("2026-12-01T10:00")
    assert printed.get_text() == "1 December 2026, 10am"


def test_anyone_else_s_list_names_the_courts_of_the_cases_listed(client, courts, cases, day):
    page = court_day(log_in_as(client, create_user(role="manager")), day)

    assert page.text_of(".govuk-caption-l") == "Ashford Magistrates' Court, Bramley Magistrates' Court"


def test_names_dates_of_birth_and_urns_are_kept_on_one_line(client, courts, cases, day):
    ashford, _ = courts
    page = court_day(log_in_as(client, create_user(role="court", court=ashford)), day)

    [name_cell] = [cell for cell in page.select('th.govuk-table__header[scope="row"]') if "Cara" in cell.get_text()]
    assert name_cell.find("a") is not None, "her name is not the row's header"
    assert "app-nowrap" in name_cell.get("class", [])
    assert len(page.select("td.govuk-table__cell.app-nowrap")) == 2


def test_the_print_stylesheet_gives_margins_page_numbers_and_hides_printed_only_lines_on_screen():
    styles = PRINT_STYLES.read_text()
    page_rule = re.search(r"@page\s*\{(.*?)\n\}", styles, re.S)
    assert page_rule, "no @page rule"
    assert re.search(r"margin:\s*\d+mm", page_rule.group(1))
    assert 'counter(page) " of " counter(pages)' in page_rule.group(1)
    assert re.search(r"\.app-print-only\s*\{\s*display:\s*none;", styles)
    assert re.search(r"@media print\s*\{.*\.app-nowrap\s*\{\s*white-space:\s*nowrap;", styles, re.S)

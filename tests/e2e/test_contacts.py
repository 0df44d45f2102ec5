"""The contact log in a real browser, with the keyboard alone (docs/contacts.md): a support worker opens a case's
Contacts tab, sends the form empty and sees the error summary, logs a phone call and finds it in the timeline, then
filters the timeline and gets a wrong date range refused. Each state of the page (as shown, in error, with the
contact, filtered, with a wrong filter) is checked with axe-core."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from diversion.contacts.services import DIRECTION_MISSING, KIND_MISSING
from tests.e2e.checks import PageReport, assert_clean, expect_error_summary, inspect
from tests.e2e.keyboard import choose_option, choose_radio, follow, send, type_date, type_into

pytestmark = pytest.mark.e2e

LONDON = ZoneInfo("Europe/London")
WITH = "Her key worker at the hostel"
NOTE = "She can come to appointment 2 on Thursday"


def test_a_worker_logs_a_call_and_sees_it_in_the_timeline(role_pages: dict[str, Page], server) -> None:
    reports: list[PageReport] = []
    page = role_pages["worker"]
    # Jo Wren's case: assessed, her plan still to come.
    case = server.outcomes["cases"]["to_review"]["id"]
    page.goto(f"/cases/{case}")
    follow(page, "Contacts")
    expect(page.locator("h1")).to_have_text("Contacts")
    expect(page).to_have_url(f"{server.url}/cases/{case}/contacts")
    reports.append(inspect(page, "worker", "contact log"))

    # Sent with nothing chosen: the error summary, and nothing logged.
    send(page, "Log contact")
    expect_error_summary(page, KIND_MISSING, DIRECTION_MISSING, "Enter the time of the contact")
    reports.append(inspect(page, "worker", "contact log, sent empty"))

    # An hour ago, in London: the date and time typed as she would.
    when = datetime.now(LONDON) - timedelta(hours=1)
    choose_radio(page, "kind", "Phone call")
    choose_radio(page, "direction", "Outgoing: the service got in touch")
    type_date(page, "day", when.day, when.month, when.year)
    type_into(page, "#time", when.strftime("%H:%M"))
    type_into(page, "#with_whom", WITH)
    type_into(page, "#note", NOTE)
    send(page, "Log contact")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Contact logged.")
    entry = page.locator(".app-contact").first
    expect(entry.locator(".moj-timeline__title")).to_have_text("Phone call, outgoing")
    expect(entry).to_contain_text(f"With: {WITH}")
    expect(entry).to_contain_text(NOTE)
    expect(entry).to_contain_text("logged by")
    reports.append(inspect(page, "worker", "contact log with a call"))

    # The filters: a GET form, sent with the keyboard too.
    choose_option(page, "#filter-kind", "Phone call")
    send(page, "Filter")
    # The filters are in the address: a filtered log can be bookmarked, and needs no script.
    expect(page).to_have_url(re.compile(rf"/cases/{case}/contacts\?filter-kind=call&"))
    expect(page.locator(".app-contact").first.locator(".moj-timeline__title")).to_have_text("Phone call, outgoing")
    reports.append(inspect(page, "worker", "contact log, filtered"))

    # A range that ends before it starts is refused, and the whole log is still shown.
    type_date(page, "filter-from_date", 2, 12, 2026)
    type_date(page, "filter-to_date", 1, 12, 2026)
    send(page, "Filter")
    expect_error_summary(page, "The last day must be the same as or after the first day")
    expect(page.locator(".app-contact").first).to_contain_text(WITH)
    reports.append(inspect(page, "worker", "contact log, wrong filters"))

    # The case history shows the call among the case's events.
    page.goto(f"/cases/{case}/history")
    expect(page.locator(".app-contact").first).to_contain_text(WITH)
    assert_clean(reports, "the contact log")

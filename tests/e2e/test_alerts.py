"""Immediate alerts in a real browser, with the keyboard (docs/alerts.md): a support worker ticks an exploitation
indicator on the needs assessment of a case with no worker; the manager sees the unread count in the header go up,
opens her alerts, opens the alert, follows it to the case and back, and acknowledges it; the count goes down and
the alert reads as acknowledged, by her; the same alert acknowledged again from a second tab is refused (409). Every
page is checked with axe-core (and the shape and branding checks).

The case is seeded for this test alone (tests/e2e/server.py, ``_seed_alerts_case``).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from diversion.assessments.models import Domain
from tests.e2e.checks import PageReport, assert_clean, expect_error_summary, inspect
from tests.e2e.keyboard import Focused, choose_option, choose_radio, press_to_navigate, send, tab_to, tick

pytestmark = pytest.mark.e2e

DOMAINS = tuple(domain.value for domain in Domain)  # in the order the assessment page asks them
INDICATOR = "She or her family have been threatened"
COUNT = re.compile(r"Alerts(?: \((\d+) unread\))?")


def follow_starting(page: Page, text: str) -> None:
    """Tab to a link whose text (visually hidden words included) starts with ``text`` and follow it with Enter."""

    def is_link(element: Focused) -> bool:
        return element["tag"] == "a" and element["text"].startswith(text)

    is_link.__doc__ = f"a link starting {text!r}"
    tab_to(page, is_link)
    press_to_navigate(page)


def unread_in_header(page: Page) -> int:
    """The unread count the header's Alerts item shows (0 when it shows none)."""
    text = page.locator("header .govuk-service-navigation__item", has_text="Alerts").inner_text().strip()
    match = COUNT.fullmatch(text)
    assert match is not None, text
    return int(match.group(1) or 0)


def test_a_flag_raised_by_a_worker_reaches_the_manager_who_acknowledges_it(role_pages: dict[str, Page], server) -> None:
    worker, manager = role_pages["worker"], role_pages["manager"]
    case = server.outcomes["cases"]["alerts"]
    reports: list[PageReport] = []

    manager.goto("/home")
    before = unread_in_header(manager)

    # The worker records the assessment, sent empty first (nothing is raised), then with an indicator ticked.
    worker.goto(f"/cases/{case['id']}/assessment/edit")
    expect(worker.locator("h1")).to_have_text("Record the needs assessment")
    send(worker, "Save assessment")
    expect_error_summary(worker, "Select the need level for accommodation")
    manager.goto("/home")
    assert unread_in_header(manager) == before
    for position, domain in enumerate(DOMAINS):
        choose_radio(worker, f"{domain}_need", "2: Medium need")
        choose_option(worker, f"#{domain}_score", str(position % 10 + 1))
    tick(worker, INDICATOR)
    send(worker, "Save assessment")
    expect(worker.locator(".govuk-notification-banner--success")).to_contain_text("Assessment saved.")

    # The case has no worker: the manager is told, in the header of whatever page she opens next.
    manager.goto("/home")
    assert unread_in_header(manager) == before + 1
    reports.append(inspect(manager, "manager", "home with an unread alert"))
    follow_starting(manager, f"Alerts ({before + 1} unread)")
    expect(manager.locator("h1")).to_have_text("Alerts")
    expect(manager).to_have_title(re.compile(r"^Alerts - "))
    first = manager.locator("main tbody tr").first
    expect(first).to_contain_text("Safeguarding flag raised")
    expect(first).to_contain_text("Unread")
    # No name of hers on the list: the URN and the case's link.
    expect(manager.locator("main")).not_to_contain_text(case["name"])
    reports.append(inspect(manager, "manager", "alerts"))

    follow_starting(manager, "Safeguarding flag raised")
    expect(manager.locator("h1")).to_have_text("Safeguarding flag raised")
    expect(manager.locator(".govuk-summary-list")).to_contain_text("Unread")
    reports.append(inspect(manager, "manager", "an unread alert"))
    alert_url = manager.url
    follow_starting(manager, "Open the case this alert is about")
    assert manager.url.endswith(f"/cases/{case['id']}")
    expect(manager.locator(".app-case-status")).to_contain_text("Safeguarding")
    manager.goto(alert_url)
    # The same alert open in a second tab, acknowledged there after this one.
    second_tab = manager.context.new_page()
    second_tab.goto(alert_url)

    send(manager, "Acknowledge this alert")
    expect(manager.locator(".govuk-notification-banner--success")).to_contain_text("Alert acknowledged.")
    expect(manager.locator(".govuk-summary-list")).to_contain_text("Acknowledged by Morgan Hale")
    expect(manager.get_by_role("button", name="Acknowledge this alert")).to_have_count(0)
    assert unread_in_header(manager) == before
    reports.append(inspect(manager, "manager", "an acknowledged alert"))

    # The second tab's button: refused, saying so, and showing who acknowledged it.
    send(second_tab, "Acknowledge this alert")
    expect(second_tab.locator(".govuk-notification-banner")).to_contain_text("You have already acknowledged this alert")
    expect(second_tab.locator(".govuk-summary-list")).to_contain_text("Acknowledged by Morgan Hale")
    reports.append(inspect(second_tab, "manager", "an alert acknowledged in another tab"))
    second_tab.close()

    follow_starting(manager, "Alerts")
    expect(manager.locator("main tbody tr").first).to_contain_text("Acknowledged")

    # The worker who raised it is not its reader: the case is not hers, and her alerts do not hold it.
    worker.goto("/alerts")
    reports.append(inspect(worker, "worker", "alerts"))
    worker.goto(alert_url)
    expect(worker.locator("h1")).to_have_text("Page not found")
    assert_clean(reports, "the alert pages")

"""The message pages as their users meet them in a real browser, with the keyboard: a case's Messages page (her quiet
hours, sent first as words, then her STOP reply), the manager's failed messages and "Send again" (and again from a
second tab, refused), and the court's and the CPS's email settings. Each page is checked with axe-core (and the
shape and branding checks) as shown and in its error states.

The messages are seeded for these tests (tests/e2e/server.py, ``_seed_outcomes``): reminders queued on one case
and two that failed on another, so the walk in test_pages.py still finds a failed message whichever runs first.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.checks import PageReport, assert_clean, expect_error_summary, inspect
from tests.e2e.keyboard import Focused, choose_radio, follow, press_to_navigate, send, tab_to, type_into

pytestmark = pytest.mark.e2e

QUIET_FROM_ERROR = "Enter when her quiet hours start in 24-hour time, like 21:00"
QUIET_TO_ERROR = "Enter when her quiet hours end, or clear both times"


def table_rows(page: Page, selector: str) -> list[list[str]]:
    """The text of each body row's cells (header cells included), whitespace folded."""
    return page.locator(f"{selector} tbody tr").evaluate_all(
        """rows => rows.map((row) => Array.from(row.cells).map(
             (cell) => cell.innerText.replace(/\\s+/g, " ").trim()))"""
    )


def summary_value(page: Page, key: str) -> str:
    """The value of a summary list row, by its key."""
    row = page.locator(".govuk-summary-list__row", has=page.locator(".govuk-summary-list__key", has_text=key))
    return row.locator(".govuk-summary-list__value").inner_text().strip()


def button_starting(text: str) -> Callable[[Focused], bool]:
    """A predicate for a button whose text (visually hidden words included) starts with ``text``."""

    def is_button(element: Focused) -> bool:
        return element["tag"] == "button" and element["text"].startswith(text)

    is_button.__doc__ = f"a button starting {text!r}"
    return is_button


def test_a_worker_sets_her_quiet_hours_and_records_her_stop_reply(role_pages: dict[str, Page], server) -> None:
    page = role_pages["worker"]
    reports: list[PageReport] = []
    case = server.outcomes["cases"]["reminded"]

    def check(state: str) -> None:
        reports.append(inspect(page, "worker", state))

    page.goto(f"/cases/{case['id']}")
    follow(page, "Messages")
    expect(page.locator("h1")).to_have_text("Messages")
    expect(page).to_have_title(re.compile(r"^Messages - "))
    assert summary_value(page, "Consent to reminders") == "Given"
    assert summary_value(page, "Safe contact") == "By text to 07700 100123"
    assert summary_value(page, "Contact note") == "after 10am"
    assert summary_value(page, "Quiet hours") == "None recorded"
    rows = table_rows(page, "main")
    assert sorted(row[2] for row in rows) == [
        "Reminder (1d@10:00 before), in English",
        "Reminder (2h before), in English",
    ], rows
    assert {(row[1], row[3]) for row in rows} == {("Text", "Queued")}, rows
    check("messages")

    # Her quiet hours, the start typed as words and the end left out: refused, with what was typed kept.
    type_into(page, "#quiet_from", "evenings")
    send(page, "Save quiet hours")
    expect_error_summary(page, QUIET_FROM_ERROR, QUIET_TO_ERROR)
    expect(page.locator(".govuk-error-summary a[href='#quiet_from']")).to_have_count(1)
    expect(page.locator(".govuk-error-summary a[href='#quiet_to']")).to_have_count(1)
    expect(page.locator("#quiet_from")).to_have_value("evenings")
    expect(page.locator("#quiet_from-error")).to_contain_text(QUIET_FROM_ERROR)
    expect(page.locator("#quiet_to-error")).to_contain_text(QUIET_TO_ERROR)
    check("quiet hours as words")

    type_into(page, "#quiet_from", "21:00")
    type_into(page, "#quiet_to", "08:00")
    send(page, "Save quiet hours")
    expect(page).to_have_url(re.compile(f"/cases/{case['id']}/messages$"))
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Quiet hours saved.")
    assert summary_value(page, "Quiet hours") == "From 9pm to 8am (UK time)"
    expect(page.locator("#quiet_from")).to_have_value("21:00")
    expect(page.locator("#quiet_to")).to_have_value("08:00")
    check("quiet hours saved")

    # She replied STOP: her consent is withdrawn and her waiting reminders cancelled.
    send(page, "Record her STOP reply")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Her STOP reply is recorded: reminders are withdrawn and none will be sent."
    )
    assert summary_value(page, "Consent to reminders") == "Not given"
    rows = table_rows(page, "main")
    assert {(row[3], row[6]) for row in rows} == {("Cancelled", "She replied STOP")}, rows
    check("stop recorded")

    assert_clean(reports, "the case's messages")


def test_a_manager_sends_a_failed_message_again_and_a_second_tab_is_refused(
    role_pages: dict[str, Page], server
) -> None:
    page = role_pages["manager"]
    reports: list[PageReport] = []
    case = server.outcomes["cases"]["followed_up"]

    def check(on: Page, state: str) -> None:
        reports.append(inspect(on, "manager", state))

    page.goto("/home")
    follow(page, "Failed messages")
    expect(page.locator("h1")).to_have_text("Failed messages")
    rows = table_rows(page, "main")
    assert rows, "no failed message listed: the seed should have two"
    for row in rows:
        assert row[1:6] == ["Reminder to a client", "Text", "outbox", "1", "outbox_unwritable"], row
    # Nothing about her is shown: only a link to her case's messages.
    expect(page.locator("main")).not_to_contain_text("07700")
    links = page.locator(f"main a[href='/cases/{case['id']}/messages']")
    expect(links).to_have_count(len(rows))
    check(page, "failed messages")

    # A second tab, open on the same list.
    other = page.context.new_page()
    try:
        other.goto("/messages/failed")
        send_again = button_starting("Send again the message due ")
        sent = tab_to(page, send_again)["text"]
        press_to_navigate(page)
        expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
            "The message will be sent again at the next sweep."
        )
        expect(page.get_by_role("button", name=sent)).to_have_count(0)
        assert len(table_rows(page, "main")) == len(rows) - 1
        check(page, "sent again")

        # From the other tab, the same message again: refused, it is no longer failed.
        tab_to(other, lambda element: send_again(element) and element["text"] == sent)
        press_to_navigate(other)
        banner = other.locator(".govuk-notification-banner")
        expect(banner).to_contain_text("Only a failed message can be sent again")
        expect(banner).not_to_have_class(re.compile("govuk-notification-banner--success"))
        check(other, "sent again from a second tab")
    finally:
        other.close()

    # Her case's messages show it queued once more, its attempts reset.
    page.goto(f"/cases/{case['id']}/messages")
    statuses = {(row[3], row[5]) for row in table_rows(page, "main")}
    assert ("Queued", "0") in statuses, statuses

    assert_clean(reports, "the failed messages")


@pytest.mark.parametrize("role", ["court", "cps"])
def test_a_partner_chooses_to_be_emailed_about_outcome_notices(role_pages: dict[str, Page], role: str) -> None:
    page = role_pages[role]
    reports: list[PageReport] = []

    def check(state: str) -> None:
        reports.append(inspect(page, role, state))

    page.goto("/home")
    follow(page, "Email settings")
    expect(page.locator("h1")).to_have_text("Email settings")
    expect(page.locator("input[name=wanted]:checked")).to_have_count(1)
    check("email settings")

    # Sent with neither choice: the page always shows one chosen, so both are cleared here first.
    page.locator("input[name=wanted]").evaluate_all("(radios) => radios.forEach((radio) => (radio.checked = false))")
    send(page, "Save")
    expect_error_summary(page, "Select whether you want these emails")
    check("sent without a choice")

    choose_radio(page, "wanted", "Yes, email me")
    send(page, "Save")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Your email settings are saved.")
    expect(page.get_by_label("Yes, email me")).to_be_checked()
    check("saved")
    page.reload()
    expect(page.get_by_label("Yes, email me")).to_be_checked()

    assert_clean(reports, f"the {role} user's email settings")

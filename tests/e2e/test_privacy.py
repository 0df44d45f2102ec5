"""The data protection pages as two managers meet them in a real browser: the clients due for erasure and those under a
legal hold, a client's page with its hold, subject access exports and erasure request, the two-person rule and the
erasure certificate, the audit log search and its CSV, and the "Viewed by" tab of a case. Each page is checked with
axe-core (and the shape and branding checks) as shown and in its error states.

The clients are seeded for these tests alone (tests/e2e/server.py, ``_seed_privacy_cases``): the one erased here is
no other test's, and the request waiting for confirmation is left for the walk in test_pages.py to find.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e import server as e2e_server
from tests.e2e.checks import PageReport, assert_clean, expect_error_summary, inspect, path_of
from tests.e2e.conftest import STEP_TIMEOUT_MS
from tests.e2e.keyboard import choose_radio, follow, send, type_date
from tests.e2e.signing_in import ENROL_PATH, confirm_enrolment, leave_recovery_codes, submit_password

pytestmark = pytest.mark.e2e

LONDON = ZoneInfo("Europe/London")
MANAGER = e2e_server.ROLE_EMAILS["manager"]
SECOND_MANAGER = e2e_server.SECOND_MANAGER_EMAIL
# Pages name people; the audit log (searched by email) shows both.
MANAGER_NAME = e2e_server.ROLE_NAMES["manager"]
SECOND_MANAGER_NAME = e2e_server.SECOND_MANAGER_NAME
DUE, HELD = e2e_server.PRIVACY_CLIENTS["due"], e2e_server.PRIVACY_CLIENTS["held"]
DUE_CAPTION = "Clients past their retention period"
HELD_CAPTION = "Clients whose retention is paused"
PENDING_CAPTION = "Erasure requests waiting for confirmation"
CLIENT_PATH = re.compile(r"^/privacy/clients/[0-9a-f-]{36}$")
ERASURE_PATH = re.compile(r"/privacy/erasures/[0-9a-f-]{36}$")


@pytest.fixture(scope="module")
def second_manager(browser: Browser, server) -> Iterator[Page]:
    """A tab of the second manager, signed in for the first time (her authenticator set up) through the real pages."""
    context = browser.new_context(base_url=server.url)
    context.set_default_timeout(STEP_TIMEOUT_MS)
    try:
        page = context.new_page()
        submit_password(page, SECOND_MANAGER, e2e_server.PASSWORD)
        page.wait_for_url(f"**{ENROL_PATH}")
        confirm_enrolment(page)
        leave_recovery_codes(page)
        yield page
    finally:
        context.close()


def table(page: Page, caption: str) -> Locator:
    """The table with this caption."""
    return page.locator("main table", has=page.locator("caption", has_text=caption))


def summary_value(page: Page, key: str) -> Locator:
    """The value of a summary list's row, by its key."""
    return page.locator(
        ".govuk-summary-list__row", has=page.locator("dt", has_text=re.compile(rf"^\s*{key}\s*$"))
    ).locator("dd")


def open_listed_client(page: Page, caption: str, name: str) -> str:
    """From the data protection page, open the listed client (the lists name clients by id only) whose record is the
    named one; returns her page's path."""
    hrefs = listed_clients(page, caption)
    for href in hrefs:
        assert CLIENT_PATH.match(href), href
        page.goto(href)
        if summary_value(page, "Name").inner_text().strip() == name:
            return href
    raise AssertionError(f"{name} is not among the clients of the table {caption!r}: {hrefs}")


def listed_clients(page: Page, caption: str) -> list[str]:
    """The client pages a table of the data protection page links to, or none when the table is not there."""
    return table(page, caption).locator("a").evaluate_all("links => links.map((link) => link.getAttribute('href'))")


def make_export(page: Page, label: str) -> tuple[str, str, bytes]:
    """Choose a format of the subject access export and make it: the answer's content type, the file's suggested
    name and its bytes."""
    choose_radio(page, "fmt", label)
    with page.expect_response(re.compile(r"/export$")) as answer, page.expect_download() as download:
        page.get_by_role("button", name="Make the export").click()
    content = download.value.path().read_bytes()
    return answer.value.headers["content-type"], download.value.suggested_filename, content


def london_today_parts() -> tuple[int, int, int]:
    """Today in London, the app's today, as day, month and year."""
    today = datetime.now(LONDON).date()
    return today.day, today.month, today.year


# --- holding, exporting, and who has seen her case ---


def test_a_manager_holds_and_releases_a_client_due_for_erasure_exports_her_record_and_sees_who_viewed_her_case(
    role_pages: dict[str, Page],
) -> None:
    page = role_pages["manager"]
    reports: list[PageReport] = []

    def check(state: str) -> None:
        reports.append(inspect(page, "manager", state))

    page.goto("/home")
    follow(page, "Data protection")
    expect(page.locator("h1")).to_have_text("Data protection")
    expect(table(page, DUE_CAPTION)).to_be_visible()
    expect(table(page, HELD_CAPTION)).to_be_visible()
    pending = table(page, PENDING_CAPTION)
    expect(pending.locator("tbody tr", has_text=SECOND_MANAGER_NAME)).to_have_count(1)
    check("data protection")
    held_clients = listed_clients(page, HELD_CAPTION)

    # The seeded held client is listed as held, and her page offers to release the hold.
    open_listed_client(page, HELD_CAPTION, HELD)
    expect(summary_value(page, "Legal hold")).to_have_text("Yes: retention will not erase her")
    expect(page.get_by_role("button", name="Release the legal hold")).to_be_visible()

    page.goto("/privacy")
    client_path = open_listed_client(page, DUE_CAPTION, DUE)
    expect(page.locator("h1")).to_have_text("Her record: data protection")
    expect(summary_value(page, "Legal hold")).to_have_text("No")
    expect(summary_value(page, "Erased")).to_have_text("No")
    expect(table(page, "Her cases").locator("tbody tr")).to_have_count(1)
    expect(table(page, "Her cases").locator("tbody tr")).to_contain_text("Not completed")
    check("a client due for erasure")

    # A legal hold takes her off the clients due for erasure, onto those held; released, she is due again.
    send(page, "Put under legal hold")
    expect(page).to_have_url(re.compile(f"{re.escape(client_path)}$"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Legal hold set: retention will not erase her.")
    expect(summary_value(page, "Legal hold")).to_have_text("Yes: retention will not erase her")
    check("held")
    # While she is held, her record cannot be erased.
    choose_radio(page, "reason", "A duplicate record")
    send(page, "Ask for erasure")
    expect_error_summary(page, "She is under a legal hold: release the hold before asking for erasure")
    check("erasure asked for while held")
    page.goto("/privacy")
    assert client_path not in listed_clients(page, DUE_CAPTION)
    assert sorted(listed_clients(page, HELD_CAPTION)) == sorted([*held_clients, client_path])
    check("data protection, with her held")
    page.goto(client_path)
    send(page, "Release the legal hold")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Legal hold released.")
    expect(summary_value(page, "Legal hold")).to_have_text("No")
    check("released")
    page.goto("/privacy")
    assert client_path in listed_clients(page, DUE_CAPTION)
    assert client_path not in listed_clients(page, HELD_CAPTION)
    page.goto(client_path)

    # The subject access export, sent first with no format chosen.
    page.locator("input[name=fmt]:checked").evaluate("radio => { radio.checked = false; }")
    send(page, "Make the export")
    expect_error_summary(page, "Select the format")
    check("export sent without a format")
    content_type, name, body = make_export(page, "JSON (every field, for a machine)")
    assert content_type.startswith("application/json"), content_type
    assert name == f"subject-access-{client_path.rsplit('/', 1)[1]}.json", name
    # Her seeded name is in it (the export reads her encrypted identity).
    exported = json.dumps(json.loads(body))
    given, family = DUE.split(" ")
    assert given in exported, exported[:500]
    assert family in exported, exported[:500]
    content_type, name, body = make_export(page, "A readable PDF")
    assert content_type == "application/pdf", content_type
    assert name.endswith(".pdf"), name
    assert body.startswith(b"%PDF"), body[:20]

    # Her case, and who has viewed it: this manager, on the pages just opened.
    page.goto(client_path)
    table(page, "Her cases").locator("a").click()
    expect(page.locator("h1")).to_be_visible()
    follow(page, "Viewed by")
    expect(page.locator("h1")).to_have_text("Who has viewed this case")
    expect(page.locator(".moj-sub-navigation__link[aria-current=page]")).to_have_text("Viewed by")
    viewers = table(page, "Who has viewed this case").locator("tbody tr", has_text=MANAGER_NAME)
    expect(viewers).to_have_count(1)
    expect(viewers.locator("td").nth(1)).to_have_text("manager")
    check("viewed by")
    follow(page, "Every audit event about her")
    expect(page.locator("h1")).to_have_text("Audit log")
    expect(page.locator("#client_id")).to_have_value(client_path.rsplit("/", 1)[1])
    # Her hold, its release and both exports are among them, each by this manager.
    events = table(page, "Matching audit events")
    for action, times in (("client.legal_hold_set", 1), ("client.legal_hold_released", 1), ("client.exported", 2)):
        expect(events.locator("tbody tr", has_text=action)).to_have_count(times)
        expect(events.locator("tbody tr", has_text=action).first).to_contain_text(
            f"{MANAGER_NAME}, {MANAGER} (manager)"
        )
    check("audit events about her")

    assert_clean(reports, "holding, exporting and the viewed by tab")


# --- erasure: one manager asks, another confirms ---


def test_a_manager_asks_for_an_erasure_cannot_confirm_it_herself_and_a_second_manager_confirms_it(
    role_pages: dict[str, Page], second_manager: Page
) -> None:
    page = role_pages["manager"]
    reports: list[PageReport] = []

    def check(who: Page, state: str) -> None:
        reports.append(inspect(who, "manager" if who is page else "second manager", state))

    # The request the second manager made is waiting for another manager: this one may decide it (and leaves it).
    page.goto("/privacy")
    seeded = table(page, PENDING_CAPTION).locator("tbody tr", has_text=SECOND_MANAGER_NAME)
    expect(seeded).to_contain_text("A duplicate record")
    seeded.get_by_role("link", name=re.compile("^Decide")).click()
    expect(page.locator("h1")).to_have_text("Erasure request")
    expect(summary_value(page, "Status")).to_have_text("Waiting for another manager")
    expect(summary_value(page, "Asked for by")).to_contain_text(SECOND_MANAGER_NAME)
    expect(page.get_by_role("button", name="Confirm and erase")).to_be_visible()
    check(page, "a request of another manager")

    page.goto("/privacy")
    client_path = open_listed_client(page, DUE_CAPTION, DUE)
    client_id = client_path.rsplit("/", 1)[1]
    expect(page.locator(".govuk-warning-text")).to_contain_text("Erasure cannot be undone.")

    # Asked for with no reason, then with one.
    send(page, "Ask for erasure")
    expect_error_summary(page, "Select why her record is to be erased")
    expect(page.locator(".govuk-error-summary a[href='#reason']")).to_have_count(1)
    check(page, "erasure asked for without a reason")
    choose_radio(page, "reason", "She asked for her record to be erased")
    send(page, "Ask for erasure")
    expect(page).to_have_url(re.compile(f"{re.escape(client_path)}$"))
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Erasure requested. Another manager must confirm it."
    )
    expect(page.get_by_role("button", name="Ask for erasure")).to_have_count(0)
    expect(page.locator("main")).to_contain_text(f"{MANAGER_NAME} asked for her record to be erased on")
    check(page, "erasure asked for")

    # She cannot confirm her own request: refused, and her record is kept.
    follow(page, "Confirm or cancel the request")
    expect(page).to_have_url(ERASURE_PATH)
    erasure_path = path_of(page.url)
    expect(page.locator("h1")).to_have_text("Erasure request")
    expect(summary_value(page, "Client id")).to_have_text(client_id)
    expect(summary_value(page, "Asked for by")).to_contain_text(MANAGER_NAME)
    check(page, "her own request")
    send(page, "Confirm and erase")
    expect_error_summary(page, "The manager who asked for the erasure cannot confirm it: another manager must")
    expect(summary_value(page, "Status")).to_have_text("Waiting for another manager")
    check(page, "her own request, confirmed by her")
    page.goto(client_path)
    expect(summary_value(page, "Name")).to_have_text(DUE)
    expect(summary_value(page, "Erased")).to_have_text("No")

    # The second manager finds it waiting, asked for by the first, and confirms it.
    other = second_manager
    other.goto("/home")
    follow(other, "Data protection")
    waiting = table(other, PENDING_CAPTION).locator("tbody tr", has_text=MANAGER_NAME)
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text("She asked for her record to be erased")
    expect(waiting.get_by_role("link", name=re.compile("^Decide"))).to_have_attribute("href", erasure_path)
    check(other, "data protection, a request waiting")
    waiting.get_by_role("link", name=re.compile("^Decide")).click()
    expect(other.locator("h1")).to_have_text("Erasure request")
    send(other, "Confirm and erase")

    # The certificate: who asked, who confirmed, and the rows kept for reports.
    expect(other).to_have_url(re.compile(f"{re.escape(erasure_path)}$"))
    expect(other.locator(".govuk-notification-banner--success")).to_contain_text("Her record is erased.")
    expect(other.locator("h1")).to_have_text("Erasure certificate")
    expect(summary_value(other, "Status")).to_have_text("Confirmed: erased")
    expect(summary_value(other, "Asked for by")).to_contain_text(MANAGER_NAME)
    expect(summary_value(other, "Confirmed by")).to_contain_text(SECOND_MANAGER_NAME)
    kept = table(other, "Rows kept, by kind of record").locator("tbody tr")
    expect(kept).not_to_have_count(0)
    expect(other.get_by_role("button", name="Confirm and erase")).to_have_count(0)
    check(other, "erasure certificate")

    # Her page says she is erased and offers neither a hold nor another erasure; she is due no longer.
    page.goto(client_path)
    expect(summary_value(page, "Name")).to_have_text("Erased")
    expect(summary_value(page, "Erased")).not_to_have_text("No")
    expect(page.get_by_role("button", name="Put under legal hold")).to_have_count(0)
    expect(page.get_by_role("button", name="Ask for erasure")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("She asked for her record to be erased (confirmed)")
    check(page, "an erased client")
    page.goto("/privacy")
    assert client_path not in listed_clients(page, DUE_CAPTION)
    expect(table(page, PENDING_CAPTION).locator("tbody tr", has_text=MANAGER_NAME)).to_have_count(0)

    assert_clean(reports, "the erasure request, its refusal and its certificate")


# --- the audit log ---


def test_a_manager_searches_the_audit_log_and_downloads_the_events_as_csv(role_pages: dict[str, Page]) -> None:
    page = role_pages["manager"]
    reports: list[PageReport] = []

    def check(state: str) -> None:
        reports.append(inspect(page, "manager", state))

    page.goto("/home")
    follow(page, "Audit log")
    expect(page.locator("h1")).to_have_text("Audit log")
    # Nothing is searched until something is asked for.
    expect(page.locator("main h2")).to_have_count(0)
    check("audit log")

    # An impossible first day, then the last day before the first.
    day, month, year = london_today_parts()
    type_date(page, "from_date", 31, 2, year)
    send(page, "Search")
    expect_error_summary(page, "The first day must be a real date")
    expect(page.locator(".govuk-error-summary a[href='#from_date-day']")).to_have_count(1)
    expect(page.locator("#from_date-day")).to_have_value("31")
    expect(page.get_by_role("link", name="Download these events as CSV")).to_have_count(0)
    check("an impossible first day")
    type_date(page, "from_date", day, month, year)
    type_date(page, "to_date", 1, 1, year - 1)
    send(page, "Search")
    expect_error_summary(page, "The last day must be the same as or after the first day")
    check("the last day before the first")

    # Today's sign-ins of this manager.
    type_date(page, "to_date", day, month, year)
    page.locator("#user_email").fill(MANAGER)
    page.locator("#action").select_option("login.succeeded")
    send(page, "Search")
    expect(page.locator(".govuk-error-summary")).to_have_count(0)
    heading = page.locator("main h2")
    expect(heading).to_have_text(re.compile(r"^\d+ events?$"))
    shown = int(heading.inner_text().split(" ", 1)[0])
    assert shown >= 1, shown
    rows = table(page, "Matching audit events").locator("tbody tr")
    expect(rows).to_have_count(shown)
    for index in range(shown):
        expect(rows.nth(index).locator("td").nth(1)).to_have_text(f"{MANAGER_NAME}, {MANAGER} (manager)")
        expect(rows.nth(index).locator("td").nth(2)).to_have_text(re.compile(r"^login\.succeeded "))
    check("today's sign-ins of one manager")

    # The same events as CSV.
    href = page.get_by_role("link", name="Download these events as CSV").get_attribute("href")
    assert href
    assert href.startswith("/privacy/audit.csv?"), href
    answer = page.context.request.get(href)
    assert answer.status == 200, answer.status
    assert answer.headers["content-type"].startswith("text/csv"), answer.headers["content-type"]
    assert answer.headers["content-disposition"] == 'attachment; filename="audit-events.csv"'
    events = list(csv.DictReader(io.StringIO(answer.text())))
    assert len(events) == shown, (len(events), shown)
    assert {(event["user"], event["role"], event["action"]) for event in events} == {
        (MANAGER, "manager", "login.succeeded")
    }, events

    assert_clean(reports, "the audit log search")

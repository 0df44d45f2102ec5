"""The outcome pages as their users meet them in a real browser: a support worker records a follow-up review and
changes it, with the keyboard alone; a manager reads the dashboard (its charts and tables) and opens the cases
behind a figure; and makes the funder return, sent first with impossible dates, exported, printed and kept as a
snapshot that is then opened. Each page is checked with axe-core (and the shape and branding checks) as shown and
in its error states.

The records are seeded for these tests (tests/e2e/server.py, ``_seed_outcomes``): the review is recorded on a case
nothing else changes, and the snapshot kept here is of dates nobody else asks for, so the walk in test_pages.py and
these tests see what they expect whichever runs first.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Locator, Page, expect

from diversion.assessments.models import Domain
from diversion.outcomes.exports import FIGURE_COLUMNS
from tests.e2e.checks import PageReport, assert_clean, expect_error_summary, inspect, path_of
from tests.e2e.keyboard import (
    Focused,
    choose_option,
    choose_radio,
    follow,
    press_to_navigate,
    send,
    tab_to,
    type_date,
    type_into,
)

pytestmark = pytest.mark.e2e

LONDON = ZoneInfo("Europe/London")
DOMAINS = tuple(domain.value for domain in Domain)  # in the order the assessment page asks them
NEED_LABELS = ("0: No need", "1: Low need", "2: Medium need", "3: High need")
# The seeded assessments score every domain 5 (tests/factories.py, ``all_domains``).
ASSESSED_SCORE = 5
FIGURES = (
    "Referrals",
    "Women referred",
    "Opt-in rate",
    "Completion rate",
    "Non-attendance rate",
    "Median days from referral to completion",
    "Onward referrals made",
    "Onward referrals taken up",
    "Women with a safeguarding flag raised",
    "Cases reviewed",
)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def scoped(caption: str) -> re.Pattern[str]:
    """A caption as written, then what the figures count when the page names it (the manager's schemes:
    docs/organisations.md, "Reports")."""
    return re.compile(rf"^{re.escape(caption)}(, Whole organisation: .+|, [^,]+ scheme)?$")


def london_today() -> date:
    """Today in London, the app's today."""
    return datetime.now(LONDON).date()


def long_date(day: date) -> str:
    """A date as the pages write it in sentences: 9 March 2026."""
    return f"{day.day} {day:%B %Y}"


def this_quarter(today: date) -> tuple[date, date, str]:
    """The first and last days of the quarter today is in, and the quarter as the pages name it: October to
    December 2026."""
    first_month = (today.month - 1) // 3 * 3 + 1
    start = date(today.year, first_month, 1)
    end = date(today.year + first_month // 10, (first_month + 2) % 12 + 1, 1) - timedelta(days=1)
    return start, end, f"{start:%B} to {end:%B} {end.year}"


def table_rows(page: Page, selector: str) -> list[list[str]]:
    """The text of each body row's cells (header cells included), whitespace folded."""
    return page.locator(f"{selector} tbody tr").evaluate_all(
        """rows => rows.map((row) => Array.from(row.cells).map(
             (cell) => cell.innerText.replace(/\\s+/g, " ").trim()))"""
    )


def number(cell: str) -> int:
    """The number a table cell starts with (a link's visually hidden words follow it)."""
    match = re.match(r"\d+", cell)
    assert match, f"no number in {cell!r}"
    return int(match.group())


def link_ending(text: str) -> Callable[[Focused], bool]:
    """A predicate for a link whose text ends with ``text`` (its visually hidden part, after a number)."""

    def is_link(element: Focused) -> bool:
        return element["tag"] == "a" and element["text"].endswith(text)

    is_link.__doc__ = f"a link ending {text!r}"
    return is_link


def expect_image_drawn(image: Locator) -> None:
    """The image has loaded and has a size: the browser could draw what it was sent."""
    width = image.evaluate(
        """(image) => image.complete ? image.naturalWidth : new Promise((resolve) => {
             image.addEventListener("load", () => resolve(image.naturalWidth));
             image.addEventListener("error", () => resolve(0));
           })"""
    )
    assert width > 0, f"the image {image.get_attribute('src')} did not load"


# --- a follow-up review, by a support worker ---


def fill_review(page: Page, scores: dict[str, int]) -> None:
    """Each domain's need (0 to 3 in turn) and wellbeing score, chosen with the keyboard."""
    for position, domain in enumerate(DOMAINS):
        choose_radio(page, f"{domain}_need", NEED_LABELS[position % 4])
        choose_option(page, f"#{domain}_score", str(scores[domain]))


def signed(change: int) -> str:
    """A change in points as the reviews table writes it."""
    return f"+{change}" if change > 0 else str(change)


def test_a_worker_records_a_follow_up_review_and_changes_it_with_the_keyboard(
    role_pages: dict[str, Page], server
) -> None:
    page = role_pages["worker"]
    reports: list[PageReport] = []
    case = server.outcomes["cases"]["to_review"]
    today = london_today()

    def check(state: str) -> None:
        reports.append(inspect(page, "worker", state))

    page.goto(f"/cases/{case['id']}")
    follow(page, "Reviews")
    expect(page.locator("h1")).to_have_text("Reviews")
    expect(page.locator("main")).to_contain_text("No reviews yet.")
    check("no reviews")

    follow(page, "Record a review")
    expect(page.locator("h1")).to_have_text("Record a review")
    check("new review")
    # Sent with a date to come and no domain scored: every domain is asked for, the date is kept.
    tomorrow = today + timedelta(days=1)
    type_date(page, "reviewed_on", tomorrow.day, tomorrow.month, tomorrow.year)
    send(page, "Save review")
    expect_error_summary(
        page,
        "Select the need level for accommodation",
        "Give a wellbeing score from 1 to 10 for accommodation",
        "Give a wellbeing score from 1 to 10 for involvement in prostitution and exiting",
    )
    expect(page.locator(".govuk-error-summary__list li")).to_have_count(2 * len(DOMAINS))
    expect(page.locator("#reviewed_on-day")).to_have_value(str(tomorrow.day))
    check("sent without scores")

    # Every domain scored, the date still to come: refused, and what was chosen stays.
    scores = {domain: position % 9 + 1 for position, domain in enumerate(DOMAINS)}
    fill_review(page, scores)
    send(page, "Save review")
    expect_error_summary(page, "The date of the review must be today or in the past")
    expect(page.locator("input[name=drugs_need][value='1']")).to_be_checked()
    expect(page.locator("#exiting_score")).to_have_value(str(scores["exiting"]))
    check("sent with a date to come")

    type_date(page, "reviewed_on", today.day, today.month, today.year)
    type_into(page, "#notes", "Back in touch with her sister.")
    send(page, "Save review")
    expect(page.locator("h1")).to_have_text("Reviews")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Review saved.")
    expect(page.locator("main h2", has_text="Review of")).to_have_text(f"Review of {long_date(today)}")
    rows = table_rows(page, "main")
    assert len(rows) == len(DOMAINS), rows
    assert rows[0] == ["Accommodation", str(ASSESSED_SCORE), "1", signed(1 - ASSESSED_SCORE)], rows[0]
    assert [row[3] for row in rows] == [signed(scores[domain] - ASSESSED_SCORE) for domain in DOMAINS], rows
    expect(page.locator("main")).to_contain_text("Back in touch with her sister.")
    check("review saved")

    # Changed: the form opens with what was saved; one score changed.
    follow(page, f"Change the review of {long_date(today)}")
    expect(page.locator("h1")).to_have_text("Change the review")
    expect(page.locator("#reviewed_on-day")).to_have_value(str(today.day))
    expect(page.locator("input[name=alcohol_need][value='2']")).to_be_checked()
    expect(page.locator("#accommodation_score")).to_have_value("1")
    check("change the review")
    choose_option(page, "#accommodation_score", "9")
    send(page, "Save review")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Review saved.")
    rows = table_rows(page, "main")
    assert rows[0] == ["Accommodation", str(ASSESSED_SCORE), "9", signed(9 - ASSESSED_SCORE)], rows[0]
    expect(page.locator("main h2", has_text="Review of")).to_have_count(1)

    assert_clean(reports, "the review pages")


# --- the dashboard and the cases behind a figure, by a manager ---


def test_a_manager_reads_the_dashboard_and_opens_the_cases_behind_a_figure(role_pages: dict[str, Page], server) -> None:
    page = role_pages["manager"]
    reports: list[PageReport] = []
    followed_up = server.outcomes["cases"]["followed_up"]
    _, _, quarter = this_quarter(london_today())

    page.goto("/home")
    follow(page, "Outcomes")
    expect(page.locator("h1 .govuk-caption-m")).to_have_text(scoped(f"{quarter}, all courts"))
    expect(page).to_have_title(
        re.compile(rf"^Outcomes: {re.escape(quarter)}, all courts(, Whole organisation: [^-]+)? - ")
    )

    # The charts are images the browser draws, each with its own address and a text alternative.
    charts = page.locator("main img")
    expect(charts).to_have_count(2)
    expect(charts.nth(0)).to_have_attribute("alt", re.compile(r"^Bar chart of referrals by month, "))
    expect(charts.nth(1)).to_have_attribute("alt", re.compile(r"^Line chart of the completion rate by month, "))
    for index in range(2):
        expect_image_drawn(charts.nth(index))
        src = charts.nth(index).get_attribute("src")
        assert src
        answer = page.context.request.get(src)
        assert answer.status == 200, (src, answer.status)
        assert answer.headers["content-type"].startswith("image/svg+xml"), answer.headers["content-type"]

    # The tables: every figure, each domain's distance travelled, and a row for each month of the quarter.
    figures = {row[0]: row for row in table_rows(page, "#figures")}
    assert tuple(figures) == FIGURES, list(figures)
    assert number(figures["Cases reviewed"][1]) >= 1, figures["Cases reviewed"]
    assert number(figures["Referrals"][1]) >= 1, figures["Referrals"]
    distance = table_rows(page, "#distance")
    assert len(distance) == len(DOMAINS), distance
    assert len(table_rows(page, "#months")) == 3
    expect(page.locator("#definition dt")).not_to_have_count(0)
    reports.append(inspect(page, "manager", "dashboard"))

    # The cases behind a figure: the seeded reviewed case is one of them, and opening the list is audited.
    tab_to(page, link_ending("(cases reviewed: show the cases)"))
    press_to_navigate(page)
    expect(page.locator("h1")).to_contain_text("Cases behind: Cases reviewed")
    expect(page.locator("h1 .govuk-caption-m")).to_have_text(scoped(f"{quarter}, all courts"))
    total = page.locator("#total")
    expect(total).to_have_text(re.compile(r"^\d+ cases?\. Opening this list is recorded in the audit log\.$"))
    shown = int(total.inner_text().split(" ", 1)[0])
    assert shown == number(figures["Cases reviewed"][1]), (shown, figures["Cases reviewed"])
    expect(page.locator("#cases tbody tr")).to_have_count(shown)
    expect(page.locator(f"#cases a[href='/cases/{followed_up['id']}']")).to_have_count(1)
    reports.append(inspect(page, "manager", "cases behind a figure"))

    # One domain's cases, from the distance travelled table.
    follow(page, "Outcomes", backwards=True)
    expect(page.locator("h1 .govuk-caption-m")).to_have_text(scoped(f"{quarter}, all courts"))
    tab_to(page, link_ending("(cases reviewed, accommodation: show the cases)"))
    press_to_navigate(page)
    expect(page.locator("h1")).to_contain_text("Cases behind: Cases reviewed, Accommodation")
    expect(page.locator(f"#cases a[href='/cases/{followed_up['id']}']")).to_have_count(1)
    reports.append(inspect(page, "manager", "cases behind a figure, one domain"))

    assert_clean(reports, "the dashboard and its drill-down")


# --- the funder return, by a manager ---


def expect_export(page: Page, name: str, content_type: str, extension: str) -> bytes:
    """The export link answers with a file of its type, to be saved under a name of the period and the courts."""
    href = page.get_by_role("link", name=name).get_attribute("href")
    assert href
    answer = page.context.request.get(href)
    assert answer.status == 200, (href, answer.status)
    assert answer.headers["content-type"].startswith(content_type), answer.headers["content-type"]
    disposition = answer.headers["content-disposition"]
    assert re.fullmatch(
        rf'attachment; filename="funder-return-\d{{4}}-\d\d-\d\d-to-\d{{4}}-\d\d-\d\d-all-courts\.{extension}"',
        disposition,
    ), disposition
    return answer.body()


def test_a_manager_makes_the_funder_return_exports_it_and_keeps_a_snapshot(role_pages: dict[str, Page], server) -> None:
    page = role_pages["manager"]
    reports: list[PageReport] = []
    today = london_today()
    quarter_start, quarter_end, quarter = this_quarter(today)

    def check(state: str) -> None:
        reports.append(inspect(page, "manager", state))

    page.goto("/outcomes")
    follow(page, "Make the funder return")
    expect(page.locator("h1 .govuk-caption-m")).to_have_text(scoped(f"{quarter}, all courts"))
    names = page.locator(".app-indicator caption").all_inner_texts()
    assert names, "no indicator on the funder return"
    expect(page.locator("#suppression")).to_contain_text("Small numbers are suppressed")
    # The snapshot seeded for this quarter is listed.
    seeded = f"/outcomes/snapshots/{server.outcomes['snapshot']}"
    expect(page.locator(f"#snapshots a[href='{seeded}']")).to_have_count(1)
    check("funder return")
    quarter_path = path_of(page.url)

    # The exports: a CSV and a spreadsheet of the same return.
    body = expect_export(page, "Download the return (CSV)", "text/csv", "csv").decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(body)))
    assert header == list(FIGURE_COLUMNS), header
    assert {row[1] for row in rows} == {name.strip() for name in names}, rows
    at = {name: header.index(name) for name in ("from", "to", "court")}
    assert {(row[at["from"]], row[at["to"]], row[at["court"]]) for row in rows} == {
        (quarter_start.isoformat(), quarter_end.isoformat(), "All courts")
    }, rows[:3]
    # What the figures count: the manager's whole organisation (docs/organisations.md, "Reports").
    assert {row[header.index("scope")] for row in rows} == {"Whole organisation: Main organisation"}, rows[:3]
    assert expect_export(page, "Download the return (Excel, XLSX)", XLSX_TYPE, "xlsx").startswith(b"PK")

    # The printable return: the same indicators, and no filters.
    follow(page, "Printable return (print or save as PDF)")
    expect(page.locator("h1")).to_contain_text("Funder return")
    expect(page.locator("h1 .govuk-caption-m")).to_have_text(scoped(f"{quarter}, all courts"))
    expect(page.locator(".app-indicator")).to_have_count(len(names))
    expect(page.locator("main form")).to_have_count(0)
    check("printable return")
    page.goto(quarter_path)

    # The seeded snapshot, run again.
    follow(page, page.locator(f"#snapshots a[href='{seeded}']").inner_text())
    expect(page.locator("h1")).to_contain_text("Snapshot of the funder return")
    expect(page.locator("h1 .govuk-caption-m")).to_have_text(scoped(quarter))
    expect(page.locator("#rerun")).to_be_visible()
    check("a seeded snapshot run again")

    # Dates of one's own: sent first as impossible dates.
    page.goto(quarter_path)
    follow(page, "Dates you choose", backwards=True)
    type_date(page, "start", 31, 2, today.year)
    type_date(page, "end", 30, 2, today.year)
    send(page, "Show figures")
    expect_error_summary(page, "The start date must be a real date", "The end date must be a real date")
    expect(page.locator("#start-day")).to_have_value("31")
    expect(page.locator(".app-indicator")).to_have_count(0)
    expect(page.locator("#exports")).to_have_count(0)
    check("impossible dates")

    type_date(page, "start", quarter_start.day, quarter_start.month, quarter_start.year)
    type_date(page, "end", today.day, today.month, today.year)
    send(page, "Show figures")
    period = f"{long_date(quarter_start)} to {long_date(today)}"
    expect(page.locator("h1 .govuk-caption-m")).to_have_text(scoped(f"{period}, all courts"))
    expect(page.locator(".app-indicator")).to_have_count(len(names))
    expect(page.locator("main")).to_contain_text("None kept yet.")
    custom_path = path_of(page.url)
    check("dates you choose")

    # Kept, and run again at once: identical.
    send(page, "Keep a snapshot of this return")
    expect(page).to_have_url(re.compile(r"/outcomes/snapshots/[0-9a-f-]{36}$"))
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Snapshot kept.")
    expect(page.locator("h1 .govuk-caption-m")).to_have_text(scoped(period))
    expect(page.locator("#rerun")).to_contain_text("Identical")
    check("snapshot kept")
    kept = path_of(page.url)

    page.goto(custom_path)
    expect(page.locator("#snapshots a")).to_have_count(1)
    expect(page.locator("#snapshots a")).to_have_attribute("href", kept)

    assert_clean(reports, "the funder return and its snapshots")

"""The partners' pages as their users meet them in a real browser: the court's court-day list, the CPS's notices and
acknowledgement, and the completion report for a manager and for a court user. Each page is checked with axe-core
(and the shape and branding checks) as shown and in its error states.

The cases are seeded for these tests (tests/e2e/server.py, ``_seed_partner_cases``); the one notice acknowledged
here is seeded for that alone, so the walk in test_pages.py still finds new notices to open, whichever runs first.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import server as e2e_server
from tests.e2e.checks import PageReport, assert_clean, expect_error_summary, inspect, path_of
from tests.e2e.keyboard import (
    Focused,
    choose_option,
    choose_radio,
    follow,
    link,
    press_to_navigate,
    send,
    tab_to,
    type_date,
)

pytestmark = pytest.mark.e2e

LONDON = ZoneInfo("Europe/London")
FIRST_COURT, SECOND_COURT = e2e_server.COURTS
STATE_LABELS = {
    "NOT_COMPLETED": "Not completed",
    "COMPLETED": "Completed",
    "WITHDRAWN": "Withdrawn",
    "ASSESSED": "Assessed",
    "OPTED_IN": "Opted in",
}
# What the court-day list says of each seeded case's appointments and notice.
APPOINTMENTS = {
    "not_completed": "^No appointments$",
    "completed": "^Appointment 1: attended Appointment 2: attended$",
    "withdrawn": "^No appointments$",
    # A time as GOV.UK writes it: 10am, 10:30am, midday, midnight (diversion/dates.py).
    "assessed": r"^Appointment 1: attended Appointment 2: booked for \d{1,2} \w{3} \d{4}, "
    r"(\d{1,2}(:\d{2})?[ap]m|midday|midnight)$",
    "later": "^No appointments$",
}
NOTICES = {
    "not_completed": "Not completed",
    "completed": "Completed",
    "withdrawn": "Withdrawn",
    "assessed": "None yet",
    "later": "None yet",
}
# What hides when the page is printed (base.html's print rules), and what must still print.
NOT_PRINTED = (".govuk-service-navigation", ".govuk-footer", ".govuk-skip-link", ".app-no-print")
FIGURE_LABELS = ("Referred", "Declined", "Opted in", "Completed", "Not completed", "Withdrawn", "In progress")
CSV_LINK = "Download these figures (CSV)"


def long_date(day: date) -> str:
    """A date as the pages write it in sentences: 9 March 2026."""
    return f"{day.day} {day:%B %Y}"


def short_date(day: date) -> str:
    """A date as the pages write it in tables: 9 Mar 2026."""
    return f"{day.day} {day:%b %Y}"


def folded(text: str) -> str:
    """Text with its runs of white space made single spaces, as a reader sees it."""
    return re.sub(r"\s+", " ", text).strip()


def london_today() -> date:
    """Today in London, the app's today."""
    return datetime.now(LONDON).date()


def seeded(server) -> dict[str, dict]:
    """The partners' seeded cases by their key."""
    return {case["key"]: case for case in server.partners["cases"]}


def seeded_day(server, name: str) -> date:
    """One of the seeded days (the court day, or the later one)."""
    return date.fromisoformat(server.partners[name])


def table_rows(page: Page, selector: str) -> list[list[str]]:
    """The text of each body row's cells (header cells included), whitespace folded."""
    return page.locator(f"{selector} tbody tr").evaluate_all(
        """rows => rows.map((row) => Array.from(row.cells).map(
             (cell) => cell.innerText.replace(/\\s+/g, " ").trim()))"""
    )


def link_starting(text: str) -> Callable[[Focused], bool]:
    """A predicate for a link whose text starts with ``text`` (a tab whose count changes)."""

    def is_link(element: Focused) -> bool:
        return element["tag"] == "a" and element["text"].startswith(text)

    is_link.__doc__ = f"a link starting {text!r}"
    return is_link


@pytest.fixture
def print_media(role_pages: dict[str, Page]) -> Iterator[None]:
    """The tabs are shared by every test: whatever a test emulates, each goes back to the browser's own media after
    it, even when it fails while printing."""
    yield
    for page in role_pages.values():
        page.emulate_media(media="null")


def expect_printed_without_navigation(page: Page, *printed: str) -> None:
    """Shown on screen, the navigation and the page's controls hide when printed; the content named stays."""
    for selector in NOT_PRINTED[:2]:
        expect(page.locator(selector).first).to_be_visible()
    page.emulate_media(media="print")
    for selector in NOT_PRINTED:
        hidden = page.locator(selector)
        for index in range(hidden.count()):
            expect(hidden.nth(index)).to_be_hidden()
    for selector in printed:
        expect(page.locator(selector).first).to_be_visible()
    page.emulate_media(media="screen")


# --- the court-day list ---


def test_the_court_sees_its_cases_for_the_day_chooses_another_day_and_prints_the_list(
    role_pages: dict[str, Page], server, print_media
) -> None:
    page = role_pages["court"]
    reports: list[PageReport] = []
    cases = seeded(server)
    court_day = seeded_day(server, "court_day")
    later_day = seeded_day(server, "later_day")

    response = page.goto(f"/court-day?date={court_day.isoformat()}")
    assert response is not None
    assert response.status == 200
    expect(page.locator("h1")).to_have_text(f"Diversion cases returning on {long_date(court_day)}")
    expect(page).to_have_title(re.compile(f"^Court day list, {long_date(court_day)} - "))
    reports.append(inspect(page, "court", "court day"))

    # Every case of the court returning that day, and only those: the other court's case is not there.
    rows = {row[0]: row for row in table_rows(page, "main")}
    wanted = ("not_completed", "completed", "withdrawn", "assessed")
    assert sorted(rows) == sorted(cases[key]["name"] for key in wanted), rows
    assert cases["other_court"]["name"] not in page.locator("main").inner_text()
    for key in wanted:
        case = cases[key]
        _, born, urn, court, appointments, state, notice = rows[case["name"]]
        assert born == short_date(date.fromisoformat(case["date_of_birth"])), (key, born)
        assert urn == case["urn"], (key, urn)
        assert court == FIRST_COURT[0], (key, court)
        assert re.fullmatch(APPOINTMENTS[key], appointments), (key, appointments)
        assert state == STATE_LABELS[case["state"]], (key, state)
        assert notice == NOTICES[key], (key, notice)
    counted, _, counts = folded(page.locator("main p", has_text="cases:").inner_text()).partition(": ")
    assert counted == "4 cases", counted
    assert sorted(counts.rstrip(".").split(", ")) == ["assessed 1", "completed 1", "not completed 1", "withdrawn 1"]
    # Each name opens the case's status page, the court's view of it.
    expect(page.get_by_role("link", name=cases["completed"]["name"])).to_have_attribute(
        "href", re.compile(r"^/cases/[0-9a-f-]{36}/status$")
    )

    # Printed for the bench: no navigation, no day picker, the list itself.
    expect_printed_without_navigation(page, "main h1", "main table")

    # Another day, chosen with the form by keyboard.
    type_date(page, "day", later_day.day, later_day.month, later_day.year)
    send(page, "Show that day")
    expect(page.locator("h1")).to_have_text(f"Diversion cases returning on {long_date(later_day)}")
    later = table_rows(page, "main")
    case = cases["later"]
    assert later == [
        [
            case["name"],
            short_date(date.fromisoformat(case["date_of_birth"])),
            case["urn"],
            FIRST_COURT[0],
            "No appointments",
            STATE_LABELS[case["state"]],
            NOTICES["later"],
        ]
    ], later
    expect(page.locator("main")).to_contain_text("1 case: opted in 1.")
    reports.append(inspect(page, "court", "another day"))

    # The day before it, from the link: a day with no cases says so.
    tab_to(page, link_starting("Previous day"), backwards=True)
    press_to_navigate(page)
    expect(page.locator("h1")).to_have_text(f"Diversion cases returning on {long_date(later_day - timedelta(days=1))}")
    expect(page.locator("main")).to_contain_text("No diversion cases return on this day.")
    expect(page.locator("main table")).to_have_count(0)
    reports.append(inspect(page, "court", "a day with no cases"))

    assert_clean(reports, "the court-day list")


def test_the_court_day_list_of_a_manager_has_every_courts_cases(role_pages: dict[str, Page], server) -> None:
    page = role_pages["manager"]
    cases = seeded(server)
    page.goto(f"/court-day?date={seeded_day(server, 'court_day').isoformat()}")

    rows = {row[0]: row for row in table_rows(page, "main")}
    for key in ("not_completed", "completed", "withdrawn", "assessed", "other_court"):
        assert cases[key]["name"] in rows, (key, sorted(rows))
    assert rows[cases["other_court"]["name"]][3] == SECOND_COURT[0]


def test_an_impossible_day_on_the_court_day_list_is_refused_with_an_error_summary(
    role_pages: dict[str, Page], server
) -> None:
    page = role_pages["court"]
    court_day = seeded_day(server, "court_day")
    page.goto(f"/court-day?date={court_day.isoformat()}")

    type_date(page, "day", 31, 2, court_day.year)
    send(page, "Show that day")

    expect_error_summary(page, "must be a real date")
    expect(page.locator("#day-day")).to_have_value("31")
    assert_clean([inspect(page, "court", "an impossible day")], "the court-day list with an impossible day")


# --- the CPS's notices ---


def test_the_cps_acknowledges_a_new_notice_and_it_moves_to_the_acknowledged_tab(
    role_pages: dict[str, Page], server, print_media
) -> None:
    page = role_pages["cps"]
    reports: list[PageReport] = []
    case = seeded(server)["to_acknowledge"]
    outcome_day = seeded_day(server, "court_day")
    sentence = (
        f"{case['name']} completed the diversion scheme on {long_date(outcome_day)}. The CPS may discontinue the case."
    )

    page.goto("/home")
    follow(page, "Notices")
    expect(page.locator("h1")).to_have_text("Outcome notices")
    expect(page.locator(".moj-sub-navigation__link[aria-current=page]")).to_have_text(re.compile(r"^New \(\d+\)$"))
    rows = {row[0]: row for row in table_rows(page, "main")}
    assert sentence in rows, sorted(rows)
    assert rows[sentence][1:4] == [
        case["urn"],
        short_date(date.fromisoformat(case["date_of_birth"])),
        f"{FIRST_COURT[0]} ({FIRST_COURT[1]})",  # the code, with the court's name for screen readers
    ], rows[sentence]
    assert rows[sentence][5] == "Awaiting decision"
    reports.append(inspect(page, "cps", "new notices"))

    follow(page, sentence)
    expect(page.locator("h1")).to_have_text("Outcome notice")
    main = page.locator("main")
    expect(main).to_contain_text(sentence)
    expect(page.locator(".govuk-summary-list__row", has_text="CPS decision")).to_contain_text("Awaiting decision")
    reports.append(inspect(page, "cps", "new notice"))
    notice_path = path_of(page.url)

    # The printable notice: the page prints without navigation or links; the letter is a real PDF.
    expect_printed_without_navigation(page, "main h1", "main .govuk-summary-list")
    letter = page.get_by_role("link", name="Download as a PDF letter")
    href = letter.get_attribute("href")
    assert href == f"{notice_path}/letter.pdf", href
    pdf = page.context.request.get(href)
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF"), pdf.body()[:20]

    # Sent without a decision, then with a date still to come, then as it should be.
    follow(page, "Record the CPS decision")
    expect(page.locator("h1")).to_have_text("Record the CPS decision")
    expect(main).to_contain_text(sentence)
    reports.append(inspect(page, "cps", "acknowledge"))
    today = london_today()
    for part, value in (("day", today.day), ("month", today.month), ("year", today.year)):
        # The date of the decision starts as today.
        expect(page.locator(f"#decided_on-{part}")).to_have_value(str(value))
    send(page, "Record decision")
    expect_error_summary(page, "Select the decision")
    reports.append(inspect(page, "cps", "sent without a decision"))

    choose_radio(page, "decision", "Discontinue the case")
    tomorrow = today + timedelta(days=1)
    type_date(page, "decided_on", tomorrow.day, tomorrow.month, tomorrow.year)
    send(page, "Record decision")
    expect_error_summary(page, "The date of the decision must be today or in the past")
    expect(page.locator("input[name=decision][value=discontinued]")).to_be_checked()
    reports.append(inspect(page, "cps", "sent with a date to come"))

    # A second tab, left open on the form before the decision is recorded in the first.
    second_tab = page.context.new_page()
    second_tab.goto(f"{notice_path}/acknowledge")
    expect(second_tab.locator("h1")).to_have_text("Record the CPS decision")

    type_date(page, "decided_on", today.day, today.month, today.year)
    send(page, "Record decision")
    expect(page).to_have_url(re.compile(f"{re.escape(notice_path)}$"))
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Decision recorded.")
    expect(page.locator(".govuk-summary-list__row", has_text="CPS decision")).to_contain_text(
        f"Discontinued on {long_date(today)}"
    )
    deadline = today + timedelta(days=35)
    expect(main).to_contain_text(
        f"The case was discontinued on {long_date(today)}. She may ask for the proceedings to continue until "
        f"{long_date(deadline)} (35 days)."
    )
    # Acknowledged once: the page no longer offers the form.
    expect(page.get_by_role("link", name="Record the CPS decision")).to_have_count(0)
    expect(page.get_by_role("link", name="Download as a PDF letter")).to_have_count(1)
    reports.append(inspect(page, "cps", "acknowledged"))

    # The inbox: gone from the new notices, on the acknowledged tab with its decision.
    follow(page, "Notices", backwards=True)
    expect(page.get_by_role("link", name=sentence)).to_have_count(0)
    tab_to(page, link_starting("Acknowledged ("))
    press_to_navigate(page)
    expect(page.locator(".moj-sub-navigation__link[aria-current=page]")).to_have_text(
        re.compile(r"^Acknowledged \(\d+\)$")
    )
    rows = {row[0]: row for row in table_rows(page, "main")}
    assert sentence in rows, sorted(rows)
    assert rows[sentence][5] == f"Discontinued on {long_date(today)}"
    reports.append(inspect(page, "cps", "acknowledged notices"))

    # Sent again from the second tab, the decision is refused and kept.
    try:
        choose_radio(second_tab, "decision", "The prosecution proceeds")
        send(second_tab, "Record decision")
        expect_error_summary(second_tab, "This notice has already been acknowledged")
        reports.append(inspect(second_tab, "cps", "sent again"))
    finally:
        second_tab.close()
    # Opened again from its address, the form is not offered: the notice says it is decided.
    page.goto(f"{notice_path}/acknowledge")
    expect(page).to_have_url(re.compile(f"{re.escape(notice_path)}$"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("This notice has already been acknowledged.")
    reports.append(inspect(page, "cps", "opened again"))
    expect(page.locator(".govuk-summary-list__row", has_text="CPS decision")).to_contain_text(
        f"Discontinued on {long_date(today)}"
    )

    assert_clean(reports, "the notices and their acknowledgement")


# --- the completion report ---

# The figures counted by outcome or consent date: every seeded case reached its outcome today, so a month, a quarter
# and dates from the first of the month to today count them alike (referrals count by an earlier date).
TODAYS_FIGURES = ("Opted in", "Completed", "Not completed", "Withdrawn")


def shown_figures(page: Page) -> dict[str, int]:
    """The figures table: each figure's label and number of cases, in the order shown."""
    rows = table_rows(page, "#figures")
    assert [row[0] for row in rows] == list(FIGURE_LABELS), rows
    return {label: int(cases) for label, cases, _ in rows}


def todays(figures: dict[str, int]) -> dict[str, int]:
    """The figures that count by a date the seeded cases share (today)."""
    return {label: figures[label] for label in TODAYS_FIGURES}


def expect_rate(page: Page, figures: dict[str, int]) -> None:
    """The completion rate and the sentence under it agree with the figures table."""
    finished = figures["Completed"] + figures["Not completed"] + figures["Withdrawn"]
    assert finished, "no finished case in the period: the seed should have some"
    # Rounded once to three places, then shown as a percentage, as the page does.
    rate = round(figures["Completed"] / finished, 3)
    expect(page.locator("#completion-rate")).to_have_text(f"{rate * 100:.1f}%")
    cases = "case" if finished == 1 else "cases"
    expect(page.locator("main")).to_contain_text(f"{figures['Completed']} of {finished} finished {cases} completed.")


def expect_caption(page: Page, period: str, court: str) -> None:
    """The heading names the period and the court."""
    # A manager's report names what it counts after them (docs/organisations.md, "Reports").
    scope = r"(, Whole organisation: [^-]+)?"
    expect(page.locator("h1 .govuk-caption-m")).to_have_text(re.compile(rf"^{re.escape(f'{period}, {court}')}{scope}$"))
    expect(page).to_have_title(re.compile(rf"^Completion report: {re.escape(period)}, {re.escape(court)}{scope} - "))


def expect_chart_drawn(page: Page) -> None:
    """The chart image has loaded and has a size: the browser could draw the SVG it was sent."""
    chart = page.locator("main img")
    expect(chart).to_have_attribute("alt", re.compile(r"^Bar chart of finished cases by month"))
    width = chart.evaluate(
        """(image) => image.complete ? image.naturalWidth : new Promise((resolve) => {
             image.addEventListener("load", () => resolve(image.naturalWidth));
             image.addEventListener("error", () => resolve(0));
           })"""
    )
    assert width > 0, f"the chart {chart.get_attribute('src')} did not load"


def expect_months_add_up(page: Page, figures: dict[str, int]) -> None:
    """The table beside the chart has a row per month whose finished cases add up to the figures."""
    months = table_rows(page, "#months")
    assert months, "no months beside the chart"
    for position, label in ((1, "Completed"), (2, "Not completed"), (3, "Withdrawn")):
        assert sum(int(row[position]) for row in months) == figures[label], (label, months)


def expect_csv(page: Page, start: date, end: date, court: str, figures: dict[str, int]) -> None:
    """The CSV link answers text/csv with the same figures, and following it with the keyboard downloads a file."""
    href = page.get_by_role("link", name=CSV_LINK).get_attribute("href")
    assert href
    response = page.context.request.get(href)
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/csv"), response.headers["content-type"]
    header, row = list(csv.reader(io.StringIO(response.text())))
    values = dict(zip(header, row, strict=True))
    assert (values["from"], values["to"], values["court"]) == (start.isoformat(), end.isoformat(), court), values
    keys = {"Referred": "referred", "Declined": "declined", "Opted in": "opted_in", "Completed": "completed"}
    keys |= {"Not completed": "not_completed", "Withdrawn": "withdrawn", "In progress": "in_progress"}
    assert {label: int(values[key]) for label, key in keys.items()} == figures, values

    tab_to(page, link(CSV_LINK))
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    name = download.value.suggested_filename
    assert re.fullmatch(rf"completion-{start.isoformat()}-to-{end.isoformat()}-[\w-]+\.csv", name), name
    assert download.value.path().read_text().startswith("from,to,court,"), name


def walk_the_report(page: Page, who: str, court: str, reports: list[PageReport]) -> dict[str, int]:
    """From the navigation: the quarter, a month and dates of one's own (sent first as impossible dates, then the
    wrong way round), each with its figures, chart and CSV checked; returns the quarter's figures."""
    today = london_today()
    first_month = (today.month - 1) // 3 * 3 + 1
    quarter_start = date(today.year, first_month, 1)
    quarter_end = date(today.year + first_month // 10, (first_month + 2) % 12 + 1, 1) - timedelta(days=1)
    quarter = f"{quarter_start:%B} to {quarter_end:%B} {quarter_end.year}"
    month_start = today.replace(day=1)

    def check(state: str) -> None:
        reports.append(inspect(page, who, state))

    # The current quarter, as the report opens.
    expect_caption(page, quarter, court)
    expect(page.locator(".moj-sub-navigation__link[aria-current=page]")).to_have_text("Quarter")
    quarter_figures = shown_figures(page)
    expect_rate(page, quarter_figures)
    expect_chart_drawn(page)
    expect_months_add_up(page, quarter_figures)
    check(f"quarter, {court}")

    # A month.
    follow(page, "Month", backwards=True)
    expect(page.locator(".moj-sub-navigation__link[aria-current=page]")).to_have_text("Month")
    expect_caption(page, f"{today:%B %Y}", court)
    expect(page.locator("#month")).to_have_value(f"{today:%Y-%m}")
    month_figures = shown_figures(page)
    assert todays(month_figures) == todays(quarter_figures), (month_figures, quarter_figures)
    expect_rate(page, month_figures)
    expect_chart_drawn(page)
    expect_months_add_up(page, month_figures)
    assert len(table_rows(page, "#months")) == 1
    check(f"month, {court}")

    # Dates of one's own: they start as the quarter's.
    follow(page, "Dates you choose", backwards=True)
    expect(page.locator(".moj-sub-navigation__link[aria-current=page]")).to_have_text("Dates you choose")
    for name, day in (("start", quarter_start), ("end", quarter_end)):
        expect(page.locator(f"#{name}-day")).to_have_value(str(day.day))
        expect(page.locator(f"#{name}-month")).to_have_value(str(day.month))
    type_date(page, "start", 31, 2, today.year)
    send(page, "Show figures")
    expect_error_summary(page, "The start date must be a real date")
    expect(page.locator("#figures")).to_have_count(0)
    check("custom dates, an impossible start date")

    type_date(page, "start", month_start.day, month_start.month, month_start.year)
    before = month_start - timedelta(days=1)
    type_date(page, "end", before.day, before.month, before.year)
    send(page, "Show figures")
    expect_error_summary(page, "The end date must be the same as or after the start date")
    expect(page.locator(".govuk-error-summary a[href='#end-day']")).to_have_count(1)
    check("custom dates, the end before the start")

    type_date(page, "end", today.day, today.month, today.year)
    send(page, "Show figures")
    expect_caption(page, f"{long_date(month_start)} to {long_date(today)}", court)
    custom_figures = shown_figures(page)
    assert todays(custom_figures) == todays(quarter_figures), (custom_figures, quarter_figures)
    expect_rate(page, custom_figures)
    expect_chart_drawn(page)
    check(f"custom dates, {court}")
    expect_csv(page, month_start, today, "all" if court == "All courts" else code_of(court), custom_figures)

    # And back to the quarter, with its CSV.
    follow(page, "Quarter", backwards=True)
    expect_caption(page, quarter, court)
    assert shown_figures(page) == quarter_figures
    expect_csv(page, quarter_start, quarter_end, "all" if court == "All courts" else code_of(court), quarter_figures)
    return quarter_figures


def code_of(court_name: str) -> str:
    """A seeded court's code from its name."""
    return {name: code for code, name in e2e_server.COURTS}[court_name]


def test_a_manager_reads_the_completion_report_by_quarter_month_and_dates_for_every_court_and_one(
    role_pages: dict[str, Page], server
) -> None:
    page = role_pages["manager"]
    reports: list[PageReport] = []
    page.goto("/home")
    follow(page, "Completion report")
    expect(page.locator("#court")).to_have_value("")
    everyone = walk_the_report(page, "manager", "All courts", reports)

    # One court: the second court's cases are only the seed's, so its figures are known exactly.
    choose_option(page, "#court", SECOND_COURT[1], typed="Bramley")
    send(page, "Show figures")
    second = walk_the_report(page, "manager", SECOND_COURT[1], reports)
    # Opted in: two of the partners' cases, the case the stale-save test edits (Nell Vance, assessed), the one the
    # drafts test assesses (Ivy Marchetti) and the modern slavery test's (Mira Sallow, assessed).
    assert todays(second) == {"Opted in": 5, "Completed": 1, "Not completed": 0, "Withdrawn": 1}, second
    expect(page.locator("#completion-rate")).to_have_text("50.0%")
    for label in TODAYS_FIGURES:
        assert everyone[label] >= second[label], label

    assert_clean(reports, "the manager's completion reports")


def test_a_court_user_reads_the_completion_report_of_their_own_court_only(role_pages: dict[str, Page], server) -> None:
    page = role_pages["court"]
    reports: list[PageReport] = []
    cases = seeded(server)
    page.goto("/home")
    follow(page, "Completion report")
    expect(page.locator("#court")).to_have_count(0)
    expect(page.locator("main form")).to_contain_text(f"Court: {FIRST_COURT[1]}")
    own = walk_the_report(page, "court", FIRST_COURT[1], reports)

    # At least the seeded cases of the court (the journey test may have completed one more), none of the other's.
    seeded_here = [case for case in cases.values() if case["court"] == FIRST_COURT[0]]
    for state, label in (("COMPLETED", "Completed"), ("NOT_COMPLETED", "Not completed"), ("WITHDRAWN", "Withdrawn")):
        assert own[label] >= sum(case["state"] == state for case in seeded_here), (label, own)
    # The same figures a manager sees for that court.
    manager = role_pages["manager"]
    manager.goto(f"/reports/completion?period=quarter&court={FIRST_COURT[0]}")
    assert shown_figures(manager) == own

    # Another court's report, or its CSV, cannot be had by changing the address.
    for path in (f"/reports/completion?court={SECOND_COURT[0]}", f"/reports/completion.csv?court={SECOND_COURT[0]}"):
        answer = page.context.request.get(path)
        assert answer.status == 404, (path, answer.status)

    assert_clean(reports, "the court user's completion reports")

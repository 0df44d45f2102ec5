"""The completion report page, its chart and its CSV: who may see them, the figures each role sees, the definition,
the empty period, the period filters and their errors, and that the chart and CSV carry the page's figures and no
one's identity."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import date
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from sqlalchemy import update

from diversion.dates import today
from diversion.extensions import db
from diversion.referrals.models import Referral, State
from diversion.reports import services
from diversion.reports.forms import month_value, quarter_value
from diversion.reports.services import quarter_of
from tests import pages
from tests.factories import create_referral, create_user, log_in_as
from tests.reports.cases import EXPECTED_A, EXPECTED_ALL, EXPECTED_B, FAMILY_NAME, MONTHS_A, build_cases

PAGE, CHART, CSV = "/reports/completion", "/reports/completion/chart.svg", "/reports/completion.csv"
LABELS = {label: key for key, label, _ in services.FIGURES}


def custom(start: date, end: date, **extra: str) -> dict[str, str]:
    return {
        "period": "custom",
        **{f"start-{part}": str(getattr(start, part)) for part in ("day", "month", "year")},
        **{f"end-{part}": str(getattr(end, part)) for part in ("day", "month", "year")},
        **extra,
    }


Q1 = custom(date(2026, 1, 1), date(2026, 3, 31))
EMPTY = custom(date(2025, 6, 1), date(2025, 6, 30))


def url(path: str, args: dict[str, str] | None = None) -> str:
    return f"{path}?{urlencode(args)}" if args else path


def asks_for(address: str, path: str, args: dict[str, str]) -> bool:
    """Whether an address on the page is ``path`` asked with (at least) these arguments."""
    parts = urlsplit(address)
    return parts.path == path and args.items() <= dict(parse_qsl(parts.query)).items()


def figures_on(page: pages.Page) -> dict[str, int]:
    """The "numbers behind it" table, by API name: each row's figure, its count and what it counts."""
    return {LABELS[label]: int(value) for label, value, _ in page.table_rows("table.govuk-table#figures")}


def months_on(page: pages.Page) -> dict[str, tuple[int, int, int]]:
    """The table by month: each month's completed, not completed and withdrawn."""
    return {label: (int(a), int(b), int(c)) for label, a, b, c, _ in page.table_rows("table#months")}


@pytest.fixture
def cases(app_ctx):
    return build_cases()


def signed_in(client, role: str, court=None):
    return log_in_as(client, create_user(role=role, court=court))


# --- who may see it ---


@pytest.mark.parametrize("role", ["worker", "admin"])
def test_workers_and_administrators_are_refused_every_part_of_the_report(client, app_ctx, role: str) -> None:
    signed_in(client, role)
    for path in (PAGE, CHART, CSV, url(PAGE, Q1), url(CHART, Q1), url(CSV, Q1)):
        assert "Completed" not in pages.get(client, path, status=403).html


def test_visitors_who_are_not_signed_in_are_sent_to_sign_in(client, app_ctx) -> None:
    for path in (PAGE, CHART, CSV):
        pages.get(client, path, status=302, redirect=f"/sign-in?next={path}")


@pytest.mark.parametrize("role", ["manager", "cps", "court"])
def test_the_report_opens_on_the_current_quarter_with_nothing_asked(client, app_ctx, role: str) -> None:
    signed_in(client, role)
    page = pages.get(client, PAGE)
    label = services.default_period().label
    assert page.title.startswith(f"Completion report: {label}")
    assert "/reports/completion" in page.hrefs()  # in the navigation
    year, quarter = quarter_of(today())
    assert page.selected("quarter") == [quarter_value(year, quarter)]
    for path in (CHART, CSV):
        assert client.get(path).status_code == 200, path


# --- the figures each role sees ---


def test_a_manager_sees_every_court_and_each_figure_matches_the_hand_count(client, cases) -> None:
    signed_in(client, "manager")
    page = pages.get(client, url(PAGE, Q1))
    assert figures_on(page) == EXPECTED_ALL
    text = page.text
    assert "1 January 2026 to 31 March 2026, All courts" in text
    assert "69.2%" in text  # 9 of 13
    assert "9 of 13 finished cases completed. 95% interval: 42.4% to 87.3%." in text
    assert "Opt-in rate: 82.4% (14 of 17 decisions)" in text


def test_cps_can_narrow_the_report_to_one_court(client, cases) -> None:
    signed_in(client, "cps")
    page = pages.get(client, url(PAGE, {**Q1, "court": cases.court_b.code}))
    assert figures_on(page) == EXPECTED_B
    assert f"{cases.court_b.name}" in page.text
    assert "33.3%" in page.text
    page = pages.get(client, url(PAGE, {**Q1, "court": cases.court_a.code}))
    assert figures_on(page) == EXPECTED_A
    text = page.text
    assert "80.0%" in text
    assert "8 of 10 finished cases completed. 95% interval: 49.0% to 94.3%." in text
    assert months_on(page) == {
        "January 2026": MONTHS_A[(2026, 1)],
        "February 2026": MONTHS_A[(2026, 2)],
        "March 2026": MONTHS_A[(2026, 3)],
    }


def test_a_court_user_sees_only_their_own_courts_figures(client, cases) -> None:
    signed_in(client, "court", court=cases.court_a)
    page = pages.get(client, url(PAGE, Q1))
    assert figures_on(page) == EXPECTED_A
    assert not page.has("select#court")  # nothing to choose
    assert f"Court: {cases.court_a.name}" in page.text
    assert cases.court_b.name not in page.html
    # Naming their own court changes nothing; naming another is outside their scope.
    assert figures_on(pages.get(client, url(PAGE, {**Q1, "court": cases.court_a.code}))) == EXPECTED_A
    for path in (PAGE, CHART, CSV):
        for court in (cases.court_b.code, "NOSUCHCOURT"):
            pages.get(client, url(path, {**Q1, "court": court}), status=404)


def test_the_page_states_the_definition_it_uses(client, cases) -> None:
    signed_in(client, "cps")
    for args in (Q1, EMPTY, {"period": "nonsense"}):
        text = pages.get(client, url(PAGE, args)).text
        assert "How the figures are counted" in text
        assert "Completed / (completed + not completed + withdrawn), over cases whose final state was reached" in text
        assert "declined referrals are not in it" in text
        assert "Wilson score interval" in text
        assert "Opted in / (opted in + declined)" in text
    text = pages.get(client, url(PAGE, Q1)).text
    for _, label, counts in services.FIGURES:
        assert counts[:1].upper() + counts[1:] in text, label


def test_an_empty_period_says_so_instead_of_a_rate(client, cases) -> None:
    signed_in(client, "manager")
    page = pages.get(client, url(PAGE, EMPTY))
    assert figures_on(page) == dict.fromkeys(EXPECTED_ALL, 0)
    text = page.text
    assert "No finished cases in this period" in text
    assert "no decisions about opting in in this period" in text
    before_definition = text.split("How the figures are counted")[0]
    assert "%" not in before_definition.replace("95% interval", "").replace("Its 95%", "")
    assert not page.has("img")  # no chart of nothing; the CSV still works
    assert client.get(url(CHART, EMPTY)).status_code == 200
    assert client.get(url(CSV, EMPTY)).status_code == 200


# --- the period ---


def test_a_month_and_a_quarter_are_chosen_from_lists(client, app_ctx) -> None:
    court_user = create_user(role="court")
    referral = create_referral(state=State.COMPLETED, court=court_user.court)
    db.session.execute(update(Referral).where(Referral.id == referral.id).values(outcome_date=today()))
    db.session.commit()
    log_in_as(client, court_user)
    now = today()
    month = {"period": "month", "month": month_value(now.year, now.month)}
    quarter = {"period": "quarter", "quarter": quarter_value(*quarter_of(now))}
    for args in (month, quarter):
        page = pages.get(client, url(PAGE, args))
        assert figures_on(page)["completed"] == 1, args
        assert "100.0%" in page.text
        # The chart and the CSV are asked for the same period.
        assert asks_for(page.select_one("img")["src"], CHART, args)
        assert [href for href in page.hrefs() if asks_for(href, CSV, args)]
    assert pages.get(client, url(PAGE, month)).title.startswith(f"Completion report: {now:%B} {now.year}, ")


@pytest.mark.parametrize(
    ("args", "errors"),
    [
        ({"period": "weekly"}, ["Choose a month, a quarter or dates of your own"]),
        ({"period": ""}, ["Choose a month, a quarter or dates of your own"]),
        ({"period": "month", "month": "2026-13"}, ["Select a month from the list"]),
        ({"period": "month", "month": "1999-01"}, ["Select a month from the list"]),
        ({"period": "quarter", "quarter": "2026-Q5"}, ["Select a quarter from the list"]),
        ({"period": "custom", "start-day": ""}, ["Enter the start date", "Enter the end date"]),
        (
            {"period": "custom", "start-day": "31", "start-month": "2", "start-year": "2026", "end-day": "1"},
            ["The start date must be a real date", "The end date must include a month and year"],
        ),
        (
            {**custom(date(2026, 1, 1), date(2026, 1, 1)), "end-year": "26"},
            ["The year of the end date must include 4 numbers"],
        ),
        (custom(date(2026, 3, 1), date(2026, 2, 28)), ["The end date must be the same as or after the start date"]),
        (custom(date(2010, 1, 1), date(2026, 1, 1)), ["The period must be 10 years or shorter"]),
        (
            {**custom(date(2026, 1, 1), date(2026, 3, 31)), "start-day": "x" * 5000},
            ["The start date must be a real date"],
        ),
        ({"court": "NOSUCHCOURT"}, ["Select a court from the list"]),
    ],
)
def test_bad_filters_are_refused_with_an_error_summary_never_an_error_page(client, app_ctx, args, errors) -> None:
    signed_in(client, "manager")
    page = pages.get(client, url(PAGE, args))
    assert page.error_summary == errors
    assert page.title.startswith("Error: Completion report")
    assert not page.has("#figures")
    # The chart and the CSV have no form to show the problem on.
    assert client.get(url(CHART, args)).status_code == 400
    assert client.get(url(CSV, args)).status_code == 400


def test_the_kind_of_period_is_chosen_by_links_that_keep_the_court(client, cases) -> None:
    signed_in(client, "manager")
    page = pages.get(client, url(PAGE, {"court": cases.court_b.code}))
    links = dict(page.links('nav.moj-sub-navigation[aria-label="Kind of period"]#period'))
    code = cases.court_b.code
    assert links == {
        "Month": f"/reports/completion?period=month&court={code}",
        "Quarter": f"/reports/completion?period=quarter&court={code}",
        "Dates you choose": f"/reports/completion?period=custom&court={code}",
    }
    current = page.select_one('#period a[aria-current="page"]')
    assert current["href"].startswith("/reports/completion?period=quarter")
    # No conditionally revealed fields (their radios carry aria-expanded, which axe refuses): one kind's fields.
    assert "govuk-radios__conditional" not in page.html
    assert page.has("#quarter")
    assert not page.has("#month")
    assert not page.has("#start-day")


def test_dates_of_your_own_start_from_the_current_quarter(client, app_ctx) -> None:
    signed_in(client, "cps")
    page = pages.get(client, url(PAGE, {"period": "custom"}))
    assert not page.has(".govuk-error-summary")
    current = services.default_period()
    for field, value in (("start-year", current.start.year), ("end-day", current.end.day)):
        found = page.select_one(f"input#{field}")
        assert (found["name"], found["type"], found["value"]) == (field, "text", str(value))
    assert f"{services.Period(current.start, current.end).label}, All courts" in page.text
    assert page.has("#figures")


def test_what_is_typed_under_another_kind_of_period_is_left_alone(client, app_ctx) -> None:
    signed_in(client, "manager")
    now = today()
    args = {"period": "month", "month": month_value(now.year, now.month), "start-day": "99", "quarter": "junk"}
    page = pages.get(client, url(PAGE, args))
    assert not page.has(".govuk-error-summary")
    assert page.has("#figures")


# --- the chart ---


def _svg(response) -> ET.Element:
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    return ET.fromstring(response.data)  # noqa: S314 - our own output


def test_the_chart_is_valid_svg_with_a_title_and_no_identity(client, cases) -> None:
    signed_in(client, "manager")
    first = client.get(url(CHART, Q1))
    root = _svg(first)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.find("{http://www.w3.org/2000/svg}title").text == (
        "Finished cases by month, 1 January 2026 to 31 March 2026, all courts, Whole organisation: Main organisation"
    )
    body = first.get_data(as_text=True)
    assert FAMILY_NAME.lower() not in body.lower()
    for referral in cases.referrals[:3]:
        assert str(referral.id) not in body
        assert str(referral.client_id) not in body
    # Deterministic: the same figures give the same bytes.
    assert client.get(url(CHART, Q1)).data == first.data
    # Styled with presentation attributes only, so a CSP that refuses inline styles cannot strip its colours.
    assert "style" not in body
    assert 'fill="#1d70b8"' in body
    assert first.headers["X-Content-Type-Options"] == "nosniff"


def test_the_page_shows_the_chart_as_an_image_with_a_meaningful_alternative_and_the_table_beside_it(
    client, cases
) -> None:
    signed_in(client, "cps")
    page = pages.get(client, url(PAGE, {**Q1, "court": cases.court_a.code}))
    image = page.select_one("img")
    assert image["src"] == url(CHART, {**Q1, "court": cases.court_a.code})
    assert image["alt"] == (
        f"Bar chart of finished cases by month, 1 January 2026 to 31 March 2026, {cases.court_a.name}: 8 completed, "
        "1 not completed and 1 withdrawn in all. The table beside it gives each month's figures."
    )
    assert not page.has("svg")
    assert _svg(client.get(image["src"])).tag.endswith("svg")


def test_a_chart_of_a_long_or_an_empty_period_still_draws(client, cases) -> None:
    signed_in(client, "manager")
    _svg(client.get(url(CHART, custom(date(2016, 4, 1), date(2026, 3, 31)))))
    empty = client.get(url(CHART, EMPTY))
    _svg(empty)
    assert empty.data != client.get(url(CHART, Q1)).data


# --- the CSV ---


def test_the_csv_carries_the_pages_figures_and_the_definition_and_no_identity(client, cases) -> None:
    signed_in(client, "cps")
    for args, expected in ((Q1, EXPECTED_ALL), ({**Q1, "court": cases.court_a.code}, EXPECTED_A)):
        page = pages.get(client, url(PAGE, args))
        response = client.get(url(CSV, args))
        assert response.status_code == 200
        assert response.mimetype == "text/csv"
        assert response.headers["Content-Disposition"].startswith('attachment; filename="completion-2026-01-01-to-')
        body = response.get_data(as_text=True)
        assert FAMILY_NAME.lower() not in body.lower()
        rows = list(csv.DictReader(io.StringIO(body)))
        assert len(rows) == 1
        row = rows[0]
        assert list(row) == list(services.CSV_COLUMNS)
        assert {key: int(row[key]) for key in expected} == expected == figures_on(page)
        assert (row["from"], row["to"]) == ("2026-01-01", "2026-03-31")
        assert row["court"] == args.get("court", "all")
        assert f"{float(row['completion_rate']) * 100:.1f}%" in page.text
        low, high = float(row["completion_rate_ci95_low"]), float(row["completion_rate_ci95_high"])
        assert f"95% interval: {low * 100:.1f}% to {high * 100:.1f}%." in page.text
        assert f"{float(row['opt_in_rate']) * 100:.1f}%" in page.text
        assert row["definition"] == services.DEFINITION
    row = next(csv.DictReader(io.StringIO(client.get(url(CSV, {**Q1, "court": cases.court_a.code})).text)))
    assert (row["completion_rate"], row["completion_rate_ci95_low"], row["completion_rate_ci95_high"]) == (
        "0.8",
        "0.49",
        "0.943",
    )


def test_the_csv_of_an_empty_period_leaves_the_rates_blank(client, cases) -> None:
    signed_in(client, "manager")
    row = next(csv.DictReader(io.StringIO(client.get(url(CSV, EMPTY)).text)))
    assert [row[key] for key in ("completion_rate", "completion_rate_ci95_low", "opt_in_rate")] == ["", "", ""]
    assert row["completed"] == "0"

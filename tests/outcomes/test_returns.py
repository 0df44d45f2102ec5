"""The funder return: indicators from the data file (and its mistakes refused), figures matching the hand count,
small-number suppression with the secondary case, snapshots re-run identical or saying what changed after a late
edit, and the CSV, XLSX and printable exports."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from diversion.extensions import db
from diversion.outcomes import queries, returns, services
from diversion.outcomes.queries import Scope
from diversion.outcomes.returns import ALL, SMALL, WITHHELD, Cell, Indicator, IndicatorFigures, parse_indicators
from diversion.referrals.models import Referral
from diversion.reports.services import Period
from tests.factories import audit_events, create_user, csrf_token, log_in_as
from tests.outcomes.cases import FAMILY_NAME, Q1, build_cases
from tests.outcomes.test_pages import url

QUARTER = {"period": "quarter", "quarter": "2026-Q1"}


@pytest.fixture
def built(app_ctx):
    return build_cases()


def cells(report: returns.FunderReturn, key: str) -> dict[str, object]:
    item = next(item for item in report.figures if item.indicator.key == key)
    return {cell.group: cell.value for cell in item.cells}


# --- the indicators file ---


def test_the_default_indicators_load_and_cover_the_figures_and_equality_monitoring() -> None:
    indicators, digest = returns.indicators()
    keys = {indicator.key for indicator in indicators}
    assert {"referrals", "completion_rate", "non_attendance_rate", "median_days_to_completion"} <= keys
    assert {"onward_made", "onward_taken_up", "safeguarding", "distance_travelled", "age_band", "ethnicity"} <= keys
    assert len(digest) == 64


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[indicator]]\nkey="a"\nname="A"\ndefinition="d"\nnumerator="nope"', "no measure is called 'nope'"),
        ('[[indicator]]\nkey="a"\nname="A"\ndefinition="d"\nnumerator="completed"\nformat="rate"', "needs one"),
        ('[[indicator]]\nkey="a"\nname="A"\ndefinition="d"\nnumerator="completed"\nby="service"', "broken down"),
        ('[[indicator]]\nkey="a"\nname="A"\ndefinition="d"\nnumerator="completed"\nparts=["b"]', "defined before"),
        ('[[indicator]]\nkey="a"\nname="A"\ndefinition="d"\nnumerator="completed"\ncolour="red"', "colour"),
        ("[[indicator]\n", "not valid TOML"),
        ("", "defines no indicator"),
    ],
)
def test_mistakes_in_the_indicators_file_are_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(returns.IndicatorFileError, match=message):
        parse_indicators(text)


def test_a_changed_file_changes_the_return_without_code(built, tmp_path, monkeypatch) -> None:
    path = tmp_path / "indicators.toml"
    path.write_text(
        '[[indicator]]\nkey="done"\nname="Done"\ndefinition="Completed."\nnumerator="completed"\n', encoding="utf-8"
    )
    monkeypatch.setattr(returns, "INDICATORS_FILE", path)
    report = returns.funder_return(Period(*Q1), Scope(*Q1), suppressed=False)
    assert [item.indicator.key for item in report.figures] == ["done"]
    assert cells(report, "done") == {ALL: 5}


# --- the figures ---


def test_the_returns_figures_match_the_hand_count_unsuppressed(built) -> None:
    report = returns.funder_return(Period(*Q1), Scope(*Q1), suppressed=False)
    assert cells(report, "referrals") == {ALL: 8}
    assert cells(report, "women_referred") == {ALL: 7}
    assert cells(report, "opt_in_rate") == {ALL: 0.875}  # 7 of 8 decisions
    assert cells(report, "completion_rate") == {ALL: 0.714}
    assert cells(report, "non_attendance_rate") == {ALL: 0.111}
    assert cells(report, "median_days_to_completion") == {ALL: 30.0}
    onward = cells(report, "onward_made")
    assert (onward[ALL], onward["housing"], onward["drug_treatment"], onward["gp"]) == (6, 5, 1, 0)
    assert cells(report, "distance_travelled")["accommodation"] == 2.25
    assert cells(report, "age_band") == {
        ALL: 3,
        "18-24": 0,
        "25-34": 2,
        "35-44": 0,
        "45-54": 1,
        "55+": 0,
        "not_recorded": 0,
    }
    assert cells(report, "ethnicity") == {ALL: 3, "black": 1, "white": 1, "not_recorded": 1}


def test_an_empty_quarter_gives_zeros_and_no_rates(built) -> None:
    period = Period(date(2025, 4, 1), date(2025, 6, 30))
    report = returns.funder_return(period, Scope(period.start, period.end))
    assert cells(report, "referrals") == {ALL: 0}
    assert cells(report, "completion_rate") == {ALL: None}
    assert cells(report, "median_days_to_completion") == {ALL: None}


# --- suppression ---


def figures(*items: tuple[Indicator, list[Cell]]) -> list[IndicatorFigures]:
    return [IndicatorFigures(indicator, cells) for indicator, cells in items]


def count(key: str, numerator: str, **extra: object) -> Indicator:
    return Indicator(key=key, name=key, definition="", numerator=numerator, **extra)


def test_counts_from_1_to_4_read_less_than_5_and_0_and_5_are_shown() -> None:
    result = returns.suppress(figures(*((count(f"k{n}", f"m{n}"), [Cell(ALL, n, n)]) for n in (0, 1, 4, 5))))
    assert [item.cells[0].value for item in result] == [0, SMALL, SMALL, 5]


def test_a_total_that_would_reveal_a_suppressed_group_suppresses_a_second_group() -> None:
    by_service = count("services", "onward", by="service")
    result = returns.suppress(
        figures((by_service, [Cell(ALL, 30, 30), Cell("housing", 3, 3), Cell("gp", 9, 9), Cell("ete", 18, 18)]))
    )
    shown = {cell.group: cell.value for cell in result[0].cells}
    # 30 - 9 - 18 would give housing's 3 away: the next smallest, GP's 9, is withheld too.
    assert shown == {ALL: 30, "housing": SMALL, "gp": WITHHELD, "ete": 18}


def test_secondary_suppression_across_indicators_declared_as_parts_and_the_rates_made_from_them() -> None:
    completed, not_completed = count("completed", "completed"), count("not_completed", "not_completed")
    withdrawn = count("withdrawn", "withdrawn")
    finished = count("finished", "finished", parts=("completed", "not_completed", "withdrawn"))
    rate = Indicator("rate", "rate", "", "completed", "finished", "rate")
    result = returns.suppress(
        figures(
            (completed, [Cell(ALL, 20, 20)]),
            (not_completed, [Cell(ALL, 6, 6)]),
            (withdrawn, [Cell(ALL, 2, 2)]),
            (finished, [Cell(ALL, 28, 28)]),
            (rate, [Cell(ALL, 0.714, 20, 28)]),
        )
    )
    shown = {item.indicator.key: item.cells[0].value for item in result}
    assert shown == {"completed": 20, "not_completed": WITHHELD, "withdrawn": SMALL, "finished": 28, "rate": 0.714}
    # When the completed count itself is the one withheld, the rate that would give it away is withheld too.
    result = returns.suppress(
        figures(
            (completed, [Cell(ALL, 6, 6)]),
            (not_completed, [Cell(ALL, 20, 20)]),
            (withdrawn, [Cell(ALL, 2, 2)]),
            (finished, [Cell(ALL, 28, 28)]),
            (rate, [Cell(ALL, 0.214, 6, 28)]),
        )
    )
    shown = {item.indicator.key: item.cells[0].value for item in result}
    assert shown == {"completed": WITHHELD, "not_completed": 20, "withdrawn": SMALL, "finished": 28, "rate": WITHHELD}
    assert result[4].cells[0].numerator == WITHHELD


def test_a_mean_over_fewer_than_5_cases_is_withheld() -> None:
    mean = Indicator("distance", "d", "", "wellbeing_change", "reviewed_cases", "mean", by="domain")
    result = returns.suppress(figures((mean, [Cell(ALL, 1.5, 6, 4), Cell("drugs", 2.0, 10, 5)])))
    assert [(cell.value, cell.numerator, cell.denominator) for cell in result[0].cells] == [
        (WITHHELD, WITHHELD, SMALL),
        (2.0, 10, 5),
    ]


def test_the_return_is_suppressed_by_default(built) -> None:
    report = returns.funder_return(Period(*Q1), Scope(*Q1))
    assert cells(report, "referrals") == {ALL: 8}
    assert cells(report, "withdrawn") == {ALL: SMALL}
    assert cells(report, "not_completed") == {ALL: SMALL}
    # 7 finished - 5 completed would show the two small counts are both 1: completed is withheld, and so is the rate.
    assert cells(report, "completed") == {ALL: WITHHELD}
    assert cells(report, "completion_rate") == {ALL: WITHHELD}
    onward = cells(report, "onward_made")
    # 6 in all, less the other services' zeros, would give drug treatment's 1 away: housing's 5 is withheld.
    assert (onward[ALL], onward["housing"], onward["drug_treatment"], onward["gp"]) == (6, WITHHELD, SMALL, 0)


# --- snapshots ---


def test_a_snapshot_re_run_unchanged_is_identical(built) -> None:
    manager = create_user(role="manager")
    saved = returns.save_snapshot(Period(*Q1, "quarter"), Scope(*Q1), manager)
    # Every case behind any figure: the 8 referred in the quarter and C6 (referred in December, completed in it).
    assert saved.case_count == 9
    assert FAMILY_NAME not in str(saved.figures)
    rerun = returns.rerun(saved, manager)
    assert rerun.is_identical
    assert rerun.differences == []
    assert len(audit_events(action="outcomes.snapshot_saved")) == 1


def test_a_late_edit_is_reported_as_a_difference(built) -> None:
    manager = create_user(role="manager")
    saved = returns.save_snapshot(Period(*Q1, "quarter"), Scope(*Q1, court_id=built.court_a.id), manager)
    # Found later: C3 was recorded in the wrong court.
    db.session.execute(update(Referral).where(Referral.id == built.cases["C3"].id).values(court_id=built.court_b.id))
    db.session.commit()
    rerun = returns.rerun(saved, manager)
    assert not rerun.is_identical
    changed = {(item.indicator, item.group): (item.then, item.now) for item in rerun.differences}
    assert changed[("referrals", ALL)] == (6, 5)
    assert changed[("completed", ALL)] == (4, 3)
    assert "Diversions completed" in rerun.cases_changed
    assert rerun.cases_hash_now != saved.cases_hash


def test_the_pages_keep_a_snapshot_and_show_what_changed(client, built) -> None:
    log_in_as(client, create_user(role="manager"))
    page = client.get(url("/outcomes/return", QUARTER)).get_data(as_text=True)
    assert "Keep a snapshot" in page
    assert "None kept yet." in page
    token = csrf_token(client, url("/outcomes/return", QUARTER))
    response = client.post(url("/outcomes/return/snapshots", QUARTER), data={"csrf_token": token})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "Identical" in client.get(location).get_data(as_text=True)
    db.session.execute(
        update(Referral).where(Referral.id == built.cases["X1"].id).values(outcome_date=date(2026, 4, 2))
    )
    db.session.commit()
    page = client.get(location).get_data(as_text=True)
    assert "The return has changed since this snapshot was kept." in page
    assert 'id="differences"' in page
    assert client.post(url("/outcomes/return/snapshots", QUARTER), data={}).status_code == 400  # no CSRF token


# --- exports ---


def test_the_csv_is_suppressed_by_default_and_whole_on_request(client, built) -> None:
    log_in_as(client, create_user(role="manager"))
    response = client.get(url("/outcomes/return.csv", QUARTER))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert 'filename="funder-return-2026-01-01-to-2026-03-31-all-courts.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    by_key = {(row["indicator"], row["group"]): row for row in rows}
    assert by_key[("withdrawn", "All")]["value"] == SMALL
    assert by_key[("referrals", "All")]["value"] == "8"
    assert by_key[("referrals", "All")]["from"] == "2026-01-01"
    whole = client.get(url("/outcomes/return.csv", {**QUARTER, "suppress": "false"})).get_data(as_text=True)
    by_key = {(row["indicator"], row["group"]): row for row in csv.DictReader(io.StringIO(whole))}
    assert by_key[("withdrawn", "All")]["value"] == "1"
    assert FAMILY_NAME not in whole


def test_the_xlsx_has_figures_and_definitions_frozen_headers_and_real_dates(client, built) -> None:
    log_in_as(client, create_user(role="manager"))
    response = client.get(url("/outcomes/return.xlsx", QUARTER))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Figures", "Definitions"]
    figures_sheet, definitions = book["Figures"], book["Definitions"]
    assert figures_sheet.freeze_panes == "A2"
    assert definitions.freeze_panes == "A2"
    header = [cell.value for cell in figures_sheet[1]]
    assert header[:4] == ["indicator", "name", "group", "value"]
    rows = {(row[0], row[2]): row for row in figures_sheet.iter_rows(min_row=2, values_only=True)}
    assert rows[("withdrawn", "All")][3] == SMALL
    assert rows[("referrals", "All")][3] == 8
    start = figures_sheet.cell(row=2, column=7)
    assert start.is_date
    assert start.value.date() == date(2026, 1, 1)
    definition_keys = [row[0] for row in definitions.iter_rows(min_row=2, values_only=True)]
    assert "completion_rate" in definition_keys
    assert "suppression" in definition_keys


def test_the_printable_return(client, built) -> None:
    log_in_as(client, create_user(role="manager"))
    response = client.get(url("/outcomes/return/print", QUARTER))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Funder return" in page
    assert "Counts from 1 to 4 read &lt;5" in page
    assert FAMILY_NAME not in page


def test_two_small_counts_that_a_total_shows_add_up_to_under_5_withhold_a_third() -> None:
    parts = [count(key, key) for key in ("a", "b", "c")]
    total = count("total", "total", parts=("a", "b", "c"))
    result = returns.suppress(
        figures(
            (parts[0], [Cell(ALL, 1, 1)]),
            (parts[1], [Cell(ALL, 1, 1)]),
            (parts[2], [Cell(ALL, 9, 9)]),
            (total, [Cell(ALL, 11, 11)]),
        )
    )
    assert [item.cells[0].value for item in result] == [SMALL, SMALL, WITHHELD, 11]


@pytest.mark.parametrize("scope", [Scope(*Q1), Scope(date(2026, 1, 1), date(2026, 12, 31)), Scope(*Q1, court_id=1)])
def test_the_returns_shared_queries_count_what_each_measures_own_rows_hold(built, scope) -> None:
    """The return counts several measures from one query (a family's tally, a breakdown by every partition at once,
    a mean in all and by group together): each must equal the count of the measure's own rows, which the drill-down
    and snapshots list, so a figure and its cases cannot disagree."""
    for key, measure in services.MEASURES.items():
        rows = measure.rows(scope)
        distinct = queries.count_units(rows.execution_options(**{queries.ONE_ROW_PER_UNIT: False}))
        assert queries.count_units(rows) == distinct, key
        if isinstance(measure.rows, queries.Tallied):
            tally = measure.rows.tally(scope)
            assert measure.rows.count(tally, None) == distinct, key
            for group in measure.groups:
                by_group = queries.count_units(rows.execution_options(**{queries.ONE_ROW_PER_UNIT: False}), group)
                assert measure.rows.count(tally, group) == by_group, (key, group)
        partitions = tuple(group for group in measure.groups if group in returns.PARTITIONS)
        if len(partitions) > 1:
            each = queries.count_units_by_each(rows, partitions)
            for group in partitions:
                assert each[group] == queries.count_units(rows, group), (key, group)
        if measure.kind == "sum":
            together = queries.count_and_sum_with_total(rows, measure.groups[0])
            assert together[None] == queries.count_and_sum(rows)[None], key
            assert {g: v for g, v in together.items() if g is not None} == queries.count_and_sum(
                rows, measure.groups[0]
            )
    built_figures = returns.compute(scope, returns.indicators()[0])
    assert {item.indicator.key for item in built_figures} >= {"referrals", "onward_made", "age_band"}


def test_an_export_for_one_worker_does_not_name_her(client, built) -> None:
    """A return filtered to one support worker leaves the organisation without her name or email, in CSV and XLSX."""
    log_in_as(client, create_user(role="manager"))
    args = {**QUARTER, "worker": str(built.worker_2.id)}
    page = client.get(url("/outcomes/return", args)).get_data(as_text=True)
    assert built.worker_2.display_name in page  # the page stays inside and says whose cases these are
    assert built.worker_2.email not in page
    printable = client.get(url("/outcomes/return/print", args)).get_data(as_text=True)
    assert "one support worker" in printable
    assert built.worker_2.email not in printable
    assert built.worker_2.display_name not in printable
    text = client.get(url("/outcomes/return.csv", args)).get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {row["worker"] for row in rows} == {"One support worker"}
    assert built.worker_2.email not in text
    assert built.worker_2.display_name not in text
    workbook = load_workbook(io.BytesIO(client.get(url("/outcomes/return.xlsx", args)).data))
    cells = [str(cell) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True) for cell in row]
    assert "One support worker" in cells
    assert not any(built.worker_2.email in cell or built.worker_2.display_name in cell for cell in cells)


def test_a_rate_whose_rest_is_1_to_4_is_withheld_so_it_cannot_give_the_rest_away() -> None:
    # 13 opted in of 15 asked would say that 2 declined: the numerator is withheld, and the rate made from it.
    opted_in = count("opted_in", "opted_in")
    asked = count("asked", "asked")
    rate = Indicator("opt_in_rate", "rate", "", "opted_in", "asked", "rate")
    result = returns.suppress(
        figures((opted_in, [Cell(ALL, 13, 13)]), (asked, [Cell(ALL, 15, 15)]), (rate, [Cell(ALL, 0.867, 13, 15)]))
    )
    shown = {item.indicator.key: item.cells[0].value for item in result}
    assert shown == {"opted_in": WITHHELD, "asked": 15, "opt_in_rate": WITHHELD}
    assert (result[2].cells[0].numerator, result[2].cells[0].denominator) == (WITHHELD, 15)
    # With 5 or more in the rest, and with none, everything is shown.
    for taken in (10, 15):
        result = returns.suppress(
            figures(
                (opted_in, [Cell(ALL, taken, taken)]),
                (asked, [Cell(ALL, 15, 15)]),
                (rate, [Cell(ALL, taken / 15, taken, 15)]),
            )
        )
        assert [item.cells[0].value for item in result] == [taken, 15, taken / 15]

"""The outcome figures counted by hand: every measure, all courts, one court, one support worker, an empty period;
a woman with two referrals counted once where the figure is per person; the median on both databases; distance
travelled from the latest review; and that the figures never read a person."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event

from diversion.extensions import db
from diversion.outcomes import services
from diversion.outcomes.queries import Scope
from diversion.reports.services import Period
from tests.outcomes.cases import (
    AGE_BANDS_ALL,
    DISTANCE_A,
    DISTANCE_ALL,
    ETHNICITY_ALL,
    EXPECTED_A,
    EXPECTED_ALL,
    EXPECTED_WORKER_2,
    FAMILY_NAME,
    MEDIAN_A,
    MEDIAN_ALL,
    MEDIAN_B,
    Q1,
    SERVICES_ALL,
    build_cases,
)


@pytest.fixture
def built(app_ctx):
    return build_cases()


def test_every_figure_of_every_court_matches_the_hand_count(built) -> None:
    figures = services.outcome_figures(Scope(*Q1))
    assert {key: figures.counts[key] for key in EXPECTED_ALL} == EXPECTED_ALL
    assert figures.completion.value == pytest.approx(5 / 7)
    assert figures.opt_in.value == pytest.approx(7 / 8)
    assert figures.non_attendance.value == pytest.approx(1 / 9)
    assert figures.take_up.value == pytest.approx(3 / 6)
    assert figures.median_days == MEDIAN_ALL
    assert {row.service.value: (row.made, row.taken_up) for row in figures.services} == SERVICES_ALL
    means = {row.domain.value: row.mean for row in figures.domains}
    assert means["accommodation"] == DISTANCE_ALL["accommodation"]
    assert {means[key] for key in means if key != "accommodation"} == {DISTANCE_ALL["drugs"]}
    assert {row.cases for row in figures.domains} == {4}


def test_a_court_filter_counts_that_courts_cases_only(built) -> None:
    a = services.outcome_figures(Scope(*Q1, court_id=built.court_a.id))
    assert {key: a.counts[key] for key in EXPECTED_A} == EXPECTED_A
    assert a.median_days == MEDIAN_A
    assert {row.domain.value: row.mean for row in a.domains}["accommodation"] == DISTANCE_A["accommodation"]
    assert {row.domain.value: row.mean for row in a.domains}["drugs"] == DISTANCE_A["drugs"]
    b = services.outcome_figures(Scope(*Q1, court_id=built.court_b.id))
    assert {key: b.counts[key] + a.counts[key] for key in EXPECTED_ALL if key != "women_referred"} == {
        key: value for key, value in EXPECTED_ALL.items() if key != "women_referred"
    }
    assert b.median_days == MEDIAN_B
    assert {row.mean for row in b.domains} == {0.0}


def test_a_worker_filter_counts_the_cases_assigned_to_them(built) -> None:
    figures = services.outcome_figures(Scope(*Q1, worker_id=built.worker_2.id))
    assert {key: figures.counts[key] for key in EXPECTED_WORKER_2} == EXPECTED_WORKER_2


def test_a_woman_with_two_referrals_is_counted_once_where_the_figure_is_per_person(built) -> None:
    scope = Scope(*Q1)
    assert services.count("referrals", scope)[None] == services.count("women_referred", scope)[None] + 1
    # X's two assessments both raised a flag in the quarter: one woman.
    assert services.count("safeguarding", scope)[None] == 2
    assert services.count("equality_monitored", scope, "age_band") == AGE_BANDS_ALL
    assert services.count("equality_monitored", scope, "ethnicity") == ETHNICITY_ALL


def test_an_empty_period_has_zeros_and_no_rates(built) -> None:
    figures = services.outcome_figures(Scope(date(2025, 6, 1), date(2025, 6, 30)))
    assert set(figures.counts.values()) == {0}
    assert figures.completion.value is None
    assert figures.non_attendance.value is None
    assert figures.median_days is None
    assert figures.services == []
    assert {row.mean for row in figures.domains} == {None}


def test_the_latest_review_in_the_period_is_the_one_compared(built) -> None:
    # In April only C7's second review counts: 9 against the assessment's 5.
    april = services.outcome_figures(Scope(date(2026, 4, 1), date(2026, 4, 30)))
    assert {(row.cases, row.mean) for row in april.domains} == {(1, 4.0)}


def test_the_trend_months_match_the_figures(built) -> None:
    period = Period(*Q1)
    months = services.months_of(period, Scope(*Q1))
    assert [(m.month, m.completed, m.not_completed, m.withdrawn) for m in months] == [
        (1, 2, 0, 0),
        (2, 1, 1, 1),
        (3, 2, 0, 0),
    ]
    assert services.referrals_by_month(period, Scope(*Q1)) == [(2026, 1, 3), (2026, 2, 3), (2026, 3, 2)]


def test_the_figures_are_aggregates_that_never_read_a_person(built) -> None:
    statements: list[str] = []

    def capture(conn, cursor, statement, parameters, context, executemany) -> None:
        if not statement.lower().startswith(("savepoint", "release", "rollback")):  # the test's own transaction
            statements.append(statement.lower())

    engine = db.session.get_bind().engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        services.outcome_figures(Scope(*Q1))
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert statements
    for statement in statements:
        assert statement.lstrip().startswith("select"), statement
        assert "count(" in statement or "sum(" in statement, statement
        for column in ("given_name", "family_name", "date_of_birth", "urn", "notes", FAMILY_NAME.lower()):
            assert column not in statement, (column, statement)

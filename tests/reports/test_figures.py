"""The completion report's figures, counted by hand: every state, two courts, boundary days, empty periods; the
Wilson interval; periods; and that the figures come from a few aggregate queries that never read a person."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event

from diversion.errors import NotFound, ValidationFailed
from diversion.extensions import db
from diversion.reports import services
from diversion.reports.scope import choose
from diversion.reports.services import Period, check_period, month_period, quarter_period, wilson_interval
from tests.factories import create_court, create_organisation, create_scheme, create_user
from tests.reports.cases import EXPECTED_A, EXPECTED_ALL, EXPECTED_B, MONTHS_A, Q1_2026, build_cases

Q1 = Period(*Q1_2026)


def as_dict(figures: services.Figures) -> dict[str, int]:
    return {key: figures.count(key) for key, _, _ in services.FIGURES}


@pytest.fixture
def cases(app_ctx):
    return build_cases()


# --- the Wilson score interval ---


@pytest.mark.parametrize(
    ("successes", "total", "expected"),
    [
        (8, 10, (0.490, 0.943)),  # worked by hand: centre 0.71674, half-width 0.22658
        (0, 10, (0.000, 0.278)),
        (10, 10, (0.722, 1.000)),
        (1, 3, (0.061, 0.792)),
        (9, 13, (0.424, 0.873)),
        (1, 1, (0.207, 1.000)),
    ],
)
def test_the_wilson_interval_matches_hand_worked_values(successes: int, total: int, expected) -> None:
    low, high = wilson_interval(successes, total)
    assert (round(low, 3), round(high, 3)) == expected
    assert 0.0 <= low <= successes / total <= high <= 1.0


def test_the_wilson_interval_of_nothing_is_none_and_impossible_counts_are_refused() -> None:
    assert wilson_interval(0, 0) is None
    assert services.Rate(0, 0).value is None
    assert services.Rate(0, 0).interval is None
    with pytest.raises(ValueError):
        wilson_interval(11, 10)


def test_the_interval_uses_z_for_95_percent() -> None:
    assert services.Z_95 == 1.959964


# --- periods ---


def test_months_and_quarters_are_whole_calendar_periods() -> None:
    assert month_period(2026, 2) == Period(date(2026, 2, 1), date(2026, 2, 28), "month")
    assert month_period(2028, 2).end == date(2028, 2, 29)
    assert quarter_period(2026, 1) == Period(date(2026, 1, 1), date(2026, 3, 31), "quarter")
    assert quarter_period(2026, 4) == Period(date(2026, 10, 1), date(2026, 12, 31), "quarter")
    assert month_period(2026, 3).label == "March 2026"
    assert quarter_period(2026, 1).label == "January to March 2026"
    assert Period(date(2026, 1, 3), date(2026, 3, 15)).label == "3 January 2026 to 15 March 2026"
    assert list(Period(date(2025, 11, 20), date(2026, 2, 1)).months()) == [(2025, 11), (2025, 12), (2026, 1), (2026, 2)]
    assert list(Period(date(9999, 12, 1), date(9999, 12, 31)).months()) == [(9999, 12)]


def test_a_period_must_run_forwards_and_be_ten_years_or_shorter() -> None:
    assert check_period(date(2026, 1, 1), date(2026, 1, 1)) == Period(date(2026, 1, 1), date(2026, 1, 1))
    assert check_period(date(2016, 1, 1), date(2025, 12, 31)).end == date(2025, 12, 31)
    with pytest.raises(ValidationFailed) as backwards:
        check_period(date(2026, 3, 1), date(2026, 2, 28))
    assert backwards.value.fields == {"to": "The end date must be the same as or after the start date"}
    with pytest.raises(ValidationFailed) as too_long:
        check_period(date(2016, 1, 1), date(2026, 1, 1))
    assert too_long.value.fields == {"to": "The period must be 10 years or shorter"}


def test_the_definition_states_the_completion_rate_of_design_section_3() -> None:
    assert "completed / (completed + not completed + withdrawn)" in services.DEFINITION
    assert "declined referrals are not in it" in services.DEFINITION
    assert "Opt-in rate = opted in / (opted in + declined)" in services.DEFINITION
    assert "Wilson" in services.DEFINITION
    for _, label, text in services.FIGURES:
        assert f"{label}: {text}." in services.DEFINITION


# --- the figures, by hand count ---


def test_every_figure_of_each_court_and_of_all_courts_matches_the_hand_count(cases) -> None:
    a = services.completion_report(Q1, cases.court_a)
    b = services.completion_report(Q1, cases.court_b)
    every = services.completion_report(Q1, None)
    assert as_dict(a.figures) == EXPECTED_A
    assert as_dict(b.figures) == EXPECTED_B
    assert as_dict(every.figures) == EXPECTED_ALL
    assert (a.court_code, every.court_code, every.court_label) == (cases.court_a.code, None, "All courts")


def test_the_rates_and_interval_match_the_hand_count(cases) -> None:
    a = services.completion_report(Q1, cases.court_a).figures
    assert a.finished == 10
    assert a.completion.value == 0.8
    low, high = a.completion.interval
    assert (round(low, 3), round(high, 3)) == (0.490, 0.943)
    assert a.opt_in.value == pytest.approx(12 / 14)
    b = services.completion_report(Q1, cases.court_b).figures
    assert b.completion.value == pytest.approx(1 / 3)
    assert b.opt_in.value == pytest.approx(2 / 3)
    every = services.completion_report(Q1, None).figures
    assert every.completion.value == pytest.approx(9 / 13)
    assert every.opt_in.value == pytest.approx(14 / 17)


def test_finished_cases_by_month_add_up_to_the_totals(cases) -> None:
    months = services.months_of(Q1, cases.court_a)
    assert {(m.year, m.month): (m.completed, m.not_completed, m.withdrawn) for m in months} == MONTHS_A
    figures = services.completion_report(Q1, cases.court_a).figures
    assert sum(m.completed for m in months) == figures.completed
    assert sum(m.not_completed for m in months) == figures.not_completed
    assert sum(m.withdrawn for m in months) == figures.withdrawn
    assert months[0].completion.value == 0.75


def test_a_period_cut_mid_month_counts_only_its_own_days(cases) -> None:
    # 2 January to 20 February: not the completions of 31 March...
    period = Period(date(2026, 1, 2), date(2026, 2, 20))
    figures = services.completion_report(period, cases.court_a).figures
    # ...not the not-completion of 1 January (the day before), yes the withdrawal of 20 February (the last day).
    assert (figures.completed, figures.not_completed, figures.withdrawn) == (6, 0, 1)
    assert [(m.year, m.month, m.completed) for m in services.months_of(period, cases.court_a)] == [
        (2026, 1, 3),
        (2026, 2, 3),
    ]


def test_an_empty_period_gives_zeros_and_no_rates(cases) -> None:
    report = services.completion_report(month_period(2025, 6), None)
    assert as_dict(report.figures) == dict.fromkeys(EXPECTED_A, 0)
    assert report.figures.completion.value is None
    assert report.figures.completion.interval is None
    assert report.figures.opt_in.value is None
    assert [m.completion.value for m in services.months_of(month_period(2025, 6), None)] == [None]


def test_a_period_with_cases_but_none_finished_has_no_completion_rate(cases) -> None:
    figures = services.completion_report(month_period(2025, 11), cases.court_a).figures
    assert as_dict(figures) == {**dict.fromkeys(EXPECTED_A, 0), "referred": 1, "opted_in": 1, "in_progress": 1}
    assert figures.completion.value is None
    assert figures.opt_in.value == 1.0


def test_another_court_with_no_cases_has_only_zeros(cases) -> None:
    assert as_dict(services.completion_report(Q1, create_court()).figures) == dict.fromkeys(EXPECTED_A, 0)


# --- the court a report is for ---


def test_a_court_user_gets_their_own_court_and_404_for_another(cases) -> None:
    a, b = cases.court_a, cases.court_b
    user = create_user(role="court", court=a)
    assert services.report_court(None, user) is a
    assert services.report_court(a.code.lower(), user) is a
    with pytest.raises(NotFound):
        services.report_court(b.code, user)
    with pytest.raises(NotFound):
        services.report_court("NOSUCHCOURT", user)


def test_other_roles_get_every_court_or_one_their_report_may_be_narrowed_to(cases) -> None:
    manager, cps = create_user(role="manager"), create_user(role="cps", cps_courts=[cases.court_a])
    assert services.report_court(None, manager) is None
    assert services.report_court(cases.court_b.code, manager) is cases.court_b
    assert services.report_court(cases.court_a.code, cps) is cases.court_a
    elsewhere = create_court(schemes=[create_scheme(organisation=create_organisation())])
    for user, code in ((manager, "NOSUCHCOURT"), (manager, elsewhere.code), (cps, cases.court_b.code)):
        with pytest.raises(NotFound):
            services.report_court(code, user)


# --- aggregates only ---


def _statements(work, with_parameters: bool = False) -> list:
    seen: list = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append((statement, parameters) if with_parameters else statement)

    connection = db.session.connection()
    event.listen(connection, "before_cursor_execute", record)
    try:
        work()
    finally:
        event.remove(connection, "before_cursor_execute", record)
    return seen


def test_the_report_is_five_aggregate_queries_whatever_the_number_of_cases(cases) -> None:
    statements = _statements(lambda: (services.completion_report(Q1, None), services.months_of(Q1, None)))
    assert len(statements) == 5
    for statement in statements:
        sql = " ".join(statement.split()).lower()
        assert sql.startswith("select"), sql
        assert "count(" in sql, sql
        assert "from referrals" in sql, sql
        # No join, no person: no client table, no encrypted or blind-indexed column.
        for word in ("join", "clients", "urn", "notes", "consent_scope", "withdrawal_reason"):
            assert word not in sql, (word, sql)
    build_cases()
    assert len(_statements(lambda: services.completion_report(Q1, None))) == 4


def test_on_sqlite_each_count_takes_its_dates_index(app, cases) -> None:
    """The plans on SQLite, for every court: referral and consent dates are counted from their own indexes alone, and
    the in-progress count goes through the outcome date, not a range over every referral. (For one court, SQLite
    without ANALYZE statistics prefers the court's index; PostgreSQL, with them, takes the date-and-court index.)"""
    if db.session.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite's query plans")
    statements = _statements(
        lambda: (services.completion_report(Q1, None), services.months_of(Q1, None)), with_parameters=True
    )
    plans = [
        " ".join(str(row[-1]) for row in db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params))
        for sql, params in statements
    ]
    by_column = {
        column: plan
        for plan, (sql, _) in zip(plans, statements, strict=True)
        for column in ("referred_on >=", "consent_date >=")
        if column in sql
    }
    assert "COVERING INDEX ix_referrals_referred_on_court_id" in by_column["referred_on >="]
    assert "COVERING INDEX ix_referrals_consent_date_court_id" in by_column["consent_date >="]
    for plan, (sql, _) in zip(plans, statements, strict=True):
        assert "SCAN referrals" not in plan, (sql, plan)
        if "outcome_date" in sql:
            assert "ix_referrals_referred_on_court_id" not in plan, (sql, plan)


def test_a_managers_report_is_the_same_few_statements_each_read_from_her_schemes_indexes(app, cases) -> None:
    """A manager's counts are grouped by scheme in the same statements (five, with the months), each limited to her
    schemes; on SQLite each reads an index that begins with the scheme and the date it counts by, alone."""
    choice = choose(create_user(role="manager"))
    statements = _statements(
        lambda: (services.completion_report(Q1, None, choice), services.months_of(Q1, None, choice)),
        with_parameters=True,
    )
    assert len(statements) == 5
    for sql, _ in statements:
        assert "referrals.scheme_id in" in " ".join(sql.split()).lower(), sql
    if db.session.get_bind().dialect.name != "sqlite":
        return
    plans = {
        " ".join(sql.split()): " ".join(
            str(row[-1]) for row in db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)
        )
        for sql, params in statements
    }
    expected = {
        "referred_on >=": "COVERING INDEX ix_referrals_scheme_id_referred_on_court_id",
        "consent_date >=": "COVERING INDEX ix_referrals_scheme_id_consent_date_court_id",
        "outcome_date IS NULL": "COVERING INDEX ix_referrals_scheme_id_outcome_date_state",
        "SELECT referrals.scheme_id, referrals.state": "COVERING INDEX ix_referrals_scheme_id_outcome_date_state",
        "STRFTIME('%m'": "COVERING INDEX ix_referrals_scheme_id_outcome_date_state",  # by month
    }
    for words, index in expected.items():
        (plan,) = [plan for sql, plan in plans.items() if words in sql]
        assert index in plan, (words, plan)

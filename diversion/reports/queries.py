"""The completion report's SQL: aggregates only.

Nothing here loads a case into Python or touches an encrypted column: every function is one ``SELECT count(*)``
(grouped where it says so) over plain columns of ``referrals``, filtered on one date column by a range, so each can
use that column's index. Which date each figure counts by is set out in ``diversion.reports.services.FIGURES``.

Periods are inclusive London dates, ``start`` to ``end``; ``court_id`` None means every court the report counts.
``counted`` is whose cases (``diversion.reports.scope``: a user's schemes, or her court or courts); None counts
every case, for the service's own checks only. Counted by scheme (support staff's reports), each count is grouped
by scheme in the same statement and keyed by the scheme's id, so an organisation's total is the sum of its schemes'
by construction; otherwise the key is None.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, case, extract, func, or_, select

from diversion.extensions import db
from diversion.referrals.models import Referral, State
from diversion.reports import models  # noqa: F401 - the indexes these queries use are declared there
from diversion.scoping import Counted

# The final states the completion rate counts, and so the ones the chart by month shows.
FINISHED_STATES = (State.COMPLETED.value, State.NOT_COMPLETED.value, State.WITHDRAWN.value)


def _in(column: Any, start: date, end: date) -> ColumnElement[bool]:
    # Two comparisons rather than BETWEEN: the same plan on SQLite and PostgreSQL, and plainly an index range.
    return (column >= start) & (column <= end)


def _within(query: Select[Any], court_id: int | None, counted: Counted | None) -> Select[Any]:
    if counted is not None:
        query = query.where(counted.condition())
    if court_id is not None:
        query = query.where(Referral.court_id == court_id)
    return query


def _by_scheme(
    figure: Any, *conditions: ColumnElement[bool], court_id: int | None, counted: Counted | None, groups: tuple = ()
) -> list[tuple[Any, ...]]:
    """Rows of (scheme id or None, *groups, figure): grouped by scheme when ``counted`` is by scheme."""
    keys = [Referral.scheme_id] if counted is not None and counted.by_scheme else []
    query = _within(select(*keys, *groups, figure).where(*conditions), court_id, counted)
    if keys or groups:
        query = query.group_by(*keys, *groups)
    found = db.session.execute(query)
    return [tuple(row) if keys else (None, *row) for row in found]


def _counts(rows: list[tuple[Any, ...]]) -> dict[int | None, int]:
    return {scheme: int(count) for scheme, count in rows}


def referred_count(start: date, end: date, court_id: int | None, counted: Counted | None) -> dict[int | None, int]:
    """Cases referred in the period (by ``referred_on``), by scheme."""
    rows = _by_scheme(func.count(), _in(Referral.referred_on, start, end), court_id=court_id, counted=counted)
    return _counts(rows)


def opted_in_count(start: date, end: date, court_id: int | None, counted: Counted | None) -> dict[int | None, int]:
    """Cases that opted in during the period (by ``consent_date``), whatever state they are in now, by scheme."""
    rows = _by_scheme(func.count(), _in(Referral.consent_date, start, end), court_id=court_id, counted=counted)
    return _counts(rows)


def in_progress_count(end: date, court_id: int | None, counted: Counted | None) -> dict[int | None, int]:
    """Cases open at the end of the period, by scheme: referred by ``end`` and with no outcome by ``end``.

    The rows are found through the outcome date's index (no outcome yet, or one after ``end``: few, for a recent
    period); the referral date is tested in the count, not the WHERE clause, so that no planner is tempted by the
    referral date's index for ``referred_on <= end``, which matches nearly every case ever referred."""
    rows = _by_scheme(
        func.count(case((Referral.referred_on <= end, 1))),
        or_(Referral.outcome_date.is_(None), Referral.outcome_date > end),
        court_id=court_id,
        counted=counted,
    )
    return _counts(rows)


def outcome_counts(
    start: date, end: date, court_id: int | None, counted: Counted | None
) -> dict[tuple[int | None, str], int]:
    """Cases that reached each final state in the period (by ``outcome_date``), by scheme and state: one GROUP BY."""
    rows = _by_scheme(
        func.count(),
        _in(Referral.outcome_date, start, end),
        court_id=court_id,
        counted=counted,
        groups=(Referral.state,),
    )
    return {(scheme, str(state)): int(count) for scheme, state, count in rows}


def finished_by_month(
    start: date, end: date, court_id: int | None, counted: Counted | None
) -> dict[tuple[int, int, str], int]:
    """Completed, not completed and withdrawn cases by the month of their outcome date, within the period, for every
    scheme counted together: ``{(year, month, state): count}``, one GROUP BY (months without any are absent)."""
    year = extract("year", Referral.outcome_date)
    month = extract("month", Referral.outcome_date)
    query = (
        select(year, month, Referral.state, func.count())
        .where(_in(Referral.outcome_date, start, end), Referral.state.in_(FINISHED_STATES))
        .group_by(year, month, Referral.state)
    )
    # PostgreSQL's EXTRACT answers a numeric, SQLite's an integer.
    found = db.session.execute(_within(query, court_id, counted))
    return {(int(y), int(m), str(state)): int(count) for y, m, state, count in found}

"""The completion report's SQL: aggregates only.

Nothing here loads a case into Python or touches an encrypted column: every function is one ``SELECT count(*)``
(grouped where it says so) over plain columns of ``referrals``, filtered on one date column by a range, so each can
use that column's index. Which date each figure counts by is set out in ``diversion.reports.services.FIGURES``.

Periods are inclusive London dates, ``start`` to ``end``; ``court_id`` None means every court.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, case, extract, func, or_, select

from diversion.extensions import db
from diversion.referrals.models import Referral, State
from diversion.reports import models  # noqa: F401 - the indexes these queries use are declared there

# The final states the completion rate counts, and so the ones the chart by month shows.
FINISHED_STATES = (State.COMPLETED.value, State.NOT_COMPLETED.value, State.WITHDRAWN.value)


def _in(column: Any, start: date, end: date) -> ColumnElement[bool]:
    # Two comparisons rather than BETWEEN: the same plan on SQLite and PostgreSQL, and plainly an index range.
    return (column >= start) & (column <= end)


def _count(*conditions: ColumnElement[bool], court_id: int | None) -> int:
    query = select(func.count()).select_from(Referral).where(*conditions)
    if court_id is not None:
        query = query.where(Referral.court_id == court_id)
    return int(db.session.execute(query).scalar_one())


def referred_count(start: date, end: date, court_id: int | None) -> int:
    """Cases referred in the period (by ``referred_on``)."""
    return _count(_in(Referral.referred_on, start, end), court_id=court_id)


def opted_in_count(start: date, end: date, court_id: int | None) -> int:
    """Cases that opted in during the period (by ``consent_date``), whatever state they are in now."""
    return _count(_in(Referral.consent_date, start, end), court_id=court_id)


def in_progress_count(end: date, court_id: int | None) -> int:
    """Cases open at the end of the period: referred by ``end`` and with no outcome by ``end``.

    The rows are found through the outcome date's index (no outcome yet, or one after ``end``: few, for a recent
    period); the referral date is tested in the count, not the WHERE clause, so that no planner is tempted by the
    referral date's index for ``referred_on <= end``, which matches nearly every case ever referred."""
    query = select(func.count(case((Referral.referred_on <= end, 1)))).where(
        or_(Referral.outcome_date.is_(None), Referral.outcome_date > end)
    )
    if court_id is not None:
        query = query.where(Referral.court_id == court_id)
    return int(db.session.execute(query).scalar_one())


def outcome_counts(start: date, end: date, court_id: int | None) -> dict[str, int]:
    """Cases that reached each final state in the period (by ``outcome_date``), by state: one GROUP BY."""
    query = select(Referral.state, func.count()).where(_in(Referral.outcome_date, start, end)).group_by(Referral.state)
    if court_id is not None:
        query = query.where(Referral.court_id == court_id)
    return {str(state): int(count) for state, count in db.session.execute(query)}


def finished_by_month(start: date, end: date, court_id: int | None) -> dict[tuple[int, int, str], int]:
    """Completed, not completed and withdrawn cases by the month of their outcome date, within the period:
    ``{(year, month, state): count}``, one GROUP BY (months without any are absent)."""
    year = extract("year", Referral.outcome_date)
    month = extract("month", Referral.outcome_date)
    query = (
        select(year, month, Referral.state, func.count())
        .where(_in(Referral.outcome_date, start, end), Referral.state.in_(FINISHED_STATES))
        .group_by(year, month, Referral.state)
    )
    if court_id is not None:
        query = query.where(Referral.court_id == court_id)
    # PostgreSQL's EXTRACT answers a numeric, SQLite's an integer.
    return {(int(y), int(m), str(state)): int(count) for y, m, state, count in db.session.execute(query)}

"""The outcome figures' SQL: each measure is one SELECT of the rows behind it, and every figure is an aggregate over
that SELECT (a count of distinct units, a sum, or a histogram for a median), run in the database.

Nothing here loads a case into Python or reads an encrypted column. The same SELECT gives the drill-down (the cases
behind a figure) and the snapshot's hash of case ids, so a figure and its cases can never disagree.

Each rows SELECT has the columns ``case_id`` (the referral), ``client_id``, ``unit`` (what the figure counts: a case,
a woman, an appointment or an onward referral) and, where a measure has them, grouping columns and ``value``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

from sqlalchemy import Integer, Select, and_, case, cast, exists, func, literal, or_, select, union_all
from sqlalchemy.orm import aliased

from diversion.appointments.models import Appointment, Outcome
from diversion.assessments.models import Assessment, AssessmentDomain
from diversion.care_plans.models import CarePlan, OnwardReferral
from diversion.clients.models import Client
from diversion.dates import from_london
from diversion.extensions import db
from diversion.modern_slavery.models import NrmDecision
from diversion.outcomes.models import Review, ReviewDomain
from diversion.referrals.models import Consent, ConsentPurpose, Referral, State
from diversion.reports.queries import FINISHED_STATES
from diversion.scoping import Counted

MADE_STATUSES = ("made", "accepted", "attended")
TAKEN_UP_STATUSES = ("accepted", "attended")
NOT_RECORDED = "not_recorded"
# (code, lowest age, highest age) of the age bands reported; ages are at the period's end.
AGE_BANDS = (("18-24", 0, 24), ("25-34", 25, 34), ("35-44", 35, 44), ("45-54", 45, 54), ("55+", 55, 200))


@dataclass(frozen=True)
class Scope:
    """What a report is about: London dates ``start`` to ``end`` (both included), a court, a support worker, and whose
    cases it counts (``diversion.scoping.Counted``: a manager's schemes, or the one she chose). ``counted``
    None counts every case: for the service's own checks only, never a signed-in user's report."""

    start: date
    end: date
    court_id: int | None = None
    worker_id: uuid.UUID | None = None
    counted: Counted | None = None

    @property
    def utc_bounds(self) -> tuple[Any, Any]:
        """The period as UTC times, London midnight of its first day to London midnight after its last."""
        return from_london(self.start, time(0)), from_london(self.end + timedelta(days=1), time(0))


def _on(column: Any, scope: Scope) -> Any:
    return and_(column >= scope.start, column <= scope.end)


def _at(column: Any, scope: Scope) -> Any:
    low, high = scope.utc_bounds
    return and_(column >= low, column < high)


def _scoped(query: Select[Any], scope: Scope) -> Select[Any]:
    if scope.counted is not None:
        query = query.where(scope.counted.condition())
    if scope.court_id is not None:
        query = query.where(Referral.court_id == scope.court_id)
    if scope.worker_id is not None:
        query = query.where(Referral.assigned_worker_id == scope.worker_id)
    return query


ONE_ROW_PER_UNIT = "diversion_one_row_per_unit"


def _one_row_per_unit(query: Select[Any]) -> Select[Any]:
    """Mark rows in which no unit appears twice (the unit is the primary key of the one row each join ends at), so
    counting them needs no DISTINCT: the same number, without sorting every unit id of the period."""
    return query.execution_options(**{ONE_ROW_PER_UNIT: True})


def _cases(*conditions: Any, scope: Scope, unit: Any = None) -> Select[Any]:
    query = select(
        Referral.id.label("case_id"), Referral.client_id.label("client_id"), (unit or Referral.id).label("unit")
    ).where(*conditions)
    return _scoped(query if unit is not None else _one_row_per_unit(query), scope)


def referrals(scope: Scope) -> Select[Any]:
    return _cases(_on(Referral.referred_on, scope), scope=scope)


def women_referred(scope: Scope) -> Select[Any]:
    return _cases(_on(Referral.referred_on, scope), scope=scope, unit=Referral.client_id)


def opted_in(scope: Scope) -> Select[Any]:
    return _cases(_on(Referral.consent_date, scope), scope=scope)


def decisions(scope: Scope) -> Select[Any]:
    declined = and_(Referral.state == State.DECLINED.value, _on(Referral.outcome_date, scope))
    return _cases(or_(_on(Referral.consent_date, scope), declined), scope=scope)


def _outcomes(scope: Scope) -> Select[Any]:
    return _cases(_on(Referral.outcome_date, scope), scope=scope)


def _appointments(scope: Scope) -> Select[Any]:
    query = (
        select(Referral.id.label("case_id"), Referral.client_id.label("client_id"), Appointment.id.label("unit"))
        .select_from(Appointment)
        .join(Referral, Referral.id == Appointment.referral_id)
        .where(_at(Appointment.starts_at, scope))
    )
    return _scoped(_one_row_per_unit(query), scope)


def _onward(scope: Scope) -> Select[Any]:
    query = (
        select(
            Referral.id.label("case_id"),
            Referral.client_id.label("client_id"),
            OnwardReferral.id.label("unit"),
            OnwardReferral.service.label("service"),
        )
        .select_from(OnwardReferral)
        .join(CarePlan, CarePlan.id == OnwardReferral.plan_id)
        .join(Referral, Referral.id == CarePlan.referral_id)
        .where(CarePlan.is_agreed.is_(True), _at(CarePlan.agreed_at, scope))
    )
    return _scoped(_one_row_per_unit(query), scope)


# A case with signs of exploitation and no National Referral Mechanism outcome yet (docs/modern-slavery.md).
NRM_TO_CONSIDER = "to_consider"


def _nrm(scope: Scope) -> Select[Any]:
    """Cases whose needs assessment, recorded in the period, raised the safeguarding flag, with the outcome of their
    National Referral Mechanism task (each case once: one assessment and at most one outcome per case)."""
    query = (
        select(Referral.id.label("case_id"), Referral.client_id.label("client_id"), Referral.id.label("unit"))
        .select_from(Assessment)
        .join(Referral, Referral.id == Assessment.referral_id)
        .outerjoin(NrmDecision, NrmDecision.referral_id == Referral.id)
        .where(Assessment.has_safeguarding_flag.is_(True), _at(Assessment.completed_at, scope))
    )
    return _scoped(_one_row_per_unit(query), scope)


# A family: the wider rows (each unit once), the column its measures pick values of, and the groups it has.
_FAMILIES: dict[str, tuple[Callable[[Scope], Select[Any]], Any, tuple[str, ...]]] = {
    "outcomes": (_outcomes, Referral.state, ()),
    "appointments": (_appointments, Appointment.outcome, ()),
    "onward": (_onward, OnwardReferral.status, ("service",)),
    "nrm": (_nrm, func.coalesce(NrmDecision.outcome, NRM_TO_CONSIDER), ()),
}


@dataclass(frozen=True)
class Tallied:
    """A measure's rows that are the part of a wider selection (its ``family``) holding one of ``values`` in one
    column (any recorded value when ``values`` is None): cases finished by state, appointments by outcome, onward
    referrals by status. Calling it gives the rows (for the drill-down and snapshots); their counts come from one
    count of the whole family by that column (:meth:`tally`), shared by every measure of the family."""

    family: str
    values: tuple[str, ...] | None

    def __call__(self, scope: Scope) -> Select[Any]:
        rows, column, _ = _FAMILIES[self.family]
        return rows(scope).where(column.is_not(None) if self.values is None else column.in_(self.values))

    def tally(self, scope: Scope) -> dict[tuple[str | None, ...], int]:
        """The family's rows counted by group and value: ``{(*groups, value): count}``, in one query."""
        rows, column, groups = _FAMILIES[self.family]
        query = rows(scope)
        if not query.get_execution_options().get(ONE_ROW_PER_UNIT):
            raise ValueError(f"The {self.family} family must hold each unit once to be counted without DISTINCT")
        sub = query.add_columns(column.label("tallied")).subquery()
        columns = [sub.c[group] for group in groups] + [sub.c.tallied]
        found = db.session.execute(select(*columns, func.count()).group_by(*columns))
        return {tuple(None if value is None else str(value) for value in row[:-1]): int(row[-1]) for row in found}

    def count(self, tally: dict[tuple[str | None, ...], int], by: str | None) -> dict[str | None, int]:
        """This measure's count, in all or by a group, from its family's tally."""
        groups = _FAMILIES[self.family][2]
        position = groups.index(by) if by is not None else None
        counts: dict[str | None, int] = {}
        for key, number in tally.items():
            value = key[-1]
            if value is None or (self.values is not None and value not in self.values):
                continue
            group = None if position is None else key[position]
            counts[group] = counts.get(group, 0) + number
        if by is None:
            counts.setdefault(None, 0)
        return counts


def outcome(*states: str) -> Tallied:
    return Tallied("outcomes", states)


appointments_with_outcome = Tallied("appointments", None)
did_not_attend = Tallied("appointments", (Outcome.DID_NOT_ATTEND.value,))


def onward(statuses: tuple[str, ...]) -> Tallied:
    return Tallied("onward", statuses)


def nrm(*outcomes: str) -> Tallied:
    """Cases with signs of exploitation whose National Referral Mechanism outcome is one of these (every such case
    when none is named)."""
    return Tallied("nrm", outcomes or None)


def safeguarding(scope: Scope) -> Select[Any]:
    query = (
        select(Referral.id.label("case_id"), Referral.client_id.label("client_id"), Referral.client_id.label("unit"))
        .select_from(Assessment)
        .join(Referral, Referral.id == Assessment.referral_id)
        .where(Assessment.has_safeguarding_flag.is_(True), _at(Assessment.completed_at, scope))
    )
    return _scoped(query, scope)


def days_to_completion(scope: Scope) -> Select[Any]:
    if db.session.get_bind().dialect.name == "sqlite":
        days = cast(func.julianday(Referral.outcome_date) - func.julianday(Referral.referred_on), Integer)
    else:
        days = Referral.outcome_date - Referral.referred_on
    return _cases(_on(Referral.outcome_date, scope), Referral.state == State.COMPLETED.value, scope=scope).add_columns(
        days.label("value")
    )


def _latest_reviews(scope: Scope) -> Any:
    order = (Review.reviewed_on.desc(), Review.created_at.desc(), Review.id.desc())
    ranked = (
        select(Review.id, func.row_number().over(partition_by=Review.referral_id, order_by=order).label("position"))
        .where(_on(Review.reviewed_on, scope))
        .subquery()
    )
    return select(ranked.c.id).where(ranked.c.position == 1)


def wellbeing_change(scope: Scope) -> Select[Any]:
    """One row per domain of each case's latest review in the period: the change since the assessment."""
    query = (
        select(
            Referral.id.label("case_id"),
            Referral.client_id.label("client_id"),
            Referral.id.label("unit"),
            ReviewDomain.domain.label("domain"),
            (ReviewDomain.wellbeing_score - AssessmentDomain.wellbeing_score).label("value"),
        )
        .select_from(ReviewDomain)
        .join(Review, Review.id == ReviewDomain.review_id)
        .join(Referral, Referral.id == Review.referral_id)
        .join(Assessment, Assessment.referral_id == Referral.id)
        .join(
            AssessmentDomain,
            and_(AssessmentDomain.assessment_id == Assessment.id, AssessmentDomain.domain == ReviewDomain.domain),
        )
        .where(Review.id.in_(_latest_reviews(scope)))
    )
    return _scoped(query, scope)


def _age_band(scope: Scope) -> Any:
    # The birth year band's middle year stands for her year of birth: ages are within about two years.
    age = literal(scope.end.year - 2) - Client.birth_year_band
    whens = [(age <= high, code) for code, _, high in AGE_BANDS]
    return case((Client.birth_year_band.is_(None), NOT_RECORDED), *whens, else_=NOT_RECORDED)


def equality_monitored(scope: Scope) -> Select[Any]:
    """Women referred in the period who consented to equality monitoring (and have not withdrawn it).

    Her codes are hers, not a case's: a refusal or withdrawal recorded on any of her cases after this case's consent
    leaves her out too, so no report counts her age band or ethnic group once she has said no."""
    purpose = ConsentPurpose.EQUALITY_MONITORING.value
    consent, later_no, her_case = aliased(Consent), aliased(Consent), aliased(Referral)
    # Two levels down: name what it refers to outside, or the outer referrals table would be read again uncorrelated.
    said_no_since = (
        exists()
        .where(
            her_case.client_id == Referral.client_id,
            later_no.referral_id == her_case.id,
            later_no.purpose == purpose,
            later_no.is_given.is_(False),
            later_no.recorded_at > consent.recorded_at,
        )
        .correlate(Referral, consent)
    )
    consented = exists().where(
        consent.referral_id == Referral.id,
        consent.purpose == purpose,
        consent.is_given.is_(True),
        consent.withdrawn_at.is_(None),
        ~said_no_since,
    )
    query = (
        select(
            Referral.id.label("case_id"),
            Referral.client_id.label("client_id"),
            Referral.client_id.label("unit"),
            _age_band(scope).label("age_band"),
            func.coalesce(Client.ethnicity_code, NOT_RECORDED).label("ethnicity"),
        )
        .join(Client, Client.id == Referral.client_id)
        .where(_on(Referral.referred_on, scope), consented)
    )
    return _scoped(query, scope)


# --- aggregates over a measure's rows ---


def _units(rows: Select[Any], sub: Any) -> Any:
    """How many distinct units: a plain count where the rows hold each unit once."""
    return func.count() if rows.get_execution_options().get(ONE_ROW_PER_UNIT) else func.count(func.distinct(sub.c.unit))


def count_units(rows: Select[Any], by: str | None = None) -> dict[str | None, int]:
    """Distinct units of the rows, in all or by a grouping column: ``{group: count}`` (``{None: n}`` in all)."""
    sub = rows.subquery()
    if by is None:
        return {None: int(db.session.execute(select(_units(rows, sub)).select_from(sub)).scalar_one())}
    query = select(sub.c[by], _units(rows, sub)).group_by(sub.c[by])
    return {str(group): int(count) for group, count in db.session.execute(query)}


def count_units_by_each(rows: Select[Any], groups: tuple[str, ...]) -> dict[str, dict[str, int]]:
    """Distinct units by each of several grouping columns, from one query grouped by all of them. Only for groups
    that each put a unit in exactly one group (a woman has one age band and one ethnic group), so that adding up the
    combinations that share a group counts each unit once: ``{column: {group: count}}``."""
    sub = rows.subquery()
    columns = [sub.c[name] for name in groups]
    found: dict[str, dict[str, int]] = {name: {} for name in groups}
    for *values, count in db.session.execute(select(*columns, _units(rows, sub)).group_by(*columns)):
        for name, value in zip(groups, values, strict=True):
            found[name][str(value)] = found[name].get(str(value), 0) + int(count)
    return found


def sum_values(rows: Select[Any], by: str | None = None) -> dict[str | None, int]:
    """The sum of ``value`` over the rows, in all or by a grouping column."""
    sub = rows.subquery()
    total = func.coalesce(func.sum(sub.c.value), 0)
    if by is None:
        return {None: int(db.session.execute(select(total)).scalar_one())}
    return {str(group): int(value) for group, value in db.session.execute(select(sub.c[by], total).group_by(sub.c[by]))}


def count_and_sum(rows: Select[Any], by: str | None = None) -> dict[str | None, tuple[int, int]]:
    """Distinct units and the sum of ``value`` together, in one query: ``{group: (count, sum)}``."""
    sub = rows.subquery()
    columns = [_units(rows, sub), func.coalesce(func.sum(sub.c.value), 0)]
    if by is None:
        count, total = db.session.execute(select(*columns).select_from(sub)).one()
        return {None: (int(count), int(total))}
    query = select(sub.c[by], *columns).group_by(sub.c[by])
    return {str(group): (int(count), int(total)) for group, count, total in db.session.execute(query)}


def count_and_sum_with_total(rows: Select[Any], by: str) -> dict[str | None, tuple[int, int]]:
    """:func:`count_and_sum` by a grouping column and in all (``None``), from one statement that reads the rows once
    (a common table expression both parts read): ``{group: (count, sum), None: (count, sum)}``."""
    rows_cte = rows.cte("measure_rows")

    def figures(total: int) -> list[Any]:
        return [literal(total).label("is_total"), _units(rows, rows_cte), func.coalesce(func.sum(rows_cte.c.value), 0)]

    grouped = select(rows_cte.c[by].label("grouping"), *figures(0)).group_by(rows_cte.c[by])
    overall = select(literal(None).label("grouping"), *figures(1)).select_from(rows_cte)
    found: dict[str | None, tuple[int, int]] = {}
    for group, is_total, count, total in db.session.execute(union_all(grouped, overall)):
        found[None if is_total else str(group)] = (int(count), int(total))
    found.setdefault(None, (0, 0))
    return found


def value_histogram(rows: Select[Any]) -> dict[int, int]:
    """How many rows have each ``value``: enough for a median without loading a row."""
    sub = rows.subquery()
    query = select(sub.c.value, func.count()).group_by(sub.c.value)
    return {int(value): int(count) for value, count in db.session.execute(query)}


def case_ids(rows: Select[Any]) -> list[uuid.UUID]:
    """The distinct cases behind the rows, as ids only (for a snapshot's hash)."""
    sub = rows.subquery()
    return [row[0] for row in db.session.execute(select(sub.c.case_id).distinct())]


def month_counts(rows: Select[Any], column: Any) -> dict[tuple[int, int], int]:
    """Distinct units by calendar month of a date column that the rows carry as ``month_date``."""
    sub = rows.add_columns(column.label("month_date")).subquery()
    year, month = func.extract("year", sub.c.month_date), func.extract("month", sub.c.month_date)
    query = select(year, month, _units(rows, sub)).group_by(year, month)
    return {(int(y), int(m)): int(count) for y, m, count in db.session.execute(query)}


FINISHED = FINISHED_STATES

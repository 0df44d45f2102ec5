"""The funded-outcome figures: measures (what each counts, by which date), the dashboard's figures, monthly trends
and the drill-down to the cases behind a figure. Every number is an SQL aggregate (``diversion.outcomes.queries``);
no identity is decrypted.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, select

from diversion.assessments.models import DOMAIN_LABELS, Domain
from diversion.audit.services import record_event
from diversion.auth.models import Role, User
from diversion.care_plans.models import SERVICE_LABELS, Service
from diversion.courts.models import Court
from diversion.db import transaction
from diversion.errors import NotFound
from diversion.extensions import db
from diversion.organisations.models import user_schemes
from diversion.outcomes import queries
from diversion.outcomes.queries import Scope
from diversion.referrals.models import Referral, State
from diversion.reports.services import N_, MonthFigures, Period, Rate
from diversion.scoping import Counted

REFERENCE_COMPLETION_RATE = 0.89  # the completion rate of the scheme this one is modelled on (docs/design.md section 1)
DRILL_DOWN_LIMIT = 1000
MAX_GROUP = 32  # a group is a short code (a service, a domain, an age band, an ethnic group)


@dataclass(frozen=True)
class Measure:
    """A figure's building block: the rows behind it, what it counts and by which date."""

    key: str
    label: str
    unit: str  # cases, women, appointments, onward referrals, reviewed cases, days
    text: str
    rows: Callable[[Scope], Select[Any]]
    kind: str = "count"  # count (distinct units), sum (of value), values (a median of value)
    groups: tuple[str, ...] = ()


# The National Referral Mechanism task's outcomes (docs/modern-slavery.md), each a part of the cases with signs of
# exploitation: (measure, label, what it counts, the outcome code).
NRM_MEASURES = (
    (
        "nrm_referred",
        N_("NRM referrals made"),
        N_("cases with signs of exploitation (as above) referred to the National Referral Mechanism"),
        "nrm_referred",
    ),
    (
        "duty_to_notify",
        N_("Duty to Notify made"),
        N_("cases with signs of exploitation (as above) for whom a Duty to Notify was made"),
        "duty_to_notify",
    ),
    (
        "nrm_declined",
        N_("NRM referral declined"),
        N_("cases with signs of exploitation (as above) who declined a referral"),
        "declined",
    ),
    (
        "nrm_not_applicable",
        N_("NRM referral not applicable"),
        N_("cases with signs of exploitation (as above) for whom a referral was not applicable"),
        "not_applicable",
    ),
    (
        "nrm_to_consider",
        N_("NRM referral still to consider"),
        N_("cases with signs of exploitation (as above) with no outcome recorded yet"),
        queries.NRM_TO_CONSIDER,
    ),
)


def _m(key: str, label: str, unit: str, text: str, rows: Callable[[Scope], Select[Any]], **extra: Any) -> Measure:
    return Measure(key, label, unit, text, rows, **extra)


MEASURES: dict[str, Measure] = {
    measure.key: measure
    for measure in (
        _m(
            "referrals",
            N_("Referrals"),
            N_("cases"),
            N_("cases referred in the period (by referral date)"),
            queries.referrals,
        ),
        _m(
            "women_referred",
            N_("Women referred"),
            N_("women"),
            N_("women referred in the period (by referral date), each counted once however many referrals she has"),
            queries.women_referred,
        ),
        _m(
            "opted_in",
            N_("Opted in"),
            N_("cases"),
            N_(
                "cases whose consent to support and to sharing their status was recorded in the period "
                "(by consent date)"
            ),
            queries.opted_in,
        ),
        _m(
            "opted_in_or_declined",
            N_("Decisions about opting in"),
            N_("cases"),
            N_("cases that opted in (by consent date) or declined (by outcome date) in the period"),
            queries.decisions,
        ),
        _m(
            "declined",
            N_("Declined"),
            N_("cases"),
            N_("cases that declined in the period (by outcome date)"),
            queries.outcome(State.DECLINED.value),
        ),
        _m(
            "completed",
            N_("Completed"),
            N_("cases"),
            N_("cases that completed in the period (by outcome date)"),
            queries.outcome(State.COMPLETED.value),
        ),
        _m(
            "not_completed",
            N_("Not completed"),
            N_("cases"),
            N_("cases not completed by their return date, which fell in the period (by outcome date)"),
            queries.outcome(State.NOT_COMPLETED.value),
        ),
        _m(
            "withdrawn",
            N_("Withdrawn"),
            N_("cases"),
            N_("cases withdrawn in the period (by outcome date)"),
            queries.outcome(State.WITHDRAWN.value),
        ),
        _m(
            "finished",
            N_("Finished"),
            N_("cases"),
            N_(
                "cases completed, not completed or withdrawn in the period (by outcome date): the completion rate's "
                "denominator"
            ),
            queries.outcome(*queries.FINISHED),
        ),
        _m(
            "appointments_with_outcome",
            N_("Appointments with an outcome"),
            N_("appointments"),
            N_(
                "appointments whose time fell in the period (London dates) and whose outcome is recorded, rebookings "
                "included"
            ),
            queries.appointments_with_outcome,
        ),
        _m(
            "did_not_attend",
            N_("Did not attend"),
            N_("appointments"),
            N_("appointments in the period recorded as did not attend"),
            queries.did_not_attend,
        ),
        _m(
            "onward_made",
            N_("Onward referrals made"),
            N_("onward referrals"),
            N_("onward referrals in Care Action Plans agreed in the period, now made, accepted or attended"),
            queries.onward(queries.MADE_STATUSES),
            groups=("service",),
        ),
        _m(
            "onward_taken_up",
            N_("Onward referrals taken up"),
            N_("onward referrals"),
            N_("onward referrals in Care Action Plans agreed in the period, now accepted or attended"),
            queries.onward(queries.TAKEN_UP_STATUSES),
            groups=("service",),
        ),
        _m(
            "safeguarding",
            N_("Women with a safeguarding flag raised"),
            N_("women"),
            N_(
                "women whose needs assessment, recorded in the period, raised a safeguarding flag "
                "(signs of exploitation or trafficking), each counted once"
            ),
            queries.safeguarding,
        ),
        _m(
            "exploitation_cases",
            N_("Cases with signs of exploitation"),
            N_("cases"),
            N_("cases whose needs assessment, recorded in the period, records signs of exploitation or trafficking"),
            queries.nrm(),
        ),
        *(_m(key, label, N_("cases"), text, queries.nrm(outcome)) for key, label, text, outcome in NRM_MEASURES),
        _m(
            "days_to_completion",
            N_("Days from referral to completion"),
            N_("days"),
            N_("calendar days from the referral date to the outcome date, over cases completed in the period"),
            queries.days_to_completion,
            kind="values",
        ),
        _m(
            "reviewed_cases",
            N_("Cases reviewed"),
            N_("cases"),
            N_("cases with a follow-up review dated in the period (and a needs assessment to compare it with)"),
            queries.wellbeing_change,
            groups=("domain",),
        ),
        _m(
            "wellbeing_change",
            N_("Change in wellbeing"),
            N_("points"),
            N_(
                "the wellbeing score (1 to 10) at the case's latest review in the period minus the score at its needs "
                "assessment, added up over the cases reviewed"
            ),
            queries.wellbeing_change,
            kind="sum",
            groups=("domain",),
        ),
        _m(
            "equality_monitored",
            N_("Women who consented to equality monitoring"),
            N_("women"),
            N_(
                "women referred in the period who consented to equality monitoring and have not withdrawn it, each "
                "counted once; ages are at the end of the period, from the five-year band of her year of birth"
            ),
            queries.equality_monitored,
            groups=("age_band", "ethnicity"),
        ),
    )
}


@dataclass(frozen=True)
class ShownMeasure:
    """A measure's words as a page shows them, in the language of the page."""

    key: str
    label: str
    unit: str
    text: str


def shown_measures() -> dict[str, ShownMeasure]:
    """``MEASURES``' words for a page (the measures keep the English, which the exports give)."""
    return {key: ShownMeasure(key, _(m.label), _(m.unit), _(m.text)) for key, m in MEASURES.items()}


COUNT_KEYS = tuple(key for key, measure in MEASURES.items() if measure.kind == "count" and not measure.groups)


def count(key: str, scope: Scope, by: str | None = None) -> dict[str | None, int]:
    """A count measure, in all or by one of its groups."""
    return queries.count_units(MEASURES[key].rows(scope), by)


def total(key: str, scope: Scope, by: str | None = None) -> dict[str | None, int]:
    """A sum measure, in all or by one of its groups."""
    return queries.sum_values(MEASURES[key].rows(scope), by)


def median(histogram: dict[int, int]) -> float | None:
    """The median of values given as ``{value: how many}``; None for none."""
    size = sum(histogram.values())
    if not size:
        return None
    low_position, high_position = (size - 1) // 2, size // 2  # the middle one, or the middle two
    seen = 0
    low = high = 0
    found_low = False
    for value in sorted(histogram):
        seen += histogram[value]
        if not found_low and low_position < seen:
            low, found_low = value, True
        if high_position < seen:
            high = value
            break
    return (low + high) / 2


@dataclass(frozen=True)
class DomainChange:
    """Distance travelled in one domain: cases reviewed and the total change; the mean is their quotient."""

    domain: Domain
    cases: int
    change: int

    @property
    def mean(self) -> float | None:
        """Mean change in points (2 places), or None when no case was reviewed."""
        return round(self.change / self.cases, 2) if self.cases else None


@dataclass(frozen=True)
class ServiceCounts:
    """Onward referrals to one service: made and taken up."""

    service: Service
    made: int
    taken_up: int


@dataclass(frozen=True)
class OutcomeFigures:
    """The dashboard's figures for one scope."""

    scope: Scope
    counts: dict[str, int]
    median_days: float | None
    services: list[ServiceCounts]
    domains: list[DomainChange]
    reference: float = REFERENCE_COMPLETION_RATE

    @property
    def completion(self) -> Rate:
        """Completed of finished cases."""
        return Rate(self.counts["completed"], self.counts["finished"])

    @property
    def opt_in(self) -> Rate:
        """Opted in of decisions made."""
        return Rate(self.counts["opted_in"], self.counts["opted_in"] + self.counts["declined"])

    @property
    def non_attendance(self) -> Rate:
        """Did-not-attend of appointments with an outcome."""
        return Rate(self.counts["did_not_attend"], self.counts["appointments_with_outcome"])

    @property
    def take_up(self) -> Rate:
        """Onward referrals taken up of those made."""
        return Rate(self.counts["onward_taken_up"], self.counts["onward_made"])

    @property
    def reported_median_days(self) -> float | None:
        """The median as reported (1 place)."""
        return None if self.median_days is None else round(self.median_days, 1)


def outcome_figures(scope: Scope) -> OutcomeFigures:
    """Every dashboard figure for the scope: one aggregate query per measure (and per grouping)."""
    counts = {key: count(key, scope)[None] for key in COUNT_KEYS}
    made, taken_up = count("onward_made", scope, "service"), count("onward_taken_up", scope, "service")
    counts["onward_made"], counts["onward_taken_up"] = sum(made.values()), sum(taken_up.values())
    reviewed, change = count("reviewed_cases", scope, "domain"), total("wellbeing_change", scope, "domain")
    counts["reviewed_cases"] = count("reviewed_cases", scope)[None]
    return OutcomeFigures(
        scope=scope,
        counts=counts,
        median_days=median(queries.value_histogram(MEASURES["days_to_completion"].rows(scope))),
        services=[
            ServiceCounts(service, made.get(service.value, 0), taken_up.get(service.value, 0))
            for service in Service
            if made.get(service.value) or taken_up.get(service.value)
        ],
        domains=[DomainChange(domain, reviewed.get(domain.value, 0), change.get(domain.value, 0)) for domain in Domain],
    )


# --- months, for the trend charts ---


def months_of(period: Period, scope: Scope) -> list[MonthFigures]:
    """Finished cases by month of outcome (as the completion report) within the scope: one query per state."""
    by_state = {
        key: queries.month_counts(MEASURES[key].rows(scope), Referral.outcome_date)
        for key in ("completed", "not_completed", "withdrawn")
    }
    return [
        MonthFigures(year, month, *(by_state[key].get((year, month), 0) for key in by_state))
        for year, month in period.months()
    ]


def referrals_by_month(period: Period, scope: Scope) -> list[tuple[int, int, int]]:
    """Cases referred in each month of the period: (year, month, count)."""
    counts = queries.month_counts(MEASURES["referrals"].rows(scope), Referral.referred_on)
    return [(year, month, counts.get((year, month), 0)) for year, month in period.months()]


# --- filters ---


def support_workers(counted: Counted | None) -> list[User]:
    """Workers and managers of the schemes counted, who may hold their cases, by name (none for a report that is
    not by scheme)."""
    if counted is None or not counted.scheme_ids:
        return []
    query = (
        select(User)
        .where(
            User.role.in_((Role.WORKER.value, Role.MANAGER.value)),
            User.id.in_(select(user_schemes.c.user_id).where(user_schemes.c.scheme_id.in_(counted.scheme_ids))),
        )
        .order_by(db.func.lower(User.display_name), User.email)
    )
    return list(db.session.scalars(query))


def report_worker(worker_id: str | None, counted: Counted | None) -> User | None:
    """The support worker a report is for (None: all): one of the workers of the schemes counted; NotFound for any
    other id, as for an unknown one."""
    if not worker_id:
        return None
    try:
        wanted = uuid.UUID(str(worker_id))
    except ValueError:
        wanted = None
    user = next((user for user in support_workers(counted) if user.id == wanted), None)
    if user is None:
        raise NotFound(_("No support worker has this id"), {"worker": _("No support worker has this id")})
    return user


def scope_of(period: Period, court: Court | None, worker: User | None, counted: Counted | None = None) -> Scope:
    """The scope of a period, a court, a support worker and the cases counted."""
    return Scope(period.start, period.end, court.id if court else None, worker.id if worker else None, counted)


# --- the drill-down ---


@dataclass(frozen=True)
class CaseRow:
    """A case behind a figure: plain columns only (nothing about her), with a link to the case."""

    id: uuid.UUID
    court: str
    worker: str | None
    referred_on: Any
    state: str
    outcome_date: Any
    units: int

    @property
    def reference(self) -> str:
        """A short reference for the case, from its id."""
        return str(self.id)[:8].upper()


def cases_behind(
    key: str, scope: Scope, actor: User, group: tuple[str, str] | None = None
) -> tuple[list[CaseRow], int]:
    """The cases behind a figure (up to DRILL_DOWN_LIMIT, oldest referral first) and how many there are in all;
    audited, since it lists cases."""
    from diversion.auth.models import User as Worker
    from diversion.courts.models import Court as CourtModel

    measure = MEASURES[key]
    rows = measure.rows(scope).subquery()
    condition = []
    if group is not None:
        by, value = group
        if by not in measure.groups or len(value) > MAX_GROUP:
            raise NotFound(_("This figure has no such group"), {"by": _("This figure has no such group")})
        condition.append(rows.c[by] == value)
    units = (
        select(rows.c.case_id, db.func.count(db.func.distinct(rows.c.unit)).label("units"))
        .where(*condition)
        .group_by(rows.c.case_id)
        .subquery()
    )
    query = (
        select(
            Referral.id,
            CourtModel.name,
            Worker.display_name,
            Referral.referred_on,
            Referral.state,
            Referral.outcome_date,
            units.c.units,
        )
        .join(units, units.c.case_id == Referral.id)
        .join(CourtModel, CourtModel.id == Referral.court_id)
        .outerjoin(Worker, Worker.id == Referral.assigned_worker_id)
        .order_by(Referral.referred_on, Referral.id)
    )
    total_cases = int(db.session.execute(select(db.func.count()).select_from(units)).scalar_one())
    found = [CaseRow(*row) for row in db.session.execute(query.limit(DRILL_DOWN_LIMIT))]
    with transaction():
        record_event(
            "outcomes.drill_down",
            object_type="measure",
            object_id=key,
            details={
                "from": scope.start.isoformat(),
                "to": scope.end.isoformat(),
                "court_id": scope.court_id,
                "worker_id": str(scope.worker_id) if scope.worker_id else None,
                **(scope.counted.detail() if scope.counted else {}),
                "by": group[0] if group else None,
                "group": group[1] if group else None,
                "cases": total_cases,
            },
            actor=actor,
        )
    return found, total_cases


GROUP_LABELS: dict[str, dict[str, str]] = {
    "service": {service.value: label for service, label in SERVICE_LABELS.items()},
    "domain": {domain.value: label for domain, label in DOMAIN_LABELS.items()},
}

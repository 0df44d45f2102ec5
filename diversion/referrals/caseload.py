"""The caseload: tabs of cases, search through the blind indexes, sorting and pages, in a bounded number of queries.

A page of 50 rows costs the same few queries whatever its size: a count, the page (referral, client and court
joined), one key-store read for every client's data key, and one query for the page's next appointments.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.orm import aliased

from diversion import scoping
from diversion.appointments.models import Appointment
from diversion.audit import reads
from diversion.auth.models import User
from diversion.clients.services import find_clients
from diversion.crypto.blind import normalise_urn
from diversion.crypto.fields import read_fields
from diversion.dates import from_london, is_working_day, today, working_days_between
from diversion.extensions import db
from diversion.keyring import key_provider
from diversion.referrals import need_to_know
from diversion.referrals.models import FINAL_STATES, OPEN_STATES, Referral, State
from diversion.referrals.programme import DEFAULT_PROGRAMME, programme_for, versions_in_use

PER_PAGE = 50
TABS = {
    "mine": _l("My cases"),
    "open": _l("All open"),
    "at-risk": _l("At risk"),
    "today": _l("Today"),
    "unresolved": _l("Unresolved appointments"),
    "closed": _l("Closed"),
}
# The scope of a search: every case the user may see, open or closed, whoever's (not a tab: it has no link).
SEARCH = "search"
SORTS = {
    "return_date": (_l("Return date"), Referral.return_date.asc()),
    "referred_on": (_l("Referred"), Referral.referred_on.desc()),
    "state": (_l("Status"), Referral.state.asc()),
}


@dataclass
class CaseRow:
    """One line of the caseload, decrypted for the page."""

    referral: Referral
    working_days_left: int
    next_appointment: datetime | None
    is_at_risk: bool
    # A colleague's case found by a search, in a scheme where she opens only her own and unassigned cases: the row
    # shows no name and leads to the page that asks her reason (docs/organisations.md, "Need to know").
    needs_reason: bool = False


@dataclass
class CaseloadPage:
    """A page of the caseload and where it sits among the rest."""

    rows: list[CaseRow]
    total: int
    page: int
    pages: int


def at_risk_cutoff(on: date | None = None, days: int | None = None) -> date:
    """The last return date that counts as at risk under a threshold of ``days`` working days (the default
    programme's when not given) from ``on`` (today)."""
    day = on or today()
    remaining = DEFAULT_PROGRAMME["at_risk_working_days"] if days is None else days
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


@dataclass(frozen=True)
class AtRisk:
    """When a case is at risk, by its own programme version: the cutoff of each version's at-risk working days."""

    on: date
    # The last return date at risk, by programme version id.
    cutoffs: dict[int, date]

    def condition(self) -> ColumnElement[bool]:
        """SQL: an open case's return date is at risk by its version's threshold. One cutoff per threshold in play,
        OR-ed (a plain return date bound when every version has the same threshold), so the query reads the return
        date and state indexes as before."""
        by_cutoff: dict[date, list[int]] = {}
        for version_id, cutoff in self.cutoffs.items():
            by_cutoff.setdefault(cutoff, []).append(version_id)
        if not by_cutoff:
            return false()
        if len(by_cutoff) == 1:
            return Referral.return_date <= next(iter(by_cutoff))
        return or_(
            *(
                and_(Referral.return_date <= cutoff, Referral.programme_version_id.in_(sorted(ids)))
                for cutoff, ids in sorted(by_cutoff.items())
            )
        )

    def of(self, referral: Referral) -> bool:
        """True when an open case is at risk by its version's threshold."""
        cutoff = self.cutoffs.get(referral.programme_version_id)
        if cutoff is None:
            cutoff = at_risk_cutoff(self.on, programme_for(referral).at_risk_working_days)
        return referral.is_open and referral.return_date <= cutoff


def at_risk_rule(on: date | None = None, scheme_ids: list[int] | None = None) -> AtRisk:
    """When a case of these schemes (or of any) is at risk on ``on`` (today): each programme version's cutoff, the
    versions read in one query and each threshold's cutoff worked out once."""
    day = on or today()
    by_days: dict[int, date] = {}
    cutoffs = {}
    for version_id, programme in versions_in_use(scheme_ids).items():
        days = programme.at_risk_working_days
        if days not in by_days:
            by_days[days] = at_risk_cutoff(day, days)
        cutoffs[version_id] = by_days[days]
    return AtRisk(day, cutoffs)


def _base(tab: str, user: User) -> Select[Any]:
    open_values = [state.value for state in OPEN_STATES]
    # Only the cases she may see (her schemes' cases, docs/organisations.md), whichever the tab.
    query = select(Referral).where(scoping.cases_filter(user))
    listed = need_to_know.listed_filter(user)
    if listed is not None and tab != SEARCH:
        # The tabs list the cases she opens as of right; a search finds a colleague's too.
        query = query.where(listed)
    if tab == "mine":
        query = query.where(Referral.assigned_worker_id == user.id, Referral.state.in_(open_values))
    elif tab == "open":
        query = query.where(Referral.state.in_(open_values))
    elif tab == "at-risk":
        query = query.where(Referral.state.in_(open_values), at_risk_rule(None, scoping.scheme_ids(user)).condition())
    elif tab == "closed":
        query = query.where(Referral.state.in_([state.value for state in FINAL_STATES]))
    elif tab != SEARCH:
        raise ValueError(f"No caseload tab {tab!r}.")
    return query


def search_filter(
    query: Select[Any],
    family_name: str | None,
    date_of_birth: date | None,
    urn: str | None,
    organisation_ids: list[int],
) -> Select[Any]:
    """Narrow by URN (full blind index) or family name + date of birth (truncated index, then exact match)."""
    from diversion.referrals.urns import urn_index_value

    if urn:
        query = query.where(Referral.urn_index == urn_index_value(normalise_urn(urn)))
    if family_name and date_of_birth:
        ids = [client.id for client in find_clients(family_name, date_of_birth, organisation_ids)]
        query = query.where(Referral.client_id.in_(ids or [uuid.UUID(int=0)]))
    return query


def caseload(
    tab: str,
    user: User,
    *,
    sort: str = "return_date",
    page: int = 1,
    family_name: str | None = None,
    date_of_birth: date | None = None,
    urn: str | None = None,
) -> CaseloadPage:
    """One page of a caseload tab, searched and sorted."""
    query = search_filter(_base(tab, user), family_name, date_of_birth, urn, scoping.organisation_ids(user))
    total = int(db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0)
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(max(1, page), pages)
    order = SORTS.get(sort, SORTS["return_date"])[1]
    if tab == "closed" and sort == "return_date":
        order = Referral.outcome_date.desc()
    referrals = list(
        db.session.scalars(query.order_by(order, Referral.id).limit(PER_PAGE).offset((page - 1) * PER_PAGE))
    )
    return CaseloadPage(_rows(referrals, user), total, page, pages)


def _rows(referrals: list[Referral], user: User) -> list[CaseRow]:
    if not referrals:
        return []
    asked = need_to_know.needing_reason(user, referrals)
    # A colleague's case she has given no reason for shows its status only, its URN and state (docs/organisations.md,
    # "Need to know"): her name is neither decrypted nor counted as read. Every other row shows her name: a read of
    # the case, noted for the audit (diversion/audit/reads.py).
    named = [referral for referral in referrals if referral.id not in asked]
    reads.note(asked, reads.STATUS)
    reads.note((referral.id for referral in named), reads.LIST)
    key_provider().prefetch([referral.client_id for referral in referrals])
    # What every row shows, decrypted in one pass while the keys just read are at hand (bench/page_bench.py).
    read_fields([referral.client for referral in named], "given_name", "family_name")
    read_fields(referrals, "urn")
    next_by_case = next_appointments([referral.id for referral in referrals])
    on = today()
    risk = at_risk_rule(on, scoping.scheme_ids(user))
    rows = []
    for referral in referrals:
        left = working_days_between(on, referral.return_date) if referral.is_open else 0
        rows.append(
            CaseRow(
                referral=referral,
                working_days_left=left,
                next_appointment=next_by_case.get(referral.id),
                is_at_risk=risk.of(referral),
                needs_reason=referral.id in asked,
            )
        )
    return rows


def next_appointments(referral_ids: list[uuid.UUID]) -> dict[uuid.UUID, datetime]:
    """The next appointment still to come for each case, in one query."""
    newer = aliased(Appointment)
    rows = db.session.execute(
        select(Appointment.referral_id, func.min(Appointment.starts_at))
        .where(
            Appointment.referral_id.in_(referral_ids),
            Appointment.outcome.is_(None),
            Appointment.starts_at >= from_london(today(), datetime.min.time()),
            ~select(newer.id).where(newer.supersedes_id == Appointment.id).exists(),
        )
        .group_by(Appointment.referral_id)
    ).all()
    return {row[0]: row[1] for row in rows}


def appointments_on(day: date, worker_id: uuid.UUID | None = None, *, user: User | None = None) -> list[Appointment]:
    """A day's appointments (London time) on open cases, earliest first, for the Today tab: of the cases ``user``
    may see, when given (diversion/scoping.py)."""
    start = from_london(day, datetime.min.time())
    query = (
        select(Appointment)
        .join(Referral, Referral.id == Appointment.referral_id)
        .where(
            Appointment.starts_at >= start,
            Appointment.starts_at < start + timedelta(days=1),
            Referral.state.in_([state.value for state in OPEN_STATES]),
        )
        .order_by(Appointment.starts_at)
    )
    if user is not None:
        query = query.where(scoping.cases_filter(user))
    if worker_id is not None:
        query = query.where(Appointment.worker_id == worker_id)
    appointments = list(db.session.scalars(query))
    key_provider().prefetch([appointment.client_id for appointment in appointments])
    return appointments


def cases_by_id(referral_ids: list[uuid.UUID], user: User) -> dict[uuid.UUID, Referral]:
    """Those of these cases ``user`` may see and her lists show, by id, in one query, their clients' data keys
    fetched together (a colleague's case in a scheme where she opens her own is left out: docs/organisations.md,
    "Need to know")."""
    if not referral_ids:
        return {}
    referrals = list(
        db.session.scalars(select(Referral).where(Referral.id.in_(referral_ids), scoping.cases_filter(user)))
    )
    referrals = [referral for referral in referrals if need_to_know.listed(user, referral)]
    reads.note((referral.id for referral in referrals), reads.LIST)
    key_provider().prefetch([referral.client_id for referral in referrals])
    return {referral.id: referral for referral in referrals}


def state_counts(user: User) -> dict[str, int]:
    """How many of the cases she may see each tab holds (for the tab labels). Every tab counted is of open cases, so
    the count reads the open cases from the state's index, never the history of closed ones."""
    open_values = [state.value for state in OPEN_STATES]
    query = select(
        func.count().filter(Referral.assigned_worker_id == user.id),
        func.count(),
        func.count().filter(at_risk_rule(None, scoping.scheme_ids(user)).condition()),
    ).where(Referral.state.in_(open_values), scoping.cases_filter(user))
    listed = need_to_know.listed_filter(user)
    if listed is not None:
        query = query.where(listed)
    row = db.session.execute(query).one()
    return {"mine": row[0], "open": row[1], "at-risk": row[2]}


def label_for(state: str) -> str:
    """A state's label."""
    return State(state).label

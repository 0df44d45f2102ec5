"""Which cases a user may see at all: the organisation and scheme wall, in the query (docs/organisations.md).

- Support workers and managers see the cases of their schemes, and nothing of any other organisation.
- Court users see their court's referrals, whichever scheme holds them; CPS users the courts they cover.
- Administrators and the platform operator see no case.

Every query that lists, counts or loads cases for a signed-in user starts from ``cases_filter(user)``; a loader
that finds a case outside it answers 404, as for a case that does not exist. Inside a scheme with the ``assigned``
rule a worker's colleague's case is in the filter (she may find it, and see that it exists) but opening it asks
for a reason (diversion/referrals/need_to_know.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, select

from diversion.auth.models import Role, User
from diversion.extensions import db
from diversion.organisations.models import Organisation, Scheme
from diversion.referrals.models import Referral

STAFF_ROLES = frozenset({Role.WORKER, Role.MANAGER})


def scheme_ids(user: User) -> list[int]:
    """The schemes whose cases a worker or manager sees; none for other roles."""
    if Role(user.role) not in STAFF_ROLES:
        return []
    return sorted(scheme.id for scheme in user.schemes)


def court_ids(user: User) -> list[int] | None:
    """The courts whose referrals a court or CPS user sees; None for roles not limited by court."""
    role = Role(user.role)
    if role == Role.COURT:
        return [int(user.court_id)] if user.court_id is not None else []
    if role == Role.CPS:
        return sorted(court.id for court in user.cps_courts)
    return None


def cases_filter(user: User, model: Any = Referral) -> ColumnElement[bool]:
    """SQL: the cases ``user`` may see. ``model`` is the Referral entity or an alias of it."""
    role = Role(user.role)
    if role in STAFF_ROLES:
        schemes = scheme_ids(user)
        return model.scheme_id.in_(schemes) if schemes else false()
    courts = court_ids(user)
    if courts:
        return model.court_id.in_(courts)
    return false()


def may_see(user: User, referral: Referral) -> bool:
    """True when ``referral`` is inside what ``user`` may see (the same rule as ``cases_filter``)."""
    role = Role(user.role)
    if role in STAFF_ROLES:
        return referral.scheme_id in scheme_ids(user)
    courts = court_ids(user)
    return bool(courts) and referral.court_id in courts


def organisation_ids(user: User) -> list[int]:
    """The organisations whose clients ``user`` may be searching for: her own, for staff; for court and CPS users,
    every organisation with a scheme at their courts (their search is still limited by court)."""
    role = Role(user.role)
    if role in STAFF_ROLES or role == Role.ADMIN:
        return [int(user.organisation_id)] if user.organisation_id is not None else []
    courts = court_ids(user)
    if not courts:
        return []
    from diversion.organisations.models import scheme_courts

    return sorted(
        db.session.scalars(
            select(Scheme.organisation_id)
            .join(scheme_courts, scheme_courts.c.scheme_id == Scheme.id)
            .where(scheme_courts.c.court_id.in_(courts))
            .distinct()
        )
    )


def organisation_of(user: User) -> Organisation | None:
    """The user's organisation, or None for court, CPS and the platform operator."""
    return db.session.get(Organisation, user.organisation_id) if user.organisation_id is not None else None

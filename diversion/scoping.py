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

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false, select

from diversion.auth.models import Role, User
from diversion.extensions import db
from diversion.organisations.models import Scheme
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
    return counted_for(user).condition(model)


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


@dataclass(frozen=True)
class Counted:
    """The cases a report counts: the cases of ``scheme_ids`` (support staff: her schemes, or the one she chose), or
    of ``court_ids`` (court and CPS users). One of the two is set; an empty one counts nothing."""

    scheme_ids: tuple[int, ...] | None = None
    court_ids: tuple[int, ...] | None = None

    def condition(self, model: Any = Referral) -> ColumnElement[bool]:
        """SQL: the cases counted. ``model`` is the Referral entity or an alias of it."""
        if self.scheme_ids is not None:
            return model.scheme_id.in_(self.scheme_ids) if self.scheme_ids else false()
        return model.court_id.in_(self.court_ids) if self.court_ids else false()

    @property
    def by_scheme(self) -> bool:
        """Whether the figures are counted scheme by scheme (support staff's reports); a court's are not."""
        return self.scheme_ids is not None

    def only(self, scheme_id: int) -> Counted:
        """The cases of one of these schemes."""
        if self.scheme_ids is None or scheme_id not in self.scheme_ids:
            raise ValueError("not one of the schemes counted")
        return Counted(scheme_ids=(scheme_id,))

    def detail(self) -> dict[str, Any]:
        """What is counted, for an audit event: ids only."""
        if self.scheme_ids is not None:
            return {"scheme_ids": list(self.scheme_ids)}
        return {"court_ids": list(self.court_ids or ())}


def counted_for(user: User) -> Counted:
    """Every case ``user`` may see, as ids: her schemes for a support worker or a manager, the court or courts for
    court and CPS users, nothing for anyone else. ``cases_filter`` is its SQL."""
    if Role(user.role) in STAFF_ROLES:
        return Counted(scheme_ids=tuple(scheme_ids(user)))
    return Counted(court_ids=tuple(court_ids(user) or ()))

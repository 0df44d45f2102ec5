"""Reading a case: its timeline, her other referrals, and the people a case can be given to."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Select, bindparam, func, select

from diversion.auth.models import Role, User
from diversion.dates import today, working_days_between
from diversion.extensions import db
from diversion.organisations.models import user_schemes
from diversion.referrals.models import Referral, ReturnDateChange


def case_history(referral: Referral) -> list[Any]:
    """The case's timeline: every change recorded against it, newest first (reads are in the audit log, not here)."""
    from diversion.audit.models import AuditEvent

    return list(
        db.session.execute(
            select(AuditEvent, User.display_name)
            .outerjoin(User, User.id == AuditEvent.actor_id)
            .where(AuditEvent.case_id == referral.id, AuditEvent.action != "case.viewed")
            .order_by(AuditEvent.id.desc())
        ).all()
    )


def return_date_changes(referral: Referral) -> list[ReturnDateChange]:
    """Re-adjournments of the case, oldest first."""
    return list(db.session.scalars(_return_date_changes_query(), {"referral_id": referral.id}))


@functools.cache
def _return_date_changes_query() -> Select[tuple[ReturnDateChange]]:
    # Built once: every case overview runs it.
    return (
        select(ReturnDateChange)
        .where(ReturnDateChange.referral_id == bindparam("referral_id"))
        .order_by(ReturnDateChange.changed_at)
    )


def other_referrals(referral: Referral) -> list[Referral]:
    """Her other referrals, newest first: what happened the other times she was referred."""
    return list(
        db.session.scalars(
            select(Referral)
            .where(Referral.client_id == referral.client_id, Referral.id != referral.id)
            .order_by(Referral.referred_on.desc(), Referral.id)
        )
    )


def workers(scheme_id: int) -> list[User]:
    """The scheme's active support workers and managers, for assigning its cases and booking their appointments:
    nobody of another scheme, let alone another organisation (docs/organisations.md)."""
    return list(
        db.session.scalars(
            select(User)
            .join(user_schemes, user_schemes.c.user_id == User.id)
            .where(
                user_schemes.c.scheme_id == scheme_id,
                User.role.in_([Role.WORKER.value, Role.MANAGER.value]),
                User.is_disabled.is_(False),
            )
            .order_by(func.lower(User.display_name), User.email)
        )
    )


def works_in(user: User, scheme_id: int) -> bool:
    """True when ``user`` is a support worker or manager of the scheme."""
    return Role(user.role) in (Role.WORKER, Role.MANAGER) and any(scheme.id == scheme_id for scheme in user.schemes)


def working_days_left(referral: Referral) -> int:
    """Working days from today to the return date (0 for a closed case)."""
    return working_days_between(today(), referral.return_date) if referral.is_open else 0

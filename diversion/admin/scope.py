"""Which accounts an organisation's administrator manages, and which a manager confirms (docs/organisations.md,
"Administration per organisation").

Support workers, managers and administrators belong to an organisation; court and CPS users do not. So:

- an administrator manages her organisation's workers, managers and administrators, the court users of the courts
  her organisation's schemes serve, and the CPS users who cover at least one of those courts; nobody else (another
  organisation's staff, a court user elsewhere, the platform operator);
- a manager confirms the accounts of her organisation's staff, and of the court and CPS users of the courts her own
  schemes serve.

Anything outside answers 404, as an account that does not exist.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, false, or_, select

from diversion import scoping
from diversion.auth.models import Role, User
from diversion.courts.models import Court
from diversion.extensions import db
from diversion.organisations.models import Scheme, cps_courts, scheme_courts
from diversion.organisations.services import scheme_court_ids


def organisation_court_ids(organisation_id: int | None) -> list[int]:
    """The courts any scheme of the organisation serves."""
    if organisation_id is None:
        return []
    return sorted(
        db.session.scalars(
            select(scheme_courts.c.court_id)
            .join(Scheme, Scheme.id == scheme_courts.c.scheme_id)
            .where(Scheme.organisation_id == organisation_id)
            .distinct()
        )
    )


def organisation_courts(organisation_id: int | None, active_only: bool = False) -> list[Court]:
    """The courts the organisation's schemes serve, by name."""
    ids = organisation_court_ids(organisation_id)
    if not ids:
        return []
    query = select(Court).where(Court.id.in_(ids)).order_by(Court.name)
    if active_only:
        query = query.where(Court.is_active.is_(True))
    return list(db.session.scalars(query))


def _accounts(organisation_id: int | None, court_ids: list[int]) -> ColumnElement[bool]:
    """SQL: the organisation's own staff, and the court and CPS users of ``court_ids``."""
    conditions: list[ColumnElement[bool]] = []
    if organisation_id is not None:
        conditions.append(User.organisation_id == organisation_id)
    if court_ids:
        conditions.append(and_(User.role == Role.COURT.value, User.court_id.in_(court_ids)))
        conditions.append(
            and_(
                User.role == Role.CPS.value,
                exists(
                    select(cps_courts.c.user_id).where(
                        cps_courts.c.user_id == User.id, cps_courts.c.court_id.in_(court_ids)
                    )
                ),
            )
        )
    return or_(*conditions) if conditions else false()


def managed_filter(actor: User) -> ColumnElement[bool]:
    """SQL: the accounts an administrator manages; nothing for any other role."""
    if Role(actor.role) is not Role.ADMIN or actor.organisation_id is None:
        return false()
    return _accounts(actor.organisation_id, organisation_court_ids(actor.organisation_id))


def confirmable_filter(actor: User) -> ColumnElement[bool]:
    """SQL: the accounts a manager may confirm: her organisation's staff, and the court and CPS users of the courts
    her schemes serve."""
    if Role(actor.role) is not Role.MANAGER or actor.organisation_id is None:
        return false()
    return _accounts(actor.organisation_id, scheme_court_ids(scoping.scheme_ids(actor)))

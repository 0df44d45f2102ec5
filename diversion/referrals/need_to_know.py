"""Need to know inside a team: the scheme's access rule, and the reasons given to open a colleague's case
(docs/organisations.md, "Need to know").

A scheme's ``access`` says who inside it opens a case:

- ``team``: every support worker of the scheme opens every case of the scheme (the first edition's rule).
- ``assigned``: a support worker opens her own cases (``assigned_worker_id`` is her) and cases with no worker. A
  colleague's case is still inside what she may see (diversion/scoping.py: she may find it, and see that it exists),
  but opening it asks for a reason first. The reason is kept encrypted under the client's data key, in a grant that
  lets her open that case until the end of the day in London; the grant is audited (``case.break_glass``) and each
  read through it carries the grant's id in its ``case.viewed`` event. Managers read the reasons, on their page of
  cases opened with a reason and as a count in their morning digest.

Managers open every case of their schemes and are never asked; court and CPS users never open a record. The check
is made by the case loader (``permissions.load_case``), so every page of a case and every API record endpoint asks
the same question; ``ReasonRequired`` is answered with the page that asks (diversion/referrals/access_views.py) or,
for the API, 403 ``reason_required``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, false, or_, select

from diversion import keyset
from diversion.audit import reads
from diversion.audit.services import record_event
from diversion.auth.models import Role, User
from diversion.db import transaction, utcnow
from diversion.errors import Forbidden, ValidationFailed
from diversion.extensions import db
from diversion.keyring import key_provider
from diversion.organisations.models import Access
from diversion.referrals.models import CaseAccessGrant, Referral, end_of_day

# What a reason may hold: enough for a sentence ("covering court today for Sam"), not a case note.
MAX_REASON = 500
REASON_MISSING = _l("Enter why you need to open this case")
REASON_TOO_LONG = _l("The reason must be %(max)d characters or fewer", max=MAX_REASON)
# The audit action of a reason given (the grant), and the detail every read through a grant carries.
BREAK_GLASS = "case.break_glass"


class ReasonRequired(Forbidden):
    """A support worker asked for a colleague's case in a scheme with the ``assigned`` rule, without a grant for it
    today. Nothing of the case was read; the answer asks for a reason (a page, or the API's 403)."""

    code = "reason_required"

    def __init__(self, referral_id: uuid.UUID) -> None:
        super().__init__(
            "This case is another support worker's. Give a reason to open it first: "
            f'POST /api/v1/referrals/{referral_id}/access with {{"reason": "..."}}.'
        )
        self.referral_id = referral_id


# --- the rule ---


def assigned_scheme_ids(user: User) -> list[int]:
    """The schemes where this user opens only her own and unassigned cases: a support worker's schemes with the
    ``assigned`` rule. None for anyone else (managers open every case of their schemes)."""
    if Role(user.role) != Role.WORKER:
        return []
    return sorted(scheme.id for scheme in user.schemes if scheme.access == Access.ASSIGNED.value)


def asks_reason(user: User, referral: Referral) -> bool:
    """True when opening this case needs a reason from this user (whether or not she has given one today): she is a
    support worker, the case's scheme has the ``assigned`` rule, and the case is assigned to someone else."""
    if Role(user.role) != Role.WORKER or referral.scheme.access != Access.ASSIGNED.value:
        return False
    return referral.assigned_worker_id is not None and referral.assigned_worker_id != user.id


def check_opening_by_id(user: User, referral_id: uuid.UUID) -> None:
    """``check_opening`` for a page that reads a case's status columns only (the status page, whose loader is not
    the case loader): ``ReasonRequired`` before anything is read, and a read through a grant is noted as such."""
    if not asks_reason_by_id(user, referral_id):
        return
    grant = active_grant(user, referral_id)
    if grant is None:
        raise ReasonRequired(referral_id)
    reads.through_grant(referral_id, grant.id)


def asks_reason_by_id(user: User, referral_id: uuid.UUID) -> bool:
    """``asks_reason`` for a case not loaded (a page that reads only its status columns): one small query."""
    assigned = assigned_scheme_ids(user)
    if not assigned:
        return False
    row = db.session.execute(
        select(Referral.scheme_id, Referral.assigned_worker_id).where(Referral.id == referral_id)
    ).first()
    if row is None:
        return False
    return row.scheme_id in assigned and row.assigned_worker_id not in (None, user.id)


def active_grant(user: User, referral_id: uuid.UUID) -> CaseAccessGrant | None:
    """Her grant for this case that has not ended, if she has one (the one lasting longest)."""
    return db.session.scalars(
        select(CaseAccessGrant)
        .where(
            CaseAccessGrant.user_id == user.id,
            CaseAccessGrant.referral_id == referral_id,
            CaseAccessGrant.expires_at > utcnow(),
        )
        .order_by(CaseAccessGrant.expires_at.desc())
        .limit(1)
    ).first()


def granted_case_ids(user: User, referral_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """The cases among these she holds a grant for now, in one query."""
    ids = list(referral_ids)
    if not ids:
        return set()
    return set(
        db.session.scalars(
            select(CaseAccessGrant.referral_id).where(
                CaseAccessGrant.user_id == user.id,
                CaseAccessGrant.referral_id.in_(ids),
                CaseAccessGrant.expires_at > utcnow(),
            )
        )
    )


def check_opening(user: User, referral: Referral) -> uuid.UUID | None:
    """The case loader's question, for a case already inside what she may see: None when she opens it as of right,
    the grant's id when she opens it through a reason given today; ``ReasonRequired`` otherwise."""
    if not asks_reason(user, referral):
        return None
    grant = active_grant(user, referral.id)
    if grant is None:
        raise ReasonRequired(referral.id)
    return grant.id


def opens_without_asking(user: User, referral: Referral) -> bool:
    """True when she may open the case now without giving a reason: as of right, or through a grant of today."""
    return not asks_reason(user, referral) or active_grant(user, referral.id) is not None


def needing_reason(user: User, referrals: Iterable[Referral]) -> set[uuid.UUID]:
    """The cases among these that she would be asked a reason for now (a colleague's, no grant today); one query
    for the grants, and none when no case is a colleague's."""
    asked = [referral.id for referral in referrals if asks_reason(user, referral)]
    return set(asked) - granted_case_ids(user, asked) if asked else set()


def status_shown(referral: Referral) -> None:
    """Note the read of the page that asks her reason: the case's status only (its URN and state), never her name
    or anything of the support."""
    reads.note([referral.id], reads.STATUS)


def needing_reason_by_id(user: User, referral_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """``needing_reason`` for cases read by their status columns only (the lists of the API): two small queries,
    and none for a user who is never asked."""
    assigned = assigned_scheme_ids(user)
    ids = list(referral_ids)
    if not assigned or not ids:
        return set()
    asked = set(
        db.session.scalars(
            select(Referral.id).where(
                Referral.id.in_(ids),
                Referral.scheme_id.in_(assigned),
                Referral.assigned_worker_id.is_not(None),
                Referral.assigned_worker_id != user.id,
            )
        )
    )
    return asked - granted_case_ids(user, asked) if asked else set()


# --- lists: her own and unassigned cases ---


def listed_filter(user: User, model: Any = Referral) -> ColumnElement[bool] | None:
    """SQL for the lists (the caseload's tabs, the status list, the API's list): the cases she opens as of right.
    A colleague's case in a scheme with the ``assigned`` rule is left out of them (a search still finds it). None
    when nothing is left out, so that the lists of every other user run the query they always ran."""
    assigned = assigned_scheme_ids(user)
    if not assigned:
        return None
    return or_(
        model.scheme_id.not_in(assigned),
        model.assigned_worker_id.is_(None),
        model.assigned_worker_id == user.id,
    )


def listed(user: User, referral: Referral) -> bool:
    """The same rule as ``listed_filter``, for one case already loaded."""
    return not asks_reason(user, referral)


# --- giving a reason ---


def clean_reason(reason: str | None) -> str:
    """The reason, trimmed; ValidationFailed (on ``reason``) when it is empty or too long."""
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed.on("reason", str(REASON_MISSING))
    if len(text) > MAX_REASON:
        raise ValidationFailed.on("reason", str(REASON_TOO_LONG))
    return text


@dataclass(frozen=True)
class Opening:
    """What giving a reason did: the grant she opens the case through (None when she needs none), and whether it
    was made now (False: she needed none, or already held one today, and nothing was recorded)."""

    grant: CaseAccessGrant | None
    made: bool


def open_with_reason(referral: Referral, user: User, reason: str | None) -> Opening:
    """She gives a reason to open a colleague's case: a grant until the end of today in London, its reason encrypted
    under the client's data key, audited as ``case.break_glass`` (ids and the end time only: never the reason). A
    reason that is empty or too long is refused and nothing is recorded; so is any reason, silently, where none is
    needed or a grant of today already stands."""
    text = clean_reason(reason)
    if not asks_reason(user, referral):
        return Opening(None, False)
    held = active_grant(user, referral.id)
    if held is not None:
        return Opening(held, False)
    now = utcnow()
    with transaction():
        grant = CaseAccessGrant(
            id=uuid.uuid4(),
            client_id=referral.client_id,
            referral_id=referral.id,
            user_id=user.id,
            created_at=now,
            expires_at=end_of_day(now),
        )
        grant.reason = text
        db.session.add(grant)
        db.session.flush()
        record_event(
            BREAK_GLASS,
            object_type="case_access_grant",
            object_id=grant.id,
            case_id=referral.id,
            details={"until": grant.expires_at.isoformat(), "assigned_worker": str(referral.assigned_worker_id)},
            actor=user,
        )
    return Opening(grant, True)


# --- what managers read ---


@dataclass
class GrantPage:
    """A page of grants, newest first, and the cursor of the next page (None at the end)."""

    items: list[CaseAccessGrant]
    next: keyset.Cursor | None


def _in_schemes(scheme_ids: list[int]) -> ColumnElement[bool]:
    return Referral.scheme_id.in_(scheme_ids) if scheme_ids else false()


def grants_in_schemes(scheme_ids: list[int], after: keyset.Cursor | None = None, limit: int = 50) -> GrantPage:
    """The reasons given to open cases of these schemes, newest first, with their cases and workers; each case
    shown is noted as read (its reason is about her), and the clients' data keys are fetched together."""
    query = (
        select(CaseAccessGrant)
        .join(Referral, Referral.id == CaseAccessGrant.referral_id)
        .where(_in_schemes(scheme_ids))
    )
    rows = list(db.session.scalars(keyset.newest_first(query, CaseAccessGrant, after, limit)))
    items, following = keyset.page(rows, limit)
    reads.note((grant.referral_id for grant in items), reads.LIST)
    key_provider().prefetch([grant.client_id for grant in items])
    return GrantPage(items, following)


def grants_between(scheme_ids: list[int], start: datetime, end: datetime) -> list[CaseAccessGrant]:
    """The grants made in ``[start, end)`` on cases of these schemes, oldest first (the managers' digest: ids, times
    and workers only, never the reason)."""
    return list(
        db.session.scalars(
            select(CaseAccessGrant)
            .join(Referral, Referral.id == CaseAccessGrant.referral_id)
            .where(_in_schemes(scheme_ids), CaseAccessGrant.created_at >= start, CaseAccessGrant.created_at < end)
            .order_by(CaseAccessGrant.created_at, CaseAccessGrant.id)
        )
    )

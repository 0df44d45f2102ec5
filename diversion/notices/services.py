"""Outcome notices: made with every outcome (completed, not completed, withdrawn), exactly once; listed for the CPS,
the court and managers; acknowledged by the CPS with its decision.

A notice names the case (URN, court, name, date of birth) and its outcome in one fixed sentence. It never carries
anything of the assessment or the plan.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

from blinker import Namespace
from flask_babel import gettext as _
from sqlalchemy import and_, func, select
from sqlalchemy.orm import contains_eager

from diversion import keyset, scoping
from diversion.audit import reads
from diversion.audit.services import record_event
from diversion.auth.models import Role, User
from diversion.crypto.errors import CryptoError
from diversion.dates import from_london, long_date, today
from diversion.db import transaction, utcnow
from diversion.errors import Conflict, ValidationFailed
from diversion.extensions import db
from diversion.keyring import key_provider, keystore
from diversion.notices.models import Decision, NoticeOutcome, OutcomeNotice
from diversion.referrals.models import Referral, State
from diversion.referrals.queries import status_options
from diversion.signals import final_state_reached

OUTCOME_OF_STATE = {
    State.COMPLETED: NoticeOutcome.COMPLETED,
    State.NOT_COMPLETED: NoticeOutcome.NOT_COMPLETED,
    State.WITHDRAWN: NoticeOutcome.WITHDRAWN,
}
# Sent with a new notice (and ``actor``), and with a correction, inside the transaction that made it: the webhooks'
# outbox listens (docs/webhooks.md).
_signals = Namespace()
notice_created = _signals.signal("notice.created")
notice_corrected = _signals.signal("notice.corrected")
# A defendant may ask, within 35 days of a discontinuance, for the proceedings to continue (Prosecution of
# Offences Act 1985, s.23(7)).
REVIVAL_WINDOW = timedelta(days=35)


def _in_force() -> Any:
    """Notices in force: neither superseded by a correction nor corrections themselves."""
    return and_(OutcomeNotice.superseded_at.is_(None), OutcomeNotice.corrects_id.is_(None))


def notice_for(referral: Referral) -> OutcomeNotice | None:
    """The case's outcome notice in force, or None before it reaches a final state (or after its decision was
    reversed: the notice is then superseded by its correction, docs/reversals.md)."""
    return db.session.scalars(
        select(OutcomeNotice).where(OutcomeNotice.referral_id == referral.id, _in_force())
    ).first()


def correct_notice(notice: OutcomeNotice, returned_to: State, actor: Any = None) -> OutcomeNotice:
    """Supersede a notice the CPS has not acknowledged by a correction saying the case returned to ``returned_to``
    (flush only; the caller holds the transaction). The claim is one conditional update, so a CPS acknowledgement
    racing with it wins or loses cleanly: Conflict when the notice was acknowledged (or corrected) meanwhile."""
    claimed = db.session.execute(
        OutcomeNotice.__table__.update()
        .where(
            OutcomeNotice.id == notice.id,
            OutcomeNotice.acknowledged_at.is_(None),
            OutcomeNotice.superseded_at.is_(None),
        )
        .values(superseded_at=utcnow(), version=OutcomeNotice.version + 1)
    )
    if claimed.rowcount != 1:
        raise Conflict(_("The CPS has acknowledged the outcome notice: the decision can no longer be reversed"))
    correction = OutcomeNotice(
        referral_id=notice.referral_id,
        court_id=notice.court_id,
        outcome=notice.outcome,
        outcome_date=notice.outcome_date,
        corrects_id=notice.id,
        returned_to=returned_to.value,
    )
    db.session.add(correction)
    db.session.flush()
    record_event(
        "notice.superseded",
        object_type="notice",
        object_id=notice.id,
        case_id=notice.referral_id,
        details={"by": str(correction.id)},
        actor=actor,
    )
    record_event(
        "notice.created",
        object_type="notice",
        object_id=correction.id,
        case_id=notice.referral_id,
        details={"outcome": notice.outcome, "corrects": str(notice.id), "returned_to": returned_to.value},
        actor=actor,
    )
    notice_corrected.send(correction, actor=actor)
    return correction


def notice_made(referral: Referral, before: State) -> OutcomeNotice | None:
    """The notice a decision made: the case's notice when the decision took it from ``before`` to a final state
    that has one (a decline has none), else None. The answers to decisions that end a case carry its id."""
    if referral.state_enum is before or referral.state_enum not in OUTCOME_OF_STATE:
        return None
    return notice_for(referral)


def create_notice(referral: Referral, actor: Any = None) -> OutcomeNotice | None:
    """A final-state hook: make the case's notice in the same transaction, unless it has one (flush only)."""
    outcome = OUTCOME_OF_STATE.get(referral.state_enum)
    if outcome is None:
        return None
    existing = notice_for(referral)
    if existing is not None:
        return existing
    notice = OutcomeNotice(
        referral_id=referral.id,
        court_id=referral.court_id,
        outcome=outcome.value,
        outcome_date=referral.outcome_date or today(),
    )
    db.session.add(notice)
    db.session.flush()
    record_event(
        "notice.created",
        object_type="notice",
        object_id=notice.id,
        case_id=referral.id,
        details={"outcome": outcome.value},
        actor=actor,
    )
    notice_created.send(notice, actor=actor)
    return notice


def make_missing_notices() -> int:
    """Make the notice of every final-state case that has none (each in its own transaction); returns how many.

    A final state makes its notice in the same transaction, so this finds nothing in normal running: it is the
    sweep's safety net for cases closed before notices existed or restored from an older backup."""
    finals = [state.value for state in OUTCOME_OF_STATE]
    ids = db.session.scalars(
        select(Referral.id).where(
            Referral.state.in_(finals),
            ~select(OutcomeNotice.id).where(OutcomeNotice.referral_id == Referral.id, _in_force()).exists(),
        )
    ).all()
    made = 0
    for referral_id in ids:
        with transaction():
            referral = db.session.get(Referral, referral_id)
            if referral is None or referral.state_enum not in OUTCOME_OF_STATE:
                continue
            if notice_for(referral) is None:
                create_notice(referral)
                made += 1
    return made


def register_hooks() -> None:
    """Make notices with every final state (idempotent: safe when several apps are built in one process)."""
    final_state_reached.connect(create_notice, weak=False)


def sentence(notice: OutcomeNotice, name: str) -> str:
    """The notice's one fixed sentence for its outcome, in the language of the page; a correction's names the notice
    it corrects."""
    if notice.subject_erased:
        name = _("The defendant (her record was erased)")
    day = long_date(notice.outcome_date)
    if notice.is_correction:
        state = State(notice.returned_to).label.lower() if notice.returned_to else _("open")
        told = {
            NoticeOutcome.COMPLETED: _(
                "Correction: the notice that %(name)s completed the diversion scheme on %(day)s was sent in error and "
                "is withdrawn. Her case is %(state)s again and diversion continues.",
                name=name,
                day=day,
                state=state,
            ),
            NoticeOutcome.NOT_COMPLETED: _(
                "Correction: the notice that %(name)s did not complete the diversion scheme on %(day)s was sent in "
                "error and is withdrawn. Her case is %(state)s again and diversion continues.",
                name=name,
                day=day,
                state=state,
            ),
            NoticeOutcome.WITHDRAWN: _(
                "Correction: the notice that %(name)s withdrew from the diversion scheme on %(day)s was sent in error "
                "and is withdrawn. Her case is %(state)s again and diversion continues.",
                name=name,
                day=day,
                state=state,
            ),
        }
        return told[notice.outcome_enum]
    if notice.outcome_enum is NoticeOutcome.COMPLETED:
        return _(
            "%(name)s completed the diversion scheme on %(day)s. The CPS may discontinue the case.", name=name, day=day
        )
    if notice.outcome_enum is NoticeOutcome.NOT_COMPLETED:
        return _(
            "%(name)s did not complete the diversion scheme by the return date, %(day)s. The prosecution proceeds.",
            name=name,
            day=day,
        )
    return _("%(name)s withdrew from the diversion scheme on %(day)s. The prosecution proceeds.", name=name, day=day)


def correction_of(notice: OutcomeNotice) -> OutcomeNotice | None:
    """The correction that superseded a notice, or None."""
    if notice.superseded_at is None:
        return None
    return db.session.scalars(select(OutcomeNotice).where(OutcomeNotice.corrects_id == notice.id)).first()


def revival_deadline(notice: OutcomeNotice) -> date | None:
    """For a discontinued case: the last day the defendant may ask for the case to go on."""
    if notice.decision != Decision.DISCONTINUED or notice.decided_on is None:
        return None
    return notice.decided_on + REVIVAL_WINDOW


@dataclass
class NoticeList:
    """A page of notices with their cases (status columns only), and where the next page starts (None at the end)."""

    notices: list[OutcomeNotice]
    counts: dict[str, int]
    next: keyset.Cursor | None = None


def in_scope(user: User) -> Any:
    """SQL, over notices joined to their cases: the notices of the cases ``user`` may see (diversion/scoping.py). A
    court user's are her court's and a CPS user's those of the courts she covers, read by the notice's own court
    (the case's, kept on the notice: its index pages them); support staff's are their schemes'."""
    if Role(user.role) in (Role.COURT, Role.CPS):
        return scoping.cases_filter(user, OutcomeNotice)
    return scoping.cases_filter(user)


def _query(user: User) -> Any:
    return (
        select(OutcomeNotice)
        .join(OutcomeNotice.referral)
        .options(contains_eager(OutcomeNotice.referral).options(*status_options()))
        .where(in_scope(user))
    )


def list_notices(
    status: str,
    *,
    user: User,
    since: date | None = None,
    after: keyset.Cursor | None = None,
    limit: int = 200,
) -> NoticeList:
    """New (not yet acknowledged) or acknowledged notices of the cases ``user`` may see, newest first, with the
    cases' names and dates of birth ready to read; ``since`` limits them to notices made on or after that London
    day, and ``after`` continues from a previous page."""
    query = _query(user)
    # A superseded notice leaves the lists: its correction, which names it, takes its place.
    query = query.where(OutcomeNotice.superseded_at.is_(None))
    if status == "acknowledged":
        query = query.where(OutcomeNotice.acknowledged_at.is_not(None))
    else:
        query = query.where(OutcomeNotice.acknowledged_at.is_(None))
    if since is not None:
        query = query.where(OutcomeNotice.created_at >= from_london(since, time.min))
    rows = list(db.session.scalars(keyset.newest_first(query, OutcomeNotice, after, limit)).unique())
    notices, following = keyset.page(rows, limit)
    # Each notice shows its case's status and her identity: a read of the case, noted for the audit.
    reads.note((notice.referral_id for notice in notices), reads.STATUS)
    key_provider().prefetch([notice.referral.client_id for notice in notices])
    counted = (
        select(
            func.count().filter(OutcomeNotice.acknowledged_at.is_(None)),
            func.count().filter(OutcomeNotice.acknowledged_at.is_not(None)),
        )
        .select_from(OutcomeNotice)
        .join(OutcomeNotice.referral)
        .where(OutcomeNotice.superseded_at.is_(None), in_scope(user))
    )
    new, acknowledged = db.session.execute(counted).one()
    return NoticeList(notices, {"new": new, "acknowledged": acknowledged}, following)


def get_notice(notice_id: Any, *, user: User) -> OutcomeNotice | None:
    """A notice (with its case's status columns), or None when unknown or outside what ``user`` may see."""
    try:
        wanted = uuid.UUID(str(notice_id))
    except ValueError:
        return None
    notice = db.session.scalars(_query(user).where(OutcomeNotice.id == wanted)).unique().first()
    if notice is not None:
        reads.note([notice.referral_id], reads.STATUS)
    return notice


def acknowledge(notice: OutcomeNotice, decision: Decision | str | None, decided_on: date | None, actor: User) -> None:
    """The CPS records its decision on a notice. A notice is acknowledged once; a second time is refused. A
    correction asks for no decision (it is acknowledged as read, decision empty); a superseded notice is refused."""
    errors: dict[str, str] = {}
    try:
        decision = Decision(decision) if decision else None
    except ValueError:
        decision = None
    if notice.superseded_at is not None:
        raise Conflict(_("This notice was corrected: acknowledge its correction instead"))
    if notice.is_correction:
        if decision is not None:
            errors["decision"] = _("A correction needs no decision: leave the decision out")
    elif decision is None:
        errors["decision"] = _("Select the decision")
    if decided_on is None:
        errors["decided_on"] = _("Enter the date of the decision")
    elif decided_on > today():
        errors["decided_on"] = _("The date of the decision must be today or in the past")
    elif decided_on < notice.outcome_date:
        errors["decided_on"] = _("The date of the decision must be on or after the outcome date")
    if errors:
        raise ValidationFailed(next(iter(errors.values())), errors)
    if notice.acknowledged_at is not None:
        raise Conflict(_("This notice has already been acknowledged"))
    if decision is Decision.DISCONTINUED and notice.outcome_enum is not NoticeOutcome.COMPLETED:
        raise ValidationFailed.on("decision", _("Only a completed diversion leads to discontinuance"))
    with transaction():
        claimed = db.session.execute(
            OutcomeNotice.__table__.update()
            .where(
                OutcomeNotice.id == notice.id,
                OutcomeNotice.acknowledged_at.is_(None),
                OutcomeNotice.superseded_at.is_(None),
            )
            .values(
                acknowledged_at=utcnow(),
                acknowledged_by_id=actor.id,
                decision=decision.value if decision else None,
                decided_on=decided_on,
                version=OutcomeNotice.version + 1,
            )
        )
        if claimed.rowcount != 1:
            raise Conflict(_("This notice has already been acknowledged, or was corrected meanwhile"))
        if notice.kept_until is not None:
            # The CPS has acted: what was kept for it of an erased woman goes now (docs/privacy.md).
            _forget_kept(notice, "acknowledged", actor)
        record_event(
            "notice.acknowledged",
            object_type="notice",
            object_id=notice.id,
            case_id=notice.referral_id,
            details={"decision": decision.value if decision else None},
            actor=actor,
        )
    db.session.refresh(notice)
    key_provider().cache.forget(notice.id)


# --- a pending notice when she is erased (docs/privacy.md) ---

# How long the CPS has to act on an erased woman's notice before what was kept for it goes anyway.
KEPT_FOR = timedelta(days=35)


def pending_notices_of(client_id: uuid.UUID) -> list[OutcomeNotice]:
    """Her notices the CPS still has to act on: in force or a correction, not acknowledged, not superseded."""
    return list(
        db.session.scalars(
            select(OutcomeNotice)
            .join(OutcomeNotice.referral)
            .where(
                Referral.client_id == client_id,
                OutcomeNotice.acknowledged_at.is_(None),
                OutcomeNotice.superseded_at.is_(None),
            )
            .order_by(OutcomeNotice.created_at)
        )
    )


def keep_for_cps(client_id: uuid.UUID, reason: str, actor: Any = None) -> int:
    """Before her data key is destroyed: copy the URN of each notice the CPS has not acknowledged onto the notice,
    encrypted under a data key of the notice's own (committed to the key store first, like a new referral's draft's;
    an unused one is an orphan the key sweep removes), and mark the notice as about an erased woman. Flush only: the
    erasure's transaction commits it. Returns how many notices keep something."""
    kept = 0
    now = utcnow()
    pending = pending_notices_of(client_id)
    # Anything still kept on a notice of hers the CPS has dealt with goes with her (acknowledging destroys it, so
    # this finds nothing in normal running).
    table = OutcomeNotice.__table__
    leftover = (
        select(OutcomeNotice)
        .join(OutcomeNotice.referral)
        .where(
            Referral.client_id == client_id,
            table.c.kept_urn.is_not(None),
            OutcomeNotice.id.not_in([n.id for n in pending]),
        )
    )
    for notice in db.session.scalars(leftover).all():
        _forget_kept(notice, "erased", actor)
    for notice in pending:
        urn = notice.referral.urn
        notice.subject_erased_at = now
        notice.subject_erasure_reason = reason
        if isinstance(urn, str) and urn:
            key_provider().new_client_key(notice.id)
            notice.kept_urn = urn
            notice.kept_until = now + KEPT_FOR
            kept += 1
        record_event(
            "notice.kept_for_cps",
            object_type="notice",
            object_id=notice.id,
            case_id=notice.referral_id,
            details={"until": notice.kept_until.date().isoformat() if notice.kept_until else None},
            actor=actor,
        )
    db.session.flush()
    return kept


def forget_stale_kept(client_id: uuid.UUID) -> int:
    """After a restore re-applies her erasure: drop what her notices keep when its key is already destroyed (the
    restored database predates the acknowledgement or the sweep), or when the CPS has acknowledged the notice. A
    notice still in its window, with its key live, keeps it. Flush only; returns how many were dropped."""
    table = OutcomeNotice.__table__
    notices = db.session.scalars(
        select(OutcomeNotice)
        .join(OutcomeNotice.referral)
        .where(Referral.client_id == client_id, table.c.kept_urn.is_not(None))
    ).all()
    dropped = 0
    for notice in notices:
        try:
            keystore().get_data_key(notice.id)
            live = True
        except CryptoError:
            live = False
        if live and notice.acknowledged_at is None and notice.kept_until is not None:
            continue
        _forget_kept(notice, "erased")
        dropped += 1
    return dropped


def _forget_kept(notice: OutcomeNotice, why: str, actor: Any = None) -> None:
    """Destroy the notice's own key and drop the ciphertext (in the caller's transaction; the key goes first, so a
    failure leaves the notice as it was and the sweep tries again)."""
    keystore().destroy(notice.id)
    key_provider().cache.forget(notice.id)
    table = OutcomeNotice.__table__
    db.session.execute(table.update().where(table.c.id == notice.id).values(kept_urn=None, kept_until=None))
    notice.__dict__.pop("_encrypted_cache_kept_urn", None)
    record_event(
        "notice.kept_destroyed",
        object_type="notice",
        object_id=notice.id,
        case_id=notice.referral_id,
        details={"why": why},
        actor=actor,
    )


def sweep_kept(now: Any = None) -> int:
    """The daily sweep: destroy what was kept for the CPS on notices past their 35 days; returns how many."""
    moment = now or utcnow()
    ids = list(db.session.scalars(select(OutcomeNotice.id).where(OutcomeNotice.kept_until <= moment)))
    for notice_id in ids:
        with transaction():
            notice = db.session.get(OutcomeNotice, notice_id)
            if notice is not None and notice.kept_until is not None:
                _forget_kept(notice, "expired")
    return len(ids)

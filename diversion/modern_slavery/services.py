"""The National Referral Mechanism task of a case (docs/modern-slavery.md): shown while her assessment records signs
of exploitation and nothing has been recorded about it; recording its outcome clears it.

The task's wording follows the organisation's first responder setting: a first responder refers to the NRM itself
(with her consent) or makes a Duty to Notify (without it); any other organisation refers through a first responder.
Recording is under an optimistic lock, as the assessment is (docs/conflicts.md); the note is encrypted under her data
key and never reaches the audit log, which holds the version only.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from diversion.audit.services import record_event
from diversion.auth.models import User
from diversion.crypto.fields import is_unreadable
from diversion.dates import long_date, today
from diversion.db import claim_version, transaction
from diversion.errors import Conflict, InvalidTransition, ValidationFailed
from diversion.extensions import db
from diversion.i18n import N_
from diversion.modern_slavery.models import NrmDecision, NrmOutcome
from diversion.referrals.models import Referral

MAX_NOTE = 2000
RECORDED = "nrm.recorded"
# English here (the API's words); ``_`` reads each in the reader's language where it is shown.
TASK_FIRST_RESPONDER = N_("Consider an NRM referral (with her consent) or a Duty to Notify (if she does not consent)")
TASK_THROUGH_A_FIRST_RESPONDER = N_("Consider an NRM referral through a first responder (with her consent)")
OUTCOME_MISSING = N_("Select what was done about a National Referral Mechanism referral")
NOT_A_FIRST_RESPONDER = N_(
    "Only a first responder organisation makes a Duty to Notify: select what was done instead, or ask your "
    "administrator whether your organisation is a first responder"
)
STALE = N_(
    "Someone else recorded the National Referral Mechanism outcome while you were working on it. Nothing of yours "
    "has been saved yet: compare your answers with the saved answers and choose which to keep for each difference"
)
NOTHING_TO_CONSIDER = N_(
    "Her needs assessment records no signs of exploitation, so there is no National Referral Mechanism referral to "
    "consider"
)
ERASED = N_("Her record has been erased: nothing more can be recorded about her")


def is_first_responder(referral: Referral) -> bool:
    """True when the case's organisation is a first responder (its scheme's organisation, loaded with the case)."""
    return bool(referral.scheme.organisation.is_first_responder)


def outcomes_for(first_responder: bool) -> list[NrmOutcome]:
    """The outcomes that may be recorded: a Duty to Notify only by a first responder."""
    return [outcome for outcome in NrmOutcome if first_responder or outcome is not NrmOutcome.DUTY_TO_NOTIFY]


def decision_of(referral: Referral) -> NrmDecision | None:
    """The outcome recorded on the case, if any."""
    return db.session.scalars(select(NrmDecision).where(NrmDecision.referral_id == referral.id)).first()


@dataclass(frozen=True)
class NrmTask:
    """The task as the case shows it: whether signs of exploitation are recorded, the organisation's setting, and
    the outcome recorded (None while there is none)."""

    indicated: bool
    first_responder: bool
    decision: NrmDecision | None

    @property
    def to_consider(self) -> bool:
        """The task is open: signs of exploitation recorded and no outcome yet."""
        return self.indicated and self.decision is None

    @property
    def wording(self) -> str:
        """What the worker is asked to do, by the organisation's setting."""
        return _(TASK_FIRST_RESPONDER if self.first_responder else TASK_THROUGH_A_FIRST_RESPONDER)

    @property
    def outcomes(self) -> list[NrmOutcome]:
        """The outcomes this case may record."""
        return outcomes_for(self.first_responder)

    @property
    def applies(self) -> bool:
        """Whether the case shows the task or its outcome at all."""
        return self.indicated or self.decision is not None


def task_for(referral: Referral) -> NrmTask:
    """The case's National Referral Mechanism task."""
    return NrmTask(bool(referral.has_safeguarding_flag), is_first_responder(referral), decision_of(referral))


def note_of(decision: NrmDecision | None) -> Any:
    """The decrypted note ("" for none; the unreadable marker as it is)."""
    if decision is None:
        return ""
    note = decision.note
    return note if is_unreadable(note) else (note or "")


def check_input(
    referral: Referral, outcome: Any, decided_on: date | None, note: str | None
) -> tuple[NrmOutcome, date, str | None]:
    """The outcome, date and note, checked: ValidationFailed naming each field that is wrong."""
    errors: dict[str, str] = {}
    chosen: NrmOutcome | None = None
    try:
        chosen = NrmOutcome(str(outcome or ""))
    except ValueError:
        errors["outcome"] = _(OUTCOME_MISSING)
    if chosen is not None and chosen not in outcomes_for(is_first_responder(referral)):
        errors["outcome"] = _(NOT_A_FIRST_RESPONDER)
    if decided_on is None:
        errors["date"] = _("Enter the date it was done")
    elif decided_on > today():
        errors["date"] = _("The date it was done must be today or in the past")
    elif decided_on < referral.referred_on:
        errors["date"] = _(
            "The date it was done must be on or after the date she was referred, %(date)s",
            date=long_date(referral.referred_on),
        )
    text = (note or "").strip() or None
    if text and len(text) > MAX_NOTE:
        errors["note"] = _("The note must be %(max)s characters or fewer", max=f"{MAX_NOTE:,}")
    if errors or chosen is None or decided_on is None:
        raise ValidationFailed(next(iter(errors.values())), errors)
    return chosen, decided_on, text


def record_nrm_outcome(
    referral: Referral,
    actor: User,
    *,
    outcome: Any,
    decided_on: date | None,
    note: str | None = None,
    version: int | None = None,
) -> NrmDecision:
    """Record (or change) what was done about a National Referral Mechanism referral; a stale version is refused with
    409 and nothing saved. Audited (``nrm.recorded``, the version only)."""
    existing = decision_of(referral)
    if referral.client.is_erased:
        raise InvalidTransition(_(ERASED))
    if existing is None and not referral.has_safeguarding_flag:
        raise InvalidTransition(_(NOTHING_TO_CONSIDER))
    chosen, day, text = check_input(referral, outcome, decided_on, note)
    if existing is not None and version != existing.version:
        raise Conflict(_(STALE))
    with _stale_on_duplicate(), transaction():
        decision = existing or NrmDecision(id=uuid.uuid4(), client_id=referral.client_id, referral_id=referral.id)
        if existing is None:
            decision.outcome, decision.decided_on = chosen.value, day
            db.session.add(decision)
            db.session.flush()
        else:
            claim_version(decision, version, _(STALE))
        decision.outcome, decision.decided_on = chosen.value, day
        decision.note = text
        decision.recorded_by_id = actor.id
        db.session.flush()
        record_event(
            RECORDED,
            object_type="nrm_decision",
            object_id=decision.id,
            case_id=referral.id,
            details={"version": decision.version},
            actor=actor,
        )
    return decision


@contextmanager
def _stale_on_duplicate() -> Iterator[None]:
    """Two first saves at the same moment: the unique case id lets one in, and the other gets 409."""
    try:
        yield
    except IntegrityError:
        raise Conflict(_(STALE)) from None

"""Putting a mistake right: a manager reverses a decline or withdrawal (docs/reversals.md).

Within the configured days of the decision (``DECISION_REVERSAL_DAYS``, 14 by default) and while the CPS has not
acknowledged the outcome notice, a manager may reverse it with a reason: the case returns to the state it was in
before, its diversion consents are restored to what that state needs, and the notice is superseded by a correction
the CPS sees as one. Everything is audited; a refused request changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _

from diversion.audit.services import record_event
from diversion.auth.models import User
from diversion.db import transaction, utcnow
from diversion.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from diversion.permissions import user_allows
from diversion.referrals.models import ConsentPurpose, Referral, State
from diversion.referrals.states import REVERSIBLE_STATES, reverse_final_state, state_before_final

MAX_REASON = 2000
DEFAULT_DAYS = 14


def reversal_days() -> int:
    """How many days after a decline or withdrawal it may be reversed."""
    return int(current_app.config.get("DECISION_REVERSAL_DAYS", DEFAULT_DAYS))


@dataclass(frozen=True)
class Reversal:
    """What reversing a case's decision would do: the state it returns to, the purposes whose consent is given
    again, and the notice a correction will supersede (None for a decline, which sent the CPS no notice)."""

    before: State
    returns_to: State
    restores: tuple[ConsentPurpose, ...]
    notice: Any
    last_day: date

    @property
    def tells_cps(self) -> bool:
        """True when the CPS will be sent a correction."""
        return self.notice is not None


def reversal_deadline(referral: Referral) -> datetime | None:
    """The moment after which the case's decision can no longer be reversed (None when it has none)."""
    if referral.final_at is None:
        return None
    return referral.final_at + timedelta(days=reversal_days())


def may_offer(referral: Referral, user: User) -> bool:
    """True when the case page should offer "Reverse this decision" to this user (the full rules are checked again
    when it is asked for)."""
    try:
        check_reversal(referral, user)
    except (Forbidden, InvalidTransition, Conflict):
        return False
    return True


def offered_on_notice(notice: Any, user: User) -> bool:
    """True when a manager reading a withdrawal's notice should be offered "Reverse this decision": the notice is in
    force, unacknowledged and within the days (it is made in the same transaction as the decision). Reads only the
    notice and the case's status columns; the reversal page checks every rule again."""
    return (
        user_allows(user, "reverse_decisions")
        and notice.corrects_id is None
        and notice.superseded_at is None
        and notice.acknowledged_at is None
        and notice.referral.state in {state.value for state in REVERSIBLE_STATES}
        and utcnow() <= notice.created_at + timedelta(days=reversal_days())
    )


def check_reversal(referral: Referral, actor: User, reason: str | None = None) -> Reversal:
    """What reversing the case's decision would do, or the reason it is refused; changes nothing. With ``reason``
    (the form's answer) the reason is checked too."""
    from diversion.dates import london_date, long_date
    from diversion.notices.services import notice_for
    from diversion.referrals.consent import DIVERSION_PURPOSES, current_consents

    if not user_allows(actor, "reverse_decisions"):
        raise Forbidden(_("Only a manager can reverse a decision"))
    state = referral.state_enum
    if state not in REVERSIBLE_STATES:
        raise InvalidTransition(
            _("A case that is %(state)s has no decline or withdrawal to reverse", state=state.label.lower())
        )
    deadline = reversal_deadline(referral)
    if deadline is None or utcnow() > deadline:
        raise InvalidTransition(
            _(
                "The decision can only be reversed within %(days)s days of it: that time has passed",
                days=reversal_days(),
            )
        )
    before = state_before_final(referral)
    if before is None or before.is_final:
        raise InvalidTransition(_("The case's state before the decision is not recorded, so it cannot be reversed"))
    notice = notice_for(referral)
    if notice is not None and notice.acknowledged_at is not None:
        raise Conflict(
            _(
                "The CPS acknowledged the outcome notice on %(date)s: the decision can no longer be reversed",
                date=long_date(london_date(notice.acknowledged_at)),
            )
        )
    if reason is not None:
        clean_reason(reason)
    restores: tuple[ConsentPurpose, ...] = ()
    if before is not State.REFERRED:
        # Opted in or assessed: she had given both diversion consents, so the reversal gives back each the
        # decision refused.
        consents = current_consents(referral)
        restores = tuple(p for p in DIVERSION_PURPOSES if consents[p] is None or not consents[p].is_current)
    return Reversal(state, before, restores, notice, london_date(deadline))


def clean_reason(reason: str | None) -> str:
    """The reason, cleaned, or ValidationFailed naming the field."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.on("reason", _("Enter why the decision is being reversed"))
    if len(reason) > MAX_REASON:
        raise ValidationFailed.on("reason", _("The reason must be %(max)d characters or fewer", max=MAX_REASON))
    return reason


def reverse_decision(referral: Referral, reason: str, actor: User, *, version: int | None) -> Reversal:
    """Reverse the case's decline or withdrawal (docs/reversals.md): refused with the reason, changing nothing,
    when the rules do not allow it; Conflict when the case changed since the page was shown at ``version``."""
    from diversion.notices.services import correct_notice
    from diversion.notifications.digests import queue_notice_emails
    from diversion.referrals.consent import add_consent_line, current_consents
    from diversion.referrals.versions import check_version, claim_case_version
    from diversion.referrals.wording import case_wordings

    reversal = check_reversal(referral, actor, reason)
    reason = clean_reason(reason)
    check_version(referral, version)
    with transaction():
        claim_case_version(referral, version)
        consents = current_consents(referral)
        for purpose in reversal.restores:
            # On the wording she last agreed to for this purpose (the line the decision withdrew), if any.
            line = consents[purpose]
            wording = line.wording if line is not None else case_wordings(referral)[purpose]
            add_consent_line(referral, purpose, True, actor, wording)
        correction = correct_notice(reversal.notice, reversal.returns_to, actor) if reversal.notice else None
        if correction is not None:
            # Partners who asked to be emailed about notices hear of the correction as of any notice.
            queue_notice_emails(correction)
        referral.reversal_reason = reason
        referral.withdrawal_reason = None
        reverse_final_state(referral, reversal.returns_to, actor=actor)
        record_event(
            "decision.reversed",
            object_type="referral",
            object_id=referral.id,
            case_id=referral.id,
            details={
                "from": reversal.before.value,
                "to": reversal.returns_to.value,
                "consents_restored": [p.value for p in reversal.restores],
                "notice_id": str(reversal.notice.id) if reversal.notice else None,
                "correction_id": str(correction.id) if correction else None,
            },
            actor=actor,
        )
    return reversal

"""Her consent ledger: one line per answer, each on the wording she was read, and the case's state following
her answers to support and sharing (docs/privacy.md, "Consent").
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from diversion.audit.services import record_event
from diversion.auth.models import User
from diversion.db import transaction, utcnow
from diversion.errors import InvalidTransition, ValidationFailed
from diversion.extensions import db
from diversion.referrals.models import OPEN_STATES, Consent, ConsentPurpose, ConsentWording, Referral, State
from diversion.referrals.states import change_state
from diversion.referrals.versions import check_version, claim_case_version
from diversion.referrals.wording import case_wordings, refuse_changed, wording_named


def current_consents(referral: Referral) -> dict[ConsentPurpose, Consent | None]:
    """The latest ledger line for each purpose (None when nothing is recorded)."""
    lines = db.session.scalars(
        select(Consent).where(Consent.referral_id == referral.id).order_by(Consent.recorded_at, Consent.id)
    ).all()
    latest: dict[ConsentPurpose, Consent | None] = dict.fromkeys(ConsentPurpose)
    for line in lines:
        latest[ConsentPurpose(line.purpose)] = line
    return latest


def consent_ledger(referral: Referral) -> list[Consent]:
    """Every line of the case's consent ledger, oldest first."""
    return list(
        db.session.scalars(
            select(Consent).where(Consent.referral_id == referral.id).order_by(Consent.recorded_at, Consent.id)
        )
    )


def has_consent(referral: Referral, purpose: ConsentPurpose) -> bool:
    """True when the purpose is given and not withdrawn."""
    line = current_consents(referral)[purpose]
    return line is not None and line.is_current


DIVERSION_PURPOSES = (ConsentPurpose.SUPPORT, ConsentPurpose.SHARE_WITH_COURT_CPS)


def _purpose(value: ConsentPurpose | str) -> ConsentPurpose:
    try:
        return ConsentPurpose(value)
    except ValueError:
        raise ValidationFailed.on("purpose", _("Select what she is agreeing to")) from None


def _refuse_diversion_on_final(referral: Referral, purpose: ConsentPurpose, is_given: bool) -> None:
    state = referral.state_enum
    if state.is_final and purpose in DIVERSION_PURPOSES and is_given:
        raise InvalidTransition(
            _("The case is %(state)s: consent to diversion can no longer be given", state=state.label.lower())
        )


def record_consent(
    referral: Referral,
    purpose: ConsentPurpose | str,
    is_given: bool,
    actor: User,
    wording_version: str | None = None,
) -> Consent:
    """Add a ledger line: a purpose given, refused, or withdrawn (refusing one given before). The case's state
    follows: support and sharing given opts her in; refusing either before that declines; withdrawing either
    later withdraws her from diversion. She may withdraw any consent at any time, a final case included: its
    state then stays as it is, and court and CPS users stop seeing her identity once sharing is withdrawn.
    Refusing equality monitoring clears her stored ethnic group.

    ``wording_version`` names the version of the purpose's wording she was read (None: the case's, the one its
    programme version names). A version the scheme's register does not hold is refused; so is agreement to any
    version but the case's, because she would be agreeing to words her case does not use (docs/privacy.md,
    "Consent")."""
    purpose = _purpose(purpose)
    wording = wording_named(referral, purpose, wording_version)
    own = case_wordings(referral)[purpose]
    if is_given and wording.id != own.id:
        raise ValidationFailed.on(
            "wording_version",
            _(
                "Version %(version)s of this wording is not the one her case uses: read her the case's wording "
                "(%(own)s) and ask her again",
                version=wording.version,
                own=own.version,
            ),
        )
    _refuse_diversion_on_final(referral, purpose, is_given)
    with transaction():
        line = add_consent_line(referral, purpose, is_given, actor, wording)
        if purpose in DIVERSION_PURPOSES:
            _apply_consent_to_state(referral, actor)
    return line


def add_consent_line(
    referral: Referral, purpose: ConsentPurpose, is_given: bool, actor: User, wording: ConsentWording
) -> Consent:
    """One ledger line, on the wording she was read, and its audit event (flush only; the caller holds the
    transaction)."""
    if wording.purpose != purpose.value:
        raise ValueError("a ledger line points at a wording of its own purpose")
    previous = current_consents(referral)[purpose]
    line = Consent(
        referral_id=referral.id,
        purpose=purpose.value,
        is_given=is_given,
        wording_id=wording.id,
        recorded_by_id=actor.id,
    )
    if not is_given and previous is not None and previous.is_current:
        previous.withdrawn_at = line.recorded_at = utcnow()
        previous.withdrawn_by_id = actor.id
    db.session.add(line)
    db.session.flush()
    record_event(
        "consent.recorded",
        object_type="referral",
        object_id=referral.id,
        case_id=referral.id,
        details={"purpose": purpose.value, "given": is_given, "withdrawal": bool(previous and previous.is_given)},
        actor=actor,
    )
    if purpose is ConsentPurpose.EQUALITY_MONITORING and not is_given:
        _clear_equality_codes(referral, actor)
    return line


@dataclass(frozen=True)
class ConsentEffect:
    """What a set of consent answers does to a case: the purposes whose answer differs from the ledger, and the
    case's state before and after (docs/confirmations.md)."""

    before: State
    after: State
    changed: tuple[ConsentPurpose, ...]

    @property
    def ends_case(self) -> bool:
        """True when the answers decline her or withdraw her from diversion: the page asks to confirm first."""
        return self.after is not self.before and self.after in (State.DECLINED, State.WITHDRAWN)


def _state_after(state: State, support: bool | None, share: bool | None) -> State:
    """The state the consent rules give a case whose support and sharing answers are these (None: not asked)."""
    if state is State.REFERRED:
        if support is False or share is False:
            return State.DECLINED
        if support and share:
            return State.OPTED_IN
    elif state in OPEN_STATES and (support is False or share is False):
        return State.WITHDRAWN
    return state


def consent_effect(referral: Referral, answers: dict[ConsentPurpose, bool]) -> ConsentEffect:
    """What recording these answers (one per purpose, given or not) would do, refusing what the rules refuse;
    changes nothing."""
    current = current_consents(referral)
    standing = {purpose: (None if line is None else line.is_current) for purpose, line in current.items()}
    changed = tuple(purpose for purpose, given in answers.items() if standing[purpose] is not given)
    for purpose in changed:
        _refuse_diversion_on_final(referral, purpose, answers[purpose])
    after = {**standing, **answers}
    state = referral.state_enum
    return ConsentEffect(
        state,
        _state_after(state, after[ConsentPurpose.SUPPORT], after[ConsentPurpose.SHARE_WITH_COURT_CPS]),
        changed,
    )


def record_consents(
    referral: Referral,
    answers: dict[ConsentPurpose, bool],
    actor: User,
    *,
    version: int | None = None,
    shown: dict[ConsentPurpose, int | None] | None = None,
) -> ConsentEffect:
    """Her answers for several purposes at once (the consent page): a ledger line for each answer that differs from
    the ledger, then the case's state follows them, all in one transaction. A stale version (the page was shown
    before someone else changed the case) is refused with Conflict, changing nothing.

    ``shown`` is the id of the wording the page read her for each purpose. When it is not the case's wording (a
    form without it, or from before the case's words were what they are), nothing is recorded (WordingChanged): an
    answer is never recorded against words she was not read. Without ``shown`` (a caller that shows no page) each
    line is on the case's wording of the purpose."""
    own = case_wordings(referral)
    if shown is None:
        shown = {purpose: wording.id for purpose, wording in own.items()}
    effect = consent_effect(referral, answers)
    check_version(referral, version)
    refuse_changed(referral, {purpose: shown.get(purpose) for purpose in answers})
    if not effect.changed:
        return effect
    with transaction():
        if version is not None:
            claim_case_version(referral, version)
        wordings = {wording.id: wording for wording in own.values()}
        for purpose in effect.changed:
            add_consent_line(referral, purpose, answers[purpose], actor, wordings[shown[purpose]])
        if any(purpose in DIVERSION_PURPOSES for purpose in effect.changed):
            _apply_consent_to_state(referral, actor)
    return effect


def _clear_equality_codes(referral: Referral, actor: User) -> None:
    """She said no to equality monitoring: her stored ethnic group goes (the reports already leave her out).

    The code is hers, not the case's, so it goes whichever of her cases she says no on; a worker may record it again
    only with her consent again. Her birth year band stays: reports use it only with that consent standing."""
    client = referral.client
    if client.ethnicity_code is None:
        return
    client.ethnicity_code = None
    record_event(
        "client.equality_cleared",
        object_type="client",
        object_id=client.id,
        case_id=referral.id,
        details={"field": "ethnicity_code", "reason": "consent_withdrawn"},
        actor=actor,
    )


def _apply_consent_to_state(referral: Referral, actor: User) -> None:
    consents = current_consents(referral)
    support, share = consents[ConsentPurpose.SUPPORT], consents[ConsentPurpose.SHARE_WITH_COURT_CPS]
    state = referral.state_enum
    after = _state_after(
        state, None if support is None else support.is_current, None if share is None else share.is_current
    )
    if after is not state:
        change_state(referral, after, actor=actor)

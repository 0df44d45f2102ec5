"""Referral intake, consent, withdrawal, re-adjournment and the daily sweep of passed return dates.

Each public function is one use case: it validates, changes what it must, writes its audit events and commits (or
raises a DomainError having changed nothing). Field paths in errors follow the API (``client.date_of_birth``).
"""

from __future__ import annotations

import functools
import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import phonenumbers
from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.exc import IntegrityError

from diversion.admin.services import court_by_code
from diversion.audit.services import record_event
from diversion.auth.models import Role, User
from diversion.clients.contact import check_contact_preferences
from diversion.clients.models import Client
from diversion.clients.services import Identity, SafeContact, create_client, find_clients, get_client
from diversion.courts.models import Court
from diversion.crypto.blind import URN_PURPOSE, normalise_urn, urn_index
from diversion.crypto.fields import is_unreadable
from diversion.dates import out_of_range_message, today, within_service_years, working_days_between
from diversion.db import claim_version, transaction, utcnow
from diversion.emails import InvalidEmail, checked_email
from diversion.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from diversion.extensions import db
from diversion.keyring import keyring
from diversion.referrals.court_dates import (
    CourtDates,
    check_intake_dates,
    check_return_date_day,
    with_override_reason,
)
from diversion.referrals.models import (
    OPEN_STATES,
    Consent,
    ConsentPurpose,
    ConsentWording,
    Referral,
    ReturnDateChange,
    State,
)
from diversion.referrals.states import change_state, next_action  # noqa: F401 - used by the case pages
from diversion.referrals.wording import current_wording, current_wordings, refuse_changed, wording_named

URN_SHAPE = re.compile(r"^(\d{2})([A-Z]{2})(\d{5})(\d{2})$")
URN_MESSAGE = "Enter the URN in the police format: force code, letters, number and year, like 01/AB/12345/26"
ADULT_AGE = 18
MAX_NAME = 100
MAX_NOTES = 5000

OFFENCES = {
    "SOA1959_S1": "Loitering or soliciting for prostitution (Street Offences Act 1959, s.1)",
    "SOA1959_S1_PERSISTENT": "Persistently loitering or soliciting (Street Offences Act 1959, s.1)",
    "OTHER_LINKED": "Another low-level offence linked to street prostitution",
}

UNDER_18_MESSAGE = (
    "She is under 18 on the referral date, so this adult pathway cannot take the referral. "
    "Make a safeguarding referral to children's social care instead"
)


def format_urn(normalised: str) -> str:
    """A normalised URN written the police way: 01/AB/12345/26."""
    match = URN_SHAPE.match(normalised)
    return "/".join(match.groups()) if match else normalised


def check_urn(raw: str) -> str:
    """Normalise a URN (separators removed, upper case) and check its shape; ValueError when it is not a URN."""
    normalised = normalise_urn(raw or "")
    if not URN_SHAPE.match(normalised):
        raise ValueError(URN_MESSAGE)
    return normalised


def urn_index_value(normalised: str) -> bytes:
    """The full blind index of a URN under the active index key."""
    return urn_index(keyring().derived(URN_PURPOSE), normalised)


def age_on(date_of_birth: date, on: date) -> int:
    """Her age in whole years on a date."""
    return on.year - date_of_birth.year - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))


def normalise_phone(raw: str) -> str:
    """A UK phone number in international form; ValueError when it is not one."""
    try:
        number = phonenumbers.parse(raw, "GB")
    except phonenumbers.NumberParseException:
        raise ValueError("Enter a UK phone number, like 07700 100 982") from None
    # +44 covers Great Britain, Northern Ireland and the Crown Dependencies; a number abroad is not a UK number.
    if number.country_code != 44 or not phonenumbers.is_valid_number(number):
        raise ValueError("Enter a UK phone number, like 07700 100 982")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@dataclass
class ReferralInput:
    """What intake collects, from the form or the API."""

    court_code: str
    urn: str
    offence: str
    first_hearing_date: date | None
    return_date: date | None
    given_name: str
    family_name: str
    date_of_birth: date | None
    phone: str | None = None
    email: str | None = None
    safe_contact: SafeContact = field(default_factory=SafeContact)
    # Her quiet hours as typed, "HH:MM" each, both or neither (docs/notifications.md, "Contact preferences").
    quiet_from: str | None = None
    quiet_to: str | None = None
    notes: str | None = None
    # Set when the person making the referral chose an existing client found by name and date of birth.
    link_client_id: uuid.UUID | None = None
    # Set when support staff, told of earlier clients with her family name and date of birth, say she is not one of
    # them (docs/api.md, "Someone referred before"): a new client, the choice audited.
    new_person: bool = False
    # A manager's explicit choice to record a case whose return date is today or has passed (docs/court-dates.md).
    past_case: bool = False
    # Why a return date on a weekend, a bank holiday or past the calendar's horizon stands.
    override_reason: str | None = None


def _validate(data: ReferralInput, actor: User, on: date) -> tuple[dict[str, str], dict[str, Any]]:
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    court = court_by_code(data.court_code) if data.court_code else None
    if court is None or not court.is_active:
        errors["court"] = "Select the court"
    elif actor.role == Role.COURT and court.id != actor.court_id:
        raise Forbidden("Court staff can only refer to the scheme from their own court")
    clean["court"] = court
    try:
        clean["urn"] = check_urn(data.urn)
    except ValueError as error:
        errors["urn"] = str(error)
    if data.offence not in OFFENCES:
        errors["offence"] = "Select the offence"
    clean["dates"] = check_intake_dates(
        data.first_hearing_date,
        data.return_date,
        on=on,
        past_case=data.past_case,
        override_reason=data.override_reason,
        actor=actor,
        errors=errors,
    )
    for name, label in (("given_name", "given name"), ("family_name", "family name")):
        value = (getattr(data, name) or "").strip()
        if not value:
            errors[f"client.{name}"] = f"Enter her {label}"
        elif len(value) > MAX_NAME:
            errors[f"client.{name}"] = f"Her {label} must be {MAX_NAME} characters or fewer"
        clean[name] = value
    dob = data.date_of_birth
    if dob is None:
        errors["client.date_of_birth"] = "Enter her date of birth"
    elif dob >= on:
        errors["client.date_of_birth"] = "Her date of birth must be in the past"
    elif dob.year < 1900:
        errors["client.date_of_birth"] = "Her date of birth must be after 1900"
    elif age_on(dob, on) < ADULT_AGE:
        errors["client.date_of_birth"] = UNDER_18_MESSAGE
    clean["phone"] = None
    if data.phone and data.phone.strip():
        try:
            clean["phone"] = normalise_phone(data.phone)
        except ValueError as error:
            errors["client.phone"] = str(error)
    clean["email"] = None
    if data.email and data.email.strip():
        try:
            clean["email"] = checked_email(data.email)
        except InvalidEmail as error:
            errors["client.email"] = str(error)
    if data.notes and len(data.notes) > MAX_NOTES:
        errors["notes"] = f"Notes must be {MAX_NOTES} characters or fewer"
    clean["safe_contact"] = _checked_contact(data, clean)
    if isinstance(clean["safe_contact"], ValidationFailed):
        errors.update(clean["safe_contact"].fields)
    return errors, clean


def _checked_contact(data: ReferralInput, clean: dict[str, Any]) -> SafeContact | ValidationFailed:
    """Her contact preferences by the one rule the messages page and the API follow too."""
    phone = clean["phone"] or (data.phone or "").strip() or None
    email = clean["email"] or (data.email or "").strip() or None
    linked = get_client(data.link_client_id) if data.link_client_id else None
    if linked is not None and not linked.is_erased:
        # Contact details already on record for the person chosen count: the form may leave them empty.
        phone = phone or (None if is_unreadable(linked.phone) else linked.phone)
        email = email or (None if is_unreadable(linked.email) else linked.email)
    chosen = data.safe_contact
    try:
        return check_contact_preferences(
            may_text=chosen.may_text,
            may_voicemail=chosen.may_voicemail,
            may_email=chosen.may_email,
            quiet_from=data.quiet_from,
            quiet_to=data.quiet_to,
            note=chosen.note,
            phone=phone,
            email=email,
        )
    except ValidationFailed as error:
        return error


def open_case_with_urn(normalised: str) -> Referral | None:
    """The open case with this URN, if there is one (by its blind index)."""
    return db.session.scalars(
        select(Referral).where(
            Referral.urn_index == urn_index_value(normalised),
            Referral.state.in_([state.value for state in OPEN_STATES]),
        )
    ).first()


@dataclass
class ClientMatch:
    """An existing client with the same family name and date of birth, and what happened before."""

    client: Client
    referrals: int
    completed: int
    last_referred_on: date | None


def matching_clients(family_name: str, date_of_birth: date) -> list[ClientMatch]:
    """Existing clients she may be, with her earlier referrals counted, for the 'referred before' prompt."""
    clients = find_clients(family_name, date_of_birth)
    if not clients:
        return []
    rows = db.session.execute(
        select(
            Referral.client_id,
            func.count(Referral.id),
            func.sum(func.cast(Referral.state == State.COMPLETED.value, db.Integer)),
            func.max(Referral.referred_on),
        )
        .where(Referral.client_id.in_([client.id for client in clients]))
        .group_by(Referral.client_id)
    ).all()
    counts = {row[0]: row[1:] for row in rows}
    return [ClientMatch(client, *(counts.get(client.id) or (0, 0, None))) for client in clients]


def last_referral_court(user: User, offered: list[str]) -> str | None:
    """The code of the court of this user's most recent referral, when it is among the courts ``offered``."""
    code = db.session.scalar(
        select(Court.code)
        .join(Referral, Referral.court_id == Court.id)
        .where(Referral.referred_by_id == user.id)
        .order_by(Referral.referred_on.desc(), Referral.created_at.desc())
        .limit(1)
    )
    return code if code in offered else None


def check_referral(data: ReferralInput, actor: User, on: date | None = None) -> dict[str, Any]:
    """The referral's details cleaned, or ValidationFailed naming every field that is wrong; saves nothing. A form
    with another question to ask first calls it so that every problem is said at once."""
    _, clean = _validate(data, actor, on or today())
    # Every problem at once; a return date that needs a reason says why beside them (ReturnDateNeedsReason).
    clean["dates"].raise_if_any()
    return clean


def create_referral(data: ReferralInput, actor: User) -> Referral:
    """Take a referral: validate, find or create the client, refuse a second open case for the URN, and record it."""
    on = today()
    clean = check_referral(data, actor, on)
    if open_case_with_urn(clean["urn"]) is not None:
        raise Conflict(
            "There is already an open case with this URN", {"urn": "There is already an open case with this URN"}
        )
    flagged = _check_earlier(data, actor)
    identity = Identity(
        given_name=clean["given_name"],
        family_name=clean["family_name"],
        date_of_birth=data.date_of_birth,  # type: ignore[arg-type]
        phone=clean["phone"],
        email=clean["email"],
        safe_contact=clean["safe_contact"],
    )
    try:
        with transaction():
            client = _client_for(data.link_client_id, identity)
            referral = Referral(
                id=uuid.uuid4(),
                client_id=client.id,
                court_id=clean["court"].id,
                offence_code=data.offence,
                first_hearing_date=data.first_hearing_date,
                return_date=data.return_date,
                state=State.REFERRED.value,
                referred_on=on,
                referred_by_id=actor.id,
                assigned_worker_id=actor.id if actor.role == Role.WORKER else None,
                urn_index=urn_index_value(clean["urn"]),
                possible_previous_referral=flagged,
            )
            referral.urn = clean["urn"]
            dates: CourtDates = clean["dates"]
            # A reason for keeping a warned return date is kept with the referral notes, encrypted like them.
            referral.notes = with_override_reason((data.notes or "").strip() or None, dates)
            db.session.add(referral)
            db.session.flush()
            record_event(
                "referral.created",
                object_type="referral",
                object_id=referral.id,
                case_id=referral.id,
                details={
                    "court": clean["court"].code,
                    "linked": data.link_client_id is not None,
                    # Support staff said she is not the earlier client found; a court's referral was flagged.
                    **({"new_person": True} if data.new_person else {}),
                    **({"possible_previous_referral": True} if flagged else {}),
                    # Said only when so: a manager recorded a past case, or a warned return date was kept.
                    **({"past_case": True} if data.past_case else {}),
                    **({"return_date_warnings": dates.warning_codes} if dates.warnings else {}),
                },
                actor=actor,
            )
    except IntegrityError:
        # Two people referring the same URN at the same moment: the partial unique index decides.
        raise Conflict(
            "There is already an open case with this URN", {"urn": "There is already an open case with this URN"}
        ) from None
    return referral


def _check_earlier(data: ReferralInput, actor: User) -> bool:
    """Whether she may be someone referred before (docs/api.md, "Someone referred before"): support staff who have
    not chosen are refused with PossibleMatch naming the earlier referrals; a court's referral is made and flagged
    (True), the court told nothing more. Court users cannot choose: they see no other referral."""
    from diversion.referrals.matches import PossibleMatch, earlier_clients, earlier_referrals, match_items

    if actor.role == Role.COURT:
        if data.link_client_id is not None or data.new_person:
            raise Forbidden("Court staff cannot choose an earlier record: a support worker decides")
        return bool(earlier_clients(data.family_name, data.date_of_birth))
    if data.link_client_id is not None and data.new_person:
        message = "Either link her to an earlier record or say she is a new person, not both"
        raise ValidationFailed(message, {"link_to_client": message, "new_person": message})
    if data.link_client_id is not None or data.new_person:
        return False
    earlier = earlier_clients(data.family_name, data.date_of_birth)
    if earlier:
        raise PossibleMatch(match_items(earlier_referrals(earlier)))
    return False


def _client_for(link_client_id: uuid.UUID | None, identity: Identity) -> Client:
    if link_client_id is None:
        return create_client(identity)
    client = get_client(link_client_id)
    if client is None or client.is_erased:
        raise ValidationFailed.on("link_to_client", "Select a person from the list, or choose a new person")
    if client.date_of_birth != identity.date_of_birth:
        raise ValidationFailed.on("link_to_client", "The person chosen has a different date of birth")
    # Contact details change between referrals: the newest ones are kept.
    if identity.phone:
        client.phone = identity.phone
    if identity.email:
        client.email = identity.email
    client.safe_contact = _kept_contact(client, identity.safe_contact).to_json()
    return client


def _kept_contact(client: Client, new: SafeContact) -> SafeContact:
    """Her contact preferences on a new referral of someone referred before: what this intake answered, and what it
    left unanswered or empty (a question not asked, no quiet hours, no note) kept from her record, so a re-referral
    never quietly drops quiet hours set on the Messages page (docs/notifications.md, "Contact preferences")."""
    if is_unreadable(client.safe_contact):
        return new
    old = SafeContact.from_json(client.safe_contact)
    return SafeContact(
        new.may_text if new.may_text is not None else old.may_text,
        new.may_voicemail if new.may_voicemail is not None else old.may_voicemail,
        new.may_email if new.may_email is not None else old.may_email,
        new.note or old.note,
        new.quiet_hours or old.quiet_hours,
    )


# --- consent ---


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
        raise ValidationFailed.on("purpose", "Select what she is agreeing to") from None


def _refuse_diversion_on_final(referral: Referral, purpose: ConsentPurpose, is_given: bool) -> None:
    state = referral.state_enum
    if state.is_final and purpose in DIVERSION_PURPOSES and is_given:
        raise InvalidTransition(f"The case is {state.label.lower()}: consent to diversion can no longer be given")


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

    ``wording_version`` names the version of the purpose's wording she was read (None: the current one). A version
    the register does not hold is refused; so is agreement to a version since replaced, because she would be
    agreeing to words the scheme no longer uses (docs/privacy.md, "Consent")."""
    purpose = _purpose(purpose)
    wording = wording_named(purpose, wording_version)
    if is_given and wording.id != current_wording(purpose).id:
        raise ValidationFailed.on(
            "wording_version",
            f"Version {wording.version} of this wording has been replaced: read her the current wording "
            f"({current_wording(purpose).version}) and ask her again",
        )
    _refuse_diversion_on_final(referral, purpose, is_given)
    with transaction():
        line = _add_consent_line(referral, purpose, is_given, actor, wording)
        if purpose in DIVERSION_PURPOSES:
            _apply_consent_to_state(referral, actor)
    return line


def _add_consent_line(
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

    ``shown`` is the id of the wording the page read her for each purpose. When a new version was published while
    she was reading, nothing is recorded (WordingChanged): an answer is never recorded against words she was not
    read. Without ``shown`` (a caller that shows no page) each line is on the purpose's current wording."""
    if shown is None:
        shown = {purpose: wording.id for purpose, wording in current_wordings().items()}
    effect = consent_effect(referral, answers)
    _refuse_stale(referral, version)
    refuse_changed({purpose: shown.get(purpose) for purpose in answers})
    if not effect.changed:
        return effect
    with transaction():
        if version is not None:
            _claim_version(referral, version)
        # Checked again inside the transaction that writes, against a publish since the check above.
        refuse_changed({purpose: shown.get(purpose) for purpose in answers})
        wordings = {wording.id: wording for wording in db.session.scalars(select(ConsentWording))}
        for purpose in effect.changed:
            _add_consent_line(referral, purpose, answers[purpose], actor, wordings[shown[purpose]])
        if any(purpose in DIVERSION_PURPOSES for purpose in effect.changed):
            _apply_consent_to_state(referral, actor)
    return effect


def check_version(referral: Referral, version: int | None) -> None:
    """Conflict when the case changed since the page was shown at ``version``: a page that asks to confirm a decision
    checks before it asks, and the decision checks again when it is confirmed."""
    _refuse_stale(referral, version)


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


# --- withdrawal and re-adjournment ---


def check_withdrawal(referral: Referral, reason: str) -> str:
    """The reason, cleaned, when the case may be withdrawn with it; ValidationFailed or InvalidTransition when not.
    Saves nothing: the withdrawal page checks before it asks to confirm."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.on("reason", "Enter why she is withdrawing")
    if len(reason) > 2000:
        raise ValidationFailed.on("reason", "The reason must be 2000 characters or fewer")
    if not referral.is_open:
        raise InvalidTransition(f"A case that is {referral.state_enum.label.lower()} cannot be withdrawn")
    return reason


def withdraw(referral: Referral, reason: str, actor: User, *, version: int | None = None) -> None:
    """She leaves the scheme: the case is withdrawn and the court and CPS will be told it proceeds. With ``version``
    (the case's version the page was shown), a case changed since is refused with Conflict."""
    reason = check_withdrawal(referral, reason)
    _refuse_stale(referral, version)
    with transaction():
        if version is not None:
            _claim_version(referral, version)
        referral.withdrawal_reason = reason
        change_state(referral, State.WITHDRAWN, actor=actor)


def change_return_date(
    referral: Referral,
    new_date: date | None,
    reason: str,
    version: int | None,
    actor: User,
    override_reason: str | None = None,
) -> None:
    """The court re-adjourned: move the return date, with the reason, refusing a stale edit. A new return date on a
    weekend, a bank holiday or past the calendar's horizon needs ``override_reason`` (docs/court-dates.md)."""
    errors: dict[str, str] = {}
    if new_date is None:
        errors["return_date"] = "Enter the new return date"
    elif not within_service_years(new_date):
        errors["return_date"] = out_of_range_message("the new return date")
    elif new_date <= referral.first_hearing_date:
        errors["return_date"] = "The return date must be after the first hearing"
    elif new_date == referral.return_date:
        errors["return_date"] = "The new return date is the same as the current one"
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = "Enter the reason the return date changed"
    elif len(reason) > 2000:
        errors["reason"] = "The reason must be 2000 characters or fewer"
    dates = (
        check_return_date_day(new_date, override_reason, errors, "the new return date")
        if new_date is not None
        else CourtDates(errors, [], None)
    )
    dates.raise_if_any()
    if not referral.is_open:
        raise InvalidTransition("The return date of a closed case cannot be changed")
    _refuse_stale(referral, version)
    with transaction():
        _claim_version(referral, version)
        change = ReturnDateChange(
            id=uuid.uuid4(),
            client_id=referral.client_id,
            referral_id=referral.id,
            from_date=referral.return_date,
            to_date=new_date,
            changed_by_id=actor.id,
        )
        # A reason for keeping a warned return date is kept with the reason for the change, encrypted like it.
        change.reason = with_override_reason(reason, dates, "the new return date")
        db.session.add(change)
        referral.return_date = new_date  # type: ignore[assignment]
        record_event(
            "referral.return_date_changed",
            object_type="referral",
            object_id=referral.id,
            case_id=referral.id,
            details={
                "from": change.from_date.isoformat(),
                "to": new_date.isoformat(),  # type: ignore[union-attr]
                **({"return_date_warnings": dates.warning_codes} if dates.warnings else {}),
            },
            actor=actor,
        )


_STALE = "Someone else changed this case while you were working on it. Reload it and try again"


def _refuse_stale(referral: Referral, version: int | None) -> None:
    if version is not None and version != referral.version:
        raise Conflict(_STALE)


def _claim_version(referral: Referral, version: int | None) -> None:
    """The case's next version, claimed against the one the form was shown (a request with none just moves it on)."""
    if version is None:
        referral.version += 1
    else:
        claim_version(referral, version, _STALE)


def assign_worker(referral: Referral, worker: User | None, version: int | None, actor: User) -> None:
    """Give an open case to a support worker or manager, or to no one. Managers reassign any case; a support worker
    may only take a case that has no worker (one referred by the court, say) for herself."""
    if worker is not None and (worker.role not in (Role.WORKER, Role.MANAGER) or worker.is_disabled):
        raise ValidationFailed.on("worker", "Choose a support worker or manager whose account is active")
    if not referral.is_open:
        raise InvalidTransition("A closed case cannot be given to another worker")
    if actor.role != Role.MANAGER:
        if worker is None or worker.id != actor.id:
            raise Forbidden("Only a manager can give a case to someone else")
        if referral.assigned_worker_id not in (None, actor.id):
            raise Conflict("Another support worker has taken this case")
    if worker is not None and referral.assigned_worker_id == worker.id:
        return
    _refuse_stale(referral, version)
    with transaction():
        _claim_version(referral, version)
        referral.assigned_worker_id = worker.id if worker else None
        record_event(
            "referral.assigned",
            object_type="referral",
            object_id=referral.id,
            case_id=referral.id,
            details={"worker": str(worker.id) if worker else None},
            actor=actor,
        )


def sweep_passed_return_dates(on: date | None = None) -> int:
    """Open cases whose return date has passed become not completed (the outcome notice follows). Running it
    again changes nothing more. Returns how many cases moved."""
    on = on or today()
    moved = 0
    ids = db.session.scalars(
        select(Referral.id).where(Referral.state.in_([state.value for state in OPEN_STATES]), Referral.return_date < on)
    ).all()
    for referral_id in ids:
        with transaction():
            # Re-read under the transaction: another sweep may have got there first.
            referral = db.session.scalars(
                select(Referral)
                .where(Referral.id == referral_id)
                .with_for_update(of=Referral)
                .execution_options(populate_existing=True)
            ).first()
            if referral is None or not referral.is_open or referral.return_date >= on:
                continue
            change_state(referral, State.NOT_COMPLETED, on=referral.return_date)
            moved += 1
    return moved


def get_referral(referral_id: Any) -> Referral | None:
    """A referral by id, or None for an unknown or malformed id (no scoping: use the loaders in views)."""
    try:
        return db.session.get(Referral, uuid.UUID(str(referral_id)))
    except ValueError:
        return None


def require_referral(referral_id: Any) -> Referral:
    """A referral by id, or NotFound."""
    referral = get_referral(referral_id)
    if referral is None:
        raise NotFound("No such case")
    return referral


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


def workers() -> list[User]:
    """Active support workers and managers, for assigning cases and booking."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.role.in_([Role.WORKER.value, Role.MANAGER.value]), User.is_disabled.is_(False))
            .order_by(func.lower(User.display_name), User.email)
        )
    )


def working_days_left(referral: Referral) -> int:
    """Working days from today to the return date (0 for a closed case)."""
    return working_days_between(today(), referral.return_date) if referral.is_open else 0


def parse_uuid(value: Any) -> uuid.UUID | None:
    """A UUID from form or query input, or None."""
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def parse_state(value: Any) -> State | None:
    """A state code from a query string, or None."""
    try:
        return State(str(value)) if value else None
    except ValueError:
        return None


def parse_date(value: Any) -> date | None:
    """An ISO date from a query string, or None (also for a date outside 1900 to 2100, which no page can use)."""
    try:
        day = date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    return day if day is not None and within_service_years(day) else None


def parse_int(value: Any) -> int | None:
    """An integer from form input, or None."""
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None

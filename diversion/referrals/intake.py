"""Taking a referral: what intake collects, the checks on it, and the search for someone referred before.

Each public function is one use case: it validates, changes what it must, writes its audit events and commits (or
raises a DomainError having changed nothing). Field paths in errors follow the API (``client.date_of_birth``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import phonenumbers
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from diversion.admin.services import court_by_code
from diversion.audit.services import record_event
from diversion.auth.models import Role, User
from diversion.clients.contact import check_contact_preferences
from diversion.clients.language_needs import LanguageNeeds, apply_language_needs, check_language_needs, kept_on_relink
from diversion.clients.models import Client
from diversion.clients.services import Identity, SafeContact, create_client, find_clients, get_client
from diversion.courts.models import Court
from diversion.crypto.fields import is_unreadable
from diversion.dates import today
from diversion.db import transaction
from diversion.emails import InvalidEmail, checked_email
from diversion.errors import Conflict, Forbidden, ValidationFailed
from diversion.extensions import db
from diversion.organisations.models import Scheme
from diversion.organisations.services import current_version, scheme_court_ids, scheme_for_referral, schemes_serving
from diversion.referrals.court_dates import CourtDates, check_intake_dates, with_override_reason
from diversion.referrals.models import OPEN_STATES, Referral, State
from diversion.referrals.urns import check_urn, urn_index_value
from diversion.signals import needs_attention

ADULT_AGE = 18
MAX_NAME = 100
MAX_NOTES = 5000

OFFENCES = {
    "SOA1959_S1": _l("Loitering or soliciting for prostitution (Street Offences Act 1959, s.1)"),
    "SOA1959_S1_PERSISTENT": _l("Persistently loitering or soliciting (Street Offences Act 1959, s.1)"),
    "OTHER_LINKED": _l("Another low-level offence linked to street prostitution"),
}

UNDER_18_MESSAGE = _l(
    "She is under 18 on the referral date, so this adult pathway cannot take the referral. "
    "Make a safeguarding referral to children's social care instead"
)


def age_on(date_of_birth: date, on: date) -> int:
    """Her age in whole years on a date."""
    return on.year - date_of_birth.year - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))


def normalise_phone(raw: str) -> str:
    """A UK phone number in international form; ValueError when it is not one."""
    try:
        number = phonenumbers.parse(raw, "GB")
    except phonenumbers.NumberParseException:
        raise ValueError(_("Enter a UK phone number, like 07700 100 982")) from None
    # +44 covers Great Britain, Northern Ireland and the Crown Dependencies; a number abroad is not a UK number.
    if number.country_code != 44 or not phonenumbers.is_valid_number(number):
        raise ValueError(_("Enter a UK phone number, like 07700 100 982"))
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
    # The scheme that takes her, by id or short name: needed only where more than one scheme (of hers, for support
    # staff) serves the court (docs/organisations.md).
    scheme: str | None = None
    # Her language, interpreter need and reading help as given (docs/languages.md); checked with the rest.
    language_needs: LanguageNeeds = field(default_factory=LanguageNeeds)


def _validate(data: ReferralInput, actor: User, on: date) -> tuple[dict[str, str], dict[str, Any]]:
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    court = court_by_code(data.court_code) if data.court_code else None
    if court is None or not court.is_active:
        errors["court"] = _("Select the court")
    elif actor.role == Role.COURT and court.id != actor.court_id:
        raise Forbidden(_("Court staff can only refer to the scheme from their own court"))
    clean["court"] = court
    clean["scheme"] = None
    if court is not None and court.is_active:
        try:
            clean["scheme"] = scheme_for_referral(court, actor, data.scheme)
        except ValidationFailed as error:
            errors.update(error.fields)
    try:
        clean["urn"] = check_urn(data.urn)
    except ValueError as error:
        errors["urn"] = str(error)
    if data.offence not in OFFENCES:
        errors["offence"] = _("Select the offence")
    clean["dates"] = check_intake_dates(
        data.first_hearing_date,
        data.return_date,
        on=on,
        past_case=data.past_case,
        override_reason=data.override_reason,
        actor=actor,
        errors=errors,
    )
    names = (
        (
            "given_name",
            _("Enter her given name"),
            _("Her given name must be %(max)d characters or fewer", max=MAX_NAME),
        ),
        (
            "family_name",
            _("Enter her family name"),
            _("Her family name must be %(max)d characters or fewer", max=MAX_NAME),
        ),
    )
    for name, missing, too_long in names:
        value = (getattr(data, name) or "").strip()
        if not value:
            errors[f"client.{name}"] = missing
        elif len(value) > MAX_NAME:
            errors[f"client.{name}"] = too_long
        clean[name] = value
    dob = data.date_of_birth
    if dob is None:
        errors["client.date_of_birth"] = _("Enter her date of birth")
    elif dob >= on:
        errors["client.date_of_birth"] = _("Her date of birth must be in the past")
    elif dob.year < 1900:
        errors["client.date_of_birth"] = _("Her date of birth must be after 1900")
    elif age_on(dob, on) < ADULT_AGE:
        errors["client.date_of_birth"] = str(UNDER_18_MESSAGE)
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
        errors["notes"] = _("Notes must be %(max)d characters or fewer", max=MAX_NOTES)
    clean["safe_contact"] = _checked_contact(data, clean)
    clean["language_needs"] = None
    given = data.language_needs
    try:
        clean["language_needs"] = check_language_needs(
            language=given.language,
            interpreter_needed=given.interpreter_needed,
            interpreter_language=given.interpreter_language,
            reading_help=given.reading_help,
        )
    except ValidationFailed as error:
        errors.update({f"client.{name}": message for name, message in error.fields.items()})
    if isinstance(clean["safe_contact"], ValidationFailed):
        errors.update(clean["safe_contact"].fields)
    return errors, clean


def _checked_contact(data: ReferralInput, clean: dict[str, Any]) -> SafeContact | ValidationFailed:
    """Her contact preferences by the one rule the messages page and the API follow too."""
    phone = clean["phone"] or (data.phone or "").strip() or None
    email = clean["email"] or (data.email or "").strip() or None
    linked = get_client(data.link_client_id) if data.link_client_id else None
    scheme = clean.get("scheme")
    # Only a record of the organisation taking her counts: another's is as unknown as one that does not exist.
    if (
        linked is not None
        and scheme is not None
        and linked.organisation_id == scheme.organisation_id
        and not linked.is_erased
    ):
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


def open_case_with_urn(normalised: str, organisation_id: int) -> Referral | None:
    """The organisation's open case with this URN, if there is one (by its blind index)."""
    return db.session.scalars(
        select(Referral).where(
            Referral.organisation_id == organisation_id,
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


def matching_clients(family_name: str, date_of_birth: date, organisation_ids: list[int]) -> list[ClientMatch]:
    """Existing clients of these organisations she may be, with her earlier referrals counted, for the 'referred
    before' prompt."""
    clients = find_clients(family_name, date_of_birth, organisation_ids)
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


def referral_courts(actor: User) -> list[Court]:
    """The active courts ``actor`` may refer from, by name: a court user's own; a worker's or manager's, those her
    schemes serve (another organisation's court is not hers to refer from, docs/organisations.md)."""
    if actor.role == Role.COURT:
        court = db.session.get(Court, actor.court_id) if actor.court_id is not None else None
        return [court] if court is not None and court.is_active else []
    own = [scheme.id for scheme in actor.schemes]
    if not own:
        return []
    return list(
        db.session.scalars(
            select(Court)
            .where(
                Court.is_active.is_(True),
                Court.id.in_(scheme_court_ids(own)),
            )
            .order_by(Court.name, Court.id)
        )
    )


def schemes_taking(actor: User, courts: list[Court]) -> dict[int, list[Scheme]]:
    """For each court, the schemes that may take a referral from it made by ``actor``: those serving it, and for a
    worker or manager only her own (the schemes ``scheme_for_referral`` chooses among)."""
    own = {scheme.id for scheme in actor.schemes} if actor.role in (Role.WORKER, Role.MANAGER) else None
    return {
        court.id: [scheme for scheme in schemes_serving(court.id) if own is None or scheme.id in own]
        for court in courts
    }


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
    _errors, clean = _validate(data, actor, on or today())
    # Every problem at once; a return date that needs a reason says why beside them (ReturnDateNeedsReason).
    clean["dates"].raise_if_any()
    return clean


def create_referral(data: ReferralInput, actor: User) -> Referral:
    """Take a referral: validate, find or create the client, refuse a second open case for the URN, and record it."""
    on = today()
    clean = check_referral(data, actor, on)
    scheme = clean["scheme"]
    organisation_id = scheme.organisation_id
    if open_case_with_urn(clean["urn"], organisation_id) is not None:
        message = _("There is already an open case with this URN")
        raise Conflict(message, {"urn": message})
    flagged = _check_earlier(data, actor, organisation_id)
    identity = Identity(
        given_name=clean["given_name"],
        family_name=clean["family_name"],
        date_of_birth=data.date_of_birth,  # type: ignore[arg-type]
        phone=clean["phone"],
        email=clean["email"],
        safe_contact=clean["safe_contact"],
        language_needs=clean["language_needs"],
    )
    try:
        with transaction():
            client = _client_for(data.link_client_id, identity, organisation_id)
            referral = Referral(
                id=uuid.uuid4(),
                client_id=client.id,
                court_id=clean["court"].id,
                organisation_id=organisation_id,
                scheme_id=scheme.id,
                # The programme version it starts under, and keeps (docs/organisations.md).
                programme_version_id=current_version(scheme.id).id,
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
                    "scheme": scheme.id,
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
            if flagged:
                # A worker must resolve it: her worker, or with none (a court's referral) the scheme's managers.
                needs_attention.send(referral, kind="possible_match", key=f"possible_match:{referral.id}", actor=actor)
    except IntegrityError:
        # Two people referring the same URN at the same moment: the partial unique index decides.
        message = _("There is already an open case with this URN")
        raise Conflict(message, {"urn": message}) from None
    return referral


def _check_earlier(data: ReferralInput, actor: User, organisation_id: int) -> bool:
    """Whether she may be someone referred before (docs/api.md, "Someone referred before"): support staff who have
    not chosen are refused with PossibleMatch naming the earlier referrals; a court's referral is made and flagged
    (True), the court told nothing more. Court users cannot choose: they see no other referral."""
    from diversion.referrals.matches import PossibleMatch, earlier_clients, earlier_referrals, match_items

    if actor.role == Role.COURT:
        if data.link_client_id is not None or data.new_person:
            raise Forbidden(_("Court staff cannot choose an earlier record: a support worker decides"))
        return bool(earlier_clients(data.family_name, data.date_of_birth, [organisation_id]))
    if data.link_client_id is not None and data.new_person:
        message = _("Either link her to an earlier record or say she is a new person, not both")
        raise ValidationFailed(message, {"link_to_client": message, "new_person": message})
    if data.link_client_id is not None or data.new_person:
        return False
    earlier = earlier_clients(data.family_name, data.date_of_birth, [organisation_id])
    if earlier:
        raise PossibleMatch(match_items(earlier_referrals(earlier)))
    return False


def _client_for(link_client_id: uuid.UUID | None, identity: Identity, organisation_id: int) -> Client:
    if link_client_id is None:
        return create_client(identity, organisation_id)
    client = get_client(link_client_id)
    # Another organisation's client is as unknown here as one that does not exist.
    if client is None or client.is_erased or client.organisation_id != organisation_id:
        raise ValidationFailed.on("link_to_client", _("Select a person from the list, or choose a new person"))
    if client.date_of_birth != identity.date_of_birth:
        raise ValidationFailed.on("link_to_client", _("The person chosen has a different date of birth"))
    # Contact details change between referrals: the newest ones are kept.
    if identity.phone:
        client.phone = identity.phone
    if identity.email:
        client.email = identity.email
    client.safe_contact = _kept_contact(client, identity.safe_contact).to_json()
    apply_language_needs(client, kept_on_relink(client, identity.language_needs))
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

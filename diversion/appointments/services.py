"""Booking appointments before the return date, recording what happened, rebooking, and the worklists.

Weekends, bank holidays and a clash with the same worker's booking are warnings: the booking is refused until a
reason for going ahead is given. A time that has passed can be booked (workers record appointments afterwards),
but no outcome can be recorded for a time still to come; the system never marks a non-attendance by itself.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, exists, select
from sqlalchemy.orm import aliased

from diversion import scoping
from diversion.appointments.models import Appointment, Outcome
from diversion.appointments.reads import ATTENDED_VALUES, appointments_of, attended_numbers, current_appointments
from diversion.audit.services import record_event
from diversion.auth.models import Role, User
from diversion.dates import horizon_warning, is_working_day, london_date, weekday_name
from diversion.db import transaction, utcnow
from diversion.errors import DomainError, InvalidTransition, ValidationFailed
from diversion.extensions import db
from diversion.referrals.models import OPEN_STATES, Referral, State
from diversion.referrals.programme import programme_for
from diversion.referrals.reads import works_in
from diversion.referrals.states import NotYet, closed_case, evaluate_progress
from diversion.signals import appointment_changed
from diversion.venues.models import Venue
from diversion.venues.services import get_venue

MAX_NOTES = 5000
MAX_ELSEWHERE = 120
DEFAULT_DURATION = 60


class NeedsOverride(DomainError):
    """The booking is allowed only with a reason: it falls on a weekend or bank holiday, or clashes."""

    status = 422
    code = "validation_error"

    def __init__(self, warnings: list[str]) -> None:
        message = _("%(warnings)s Give a reason to book it anyway.", warnings=" ".join(warnings))
        super().__init__(message, {"override_reason": message})
        self.warnings = warnings


@dataclass
class BookingInput:
    """What a booking needs."""

    number: int
    starts_at: datetime | None
    duration_minutes: int = DEFAULT_DURATION
    # Where: one of the agency's venues, or "somewhere else" as text (encrypted under her key), or neither.
    venue_id: uuid.UUID | None = None
    location: str | None = None
    worker_id: uuid.UUID | None = None
    override_reason: str | None = None
    supersedes_id: uuid.UUID | None = None
    rebook_reason: str | None = None


def _superseded_ids() -> Any:
    newer = aliased(Appointment)
    return exists().where(newer.supersedes_id == Appointment.id)


def _attended(referral: Referral, number: int) -> Appointment | None:
    return db.session.scalars(
        select(Appointment)
        .where(
            Appointment.referral_id == referral.id,
            Appointment.number == number,
            Appointment.outcome.in_(ATTENDED_VALUES),
        )
        .order_by(Appointment.starts_at.desc())
    ).first()


def booking_warnings(starts_at: datetime, duration: int, worker_id: uuid.UUID | None, ignore: Any = None) -> list[str]:
    """Why a time needs a second thought: weekend, bank holiday, a day past the calendar's horizon (whose bank
    holidays are not known yet), or the worker already booked then."""
    warnings = []
    day = london_date(starts_at)
    if day.weekday() >= 5:
        warnings.append(_("%(day)s is a weekend day.", day=weekday_name(day)))
    if day.weekday() < 5 and not is_working_day(day):
        warnings.append(_("That day is a bank holiday in England and Wales."))
    beyond = horizon_warning(day)
    if beyond:
        warnings.append(_("%(warning)s: check the day is not one.", warning=beyond))
    if worker_id is not None:
        ends_at = starts_at + timedelta(minutes=duration)
        # No appointment is longer than 8 hours, so only those starting in that window can overlap.
        nearby = db.session.scalars(
            select(Appointment).where(
                Appointment.worker_id == worker_id,
                Appointment.starts_at < ends_at,
                Appointment.starts_at > starts_at - timedelta(hours=8),
                Appointment.outcome.is_(None) | Appointment.outcome.in_(ATTENDED_VALUES),
                ~_superseded_ids(),
                *([Appointment.id != ignore] if ignore is not None else []),
            )
        ).all()
        if any(other.ends_at > starts_at for other in nearby):
            warnings.append(_("The worker already has an appointment at that time."))
    return warnings


def not_yet(referral: Referral, number: int | None = None) -> NotYet | None:
    """What must happen before an appointment (appointment ``number``, when given) can be booked, or None when it
    can be: the one rule the booking form, the section's links and ``book_appointment`` share."""
    if referral.state_enum is State.REFERRED:
        return NotYet(_("Record her consent to support and to sharing before booking appointments"), "consent")
    if referral.state_enum not in (State.OPTED_IN, State.ASSESSED):
        return closed_case(referral, _("it takes no more appointments"))
    if number is not None and number > 1 and (number - 1) not in attended_numbers(referral):
        return NotYet(
            _(
                "Appointment %(number)s can be booked once appointment %(previous)s is attended",
                number=number,
                previous=number - 1,
            ),
            "appointments",
        )
    return None


def book_appointment(referral: Referral, data: BookingInput, actor: User) -> Appointment:
    """Book (or rebook) an appointment for the case, enforcing the programme's order and deadline."""
    prog = programme_for(referral)
    errors: dict[str, str] = {}
    blocked = not_yet(referral)
    if blocked is not None:
        raise InvalidTransition(blocked.reason)
    step = prog.step(data.number)
    if step is None:
        errors["number"] = _("Choose an appointment number from 1 to %(last)s", last=prog.required_appointments)
    if data.starts_at is None:
        errors["starts_at"] = _("Enter the date and time of the appointment")
    elif london_date(data.starts_at) >= referral.return_date:
        errors["starts_at"] = _("The appointment must be before the return date")
    if not 5 <= int(data.duration_minutes or 0) <= 480:
        errors["duration_minutes"] = _("The length must be between 5 minutes and 8 hours")
    venue, elsewhere = _place(referral, data, errors)
    if errors:
        raise ValidationFailed(next(iter(errors.values())), errors)
    assert data.starts_at is not None  # noqa: S101 - checked above; for the type checker
    if data.number > 1 and (data.number - 1) not in attended_numbers(referral):
        raise InvalidTransition(
            _(
                "Appointment %(number)s can be booked once appointment %(previous)s is attended",
                number=data.number,
                previous=data.number - 1,
            )
        )
    if data.number in attended_numbers(referral):
        raise InvalidTransition(_("She has already attended appointment %(number)s", number=data.number))
    before = _attended(referral, data.number - 1) if data.number > 1 else None
    if before is not None and data.starts_at <= before.starts_at:
        raise ValidationFailed.on(
            "starts_at",
            _(
                "Appointment %(number)s must be after appointment %(previous)s, which she attended",
                number=data.number,
                previous=data.number - 1,
            ),
        )
    superseded = _check_supersedes(referral, data)
    worker = _worker(referral, data.worker_id, actor)
    override = (data.override_reason or "").strip()[:200]
    # Moving a booking to a nearby time must not clash with the booking it replaces.
    replaced = superseded.id if superseded else None
    warnings = booking_warnings(data.starts_at, data.duration_minutes, worker.id if worker else None, ignore=replaced)
    if warnings and not override:
        raise NeedsOverride(warnings)
    with transaction():
        appointment = Appointment(
            id=uuid.uuid4(),
            client_id=referral.client_id,
            referral_id=referral.id,
            number=data.number,
            starts_at=data.starts_at,
            duration_minutes=data.duration_minutes,
            venue_id=venue.id if venue else None,
            elsewhere=elsewhere,
            worker_id=worker.id if worker else None,
            supersedes_id=superseded.id if superseded else None,
            rebook_reason=(data.rebook_reason or "").strip()[:200] or None,
            override_reason=override if warnings else None,
            booked_by_id=actor.id,
        )
        db.session.add(appointment)
        db.session.flush()
        if superseded is not None:
            appointment_changed.send(superseded, change="moved")
        record_event(
            "appointment.rebooked" if superseded else "appointment.booked",
            object_type="appointment",
            object_id=appointment.id,
            case_id=referral.id,
            details={"number": data.number, "overridden": bool(warnings)},
            actor=actor,
        )
    return appointment


def _place(referral: Referral, data: BookingInput, errors: dict[str, str]) -> tuple[Venue | None, str | None]:
    """The venue chosen, or the "somewhere else" text: one or the other, or neither (a place not decided yet). The
    venue must be one of the case's organisation's: another's is as unknown as one that does not exist."""
    elsewhere = (data.location or "").strip() or None
    venue = None
    if data.venue_id is not None:
        venue = get_venue(data.venue_id)
        if venue is None or venue.organisation_id != referral.organisation_id or not venue.is_active:
            errors["venue_id"] = _("Choose a venue from the list")
        elif elsewhere:
            errors["location"] = _("Choose a venue or give somewhere else, not both")
    if elsewhere and len(elsewhere) > MAX_ELSEWHERE:
        errors["location"] = _("The place must be %(max)s characters or fewer", max=MAX_ELSEWHERE)
    return venue, elsewhere


def _check_supersedes(referral: Referral, data: BookingInput) -> Appointment | None:
    # Open, missed or cancelled: a new booking of the same number is a rebooking, linked to the one it replaces.
    same_number = [item for item in current_appointments(referral) if item.number == data.number]
    if data.supersedes_id is None:
        if same_number:
            raise InvalidTransition(
                _(
                    "Appointment %(number)s is already booked. Rebook it instead, so the history is kept",
                    number=data.number,
                )
            )
        return None
    old = db.session.get(Appointment, data.supersedes_id)
    if old is None or old.referral_id != referral.id or old.number != data.number:
        raise ValidationFailed.on("supersedes", _("Choose the appointment this one replaces"))
    if old.outcome_enum is not None and old.outcome_enum.is_attended:
        raise InvalidTransition(_("An attended appointment is not rebooked"))
    if any(item.supersedes_id == old.id for item in appointments_of(referral)):
        raise InvalidTransition(_("That appointment has already been rebooked"))
    if not (data.rebook_reason or "").strip():
        raise ValidationFailed.on("rebook_reason", _("Enter why the appointment is rebooked"))
    return old


def _worker(referral: Referral, worker_id: uuid.UUID | None, actor: User) -> User | None:
    """Who sees her: the one chosen, a support worker or manager of the case's scheme (nobody of another scheme or
    organisation, docs/organisations.md); by default the person booking."""
    if worker_id is None:
        return actor if actor.role in (Role.WORKER, Role.MANAGER) else None
    worker = db.session.get(User, worker_id)
    if worker is None or worker.is_disabled or not works_in(worker, referral.scheme_id):
        raise ValidationFailed.on("worker_id", _("Choose a support worker"))
    return worker


def record_outcome(appointment: Appointment, outcome: Outcome | str, actor: User, notes: str | None = None) -> None:
    """Record what happened at an appointment whose time has come; the case moves on if a step is now done."""
    try:
        outcome = Outcome(outcome)
    except ValueError:
        raise ValidationFailed.on("outcome", _("Select what happened")) from None
    if appointment.starts_at > utcnow():
        raise InvalidTransition(_("An outcome can only be recorded once the appointment's time has come"))
    referral = db.session.get(Referral, appointment.referral_id)
    if referral is None or referral.state_enum not in OPEN_STATES:
        raise InvalidTransition(_("The case is closed: appointments can no longer change"))
    if any(item.supersedes_id == appointment.id for item in appointments_of(referral)):
        raise InvalidTransition(_("This appointment was rebooked; record the outcome on the new one"))
    if outcome.is_attended and appointment.number > 1 and (appointment.number - 1) not in attended_numbers(referral):
        raise InvalidTransition(
            _(
                "Appointment %(number)s cannot be attended before appointment %(previous)s",
                number=appointment.number,
                previous=appointment.number - 1,
            )
        )
    if notes and len(notes) > MAX_NOTES:
        raise ValidationFailed.on("notes", _("Notes must be %(max)s characters or fewer", max=MAX_NOTES))
    with transaction():
        previous = appointment.outcome
        appointment.outcome = outcome.value
        appointment.outcome_recorded_at = utcnow()
        appointment.outcome_recorded_by_id = actor.id
        if notes is not None and notes.strip():
            appointment.notes = notes.strip()
        record_event(
            "appointment.outcome_recorded" if previous is None else "appointment.outcome_corrected",
            object_type="appointment",
            object_id=appointment.id,
            case_id=referral.id,
            details={"outcome": outcome.value, "number": appointment.number},
            actor=actor,
        )
        appointment_changed.send(appointment, change="outcome")
        evaluate_progress(referral, actor=actor)


def unresolved_appointments(worker_id: uuid.UUID | None = None, *, user: User | None = None) -> list[Appointment]:
    """Appointments whose time has passed with no outcome, not rebooked, on open cases: the worklist; of the cases
    ``user`` may see, when given (diversion/scoping.py)."""
    query = (
        select(Appointment)
        .join(Referral, Referral.id == Appointment.referral_id)
        .where(
            Appointment.outcome.is_(None),
            Appointment.starts_at < utcnow(),
            Referral.state.in_([state.value for state in OPEN_STATES]),
            ~_superseded_ids(),
        )
        .order_by(Appointment.starts_at)
    )
    if user is not None:
        query = query.where(scoping.cases_filter(user))
    if worker_id is not None:
        query = query.where(and_(Appointment.worker_id == worker_id))
    return list(db.session.scalars(query))


def get_appointment(appointment_id: Any) -> Appointment | None:
    """An appointment by id, or None for an unknown or malformed id."""
    try:
        return db.session.get(Appointment, uuid.UUID(str(appointment_id)))
    except ValueError:
        return None


def superseded_ids(referral: Referral) -> set[uuid.UUID]:
    """Ids of the case's appointments that were rebooked."""
    return {item.supersedes_id for item in appointments_of(referral) if item.supersedes_id is not None}


def appointment_to_replace(referral: Referral, number: int, requested: Any = None) -> Appointment | None:
    """The appointment a new booking of this number replaces: the one asked for, or else the latest missed or
    cancelled one not yet rebooked (a booking after a missed appointment is always a rebooking)."""
    current = [item for item in current_appointments(referral) if item.number == number]
    if requested:
        return next((item for item in current if str(item.id) == str(requested)), None)
    missed = [item for item in current if item.outcome_enum is not None and not item.outcome_enum.is_attended]
    return missed[-1] if missed else None


def calendar_invite(appointment: Appointment) -> bytes:
    """An .ics invite for the appointment, in Europe/London. It names no court, offence or purpose: a phone's
    calendar is read by others."""
    from icalendar import Calendar, Event

    from diversion.dates import LONDON

    calendar = Calendar()
    calendar.add("prodid", "-//Appointments//EN")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"{appointment.id}@appointments")
    event.add("dtstamp", utcnow())
    event.add("dtstart", appointment.starts_at.astimezone(LONDON))
    event.add("dtend", appointment.ends_at.astimezone(LONDON))
    event.add("summary", "Appointment")
    # The venue, or her "somewhere else" text: the invite is for her and the worker, who both need to know where.
    if appointment.place:
        event.add("location", appointment.place)
    calendar.add_component(event)
    return calendar.to_ical()

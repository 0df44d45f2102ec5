"""Client reminders: when they are due, whether it is safe to send one, and planning them for coming appointments.

A reminder goes only with her current consent to reminders, by a channel she marked safe (text when she said texts
are safe, email when she said email is), at the lead times of her case's programme version, never inside her quiet
hours, and never for an appointment that has moved, has an outcome, or whose case has closed. Each rule is checked
when the reminder is planned and again just before it is sent.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import aliased

from diversion.appointments.models import Appointment
from diversion.clients.contact import QuietHours, SafeContact
from diversion.clients.models import Client
from diversion.crypto.fields import is_unreadable
from diversion.db import transaction
from diversion.extensions import db
from diversion.keyring import key_provider
from diversion.notifications.lead_times import LeadTime
from diversion.notifications.models import ClientMessage, Kind
from diversion.notifications.outbox import insert_if_absent
from diversion.notifications.wording import render_reminder
from diversion.referrals.consent import has_consent
from diversion.referrals.models import OPEN_STATES, ConsentPurpose, Referral
from diversion.referrals.programme import all_lead_times, versions_in_use

# A reminder whose time passed more than this before a sweep saw it is dropped rather than sent late.
LATE_GRACE = timedelta(hours=1)


def longest_lead() -> timedelta:
    """How far ahead of an appointment its earliest reminder can fall, under any programme version: the planner
    looks this far ahead, then plans each case's reminders at its own version's lead times."""
    leads = [LeadTime.parse(code) for code in all_lead_times()]
    return max((lead.reach for lead in leads), default=timedelta(0))


def min_notice() -> timedelta:
    """No reminder goes this close to the start."""
    return current_app.config["REMINDER_MIN_NOTICE"]


def quiet_hours_of(client_id: uuid.UUID) -> QuietHours | None:
    """Her quiet hours, from her contact preferences (docs/notifications.md), or None when none are recorded (or
    they cannot be read)."""
    client = db.session.get(Client, client_id)
    if client is None:
        return None
    return SafeContact.from_json(client.safe_contact).quiet_hours


@dataclass(frozen=True)
class Contact:
    """A way to reach her that she marked safe."""

    channel: str
    address: str


def safe_contact_for(client: Client) -> Contact | None:
    """Text when she said texts are safe and has a phone; else email when she said email is; else nothing."""
    preferences = SafeContact.from_json(client.safe_contact)
    phone, email = client.phone, client.email
    if preferences.may_text is True and phone and not is_unreadable(phone):
        return Contact("sms", str(phone))
    if preferences.may_email is True and email and not is_unreadable(email):
        return Contact("email", str(email))
    return None


def _is_superseded(appointment: Appointment) -> bool:
    newer = aliased(Appointment)
    return db.session.scalar(select(newer.id).where(newer.supersedes_id == appointment.id).limit(1)) is not None


def reminder_blocker(referral: Referral, appointment: Appointment, now: datetime) -> str | None:
    """Why no reminder may go for this appointment now (a short code), or None when one may."""
    if referral.state_enum not in OPEN_STATES:
        return "case_closed"
    if appointment.outcome is not None:
        return "outcome_recorded"
    if _is_superseded(appointment):
        return "appointment_moved"
    if appointment.starts_at - min_notice() <= now:
        return "too_late"
    if not has_consent(referral, ConsentPurpose.REMINDERS):
        return "no_consent"
    if safe_contact_for(referral.client) is None:
        return "no_safe_contact"
    return None


def schedule(due: datetime, starts_at: datetime, quiet: QuietHours | None) -> datetime | None:
    """When a reminder due then may go: moved out of her quiet hours, or None when that leaves too little notice."""
    if quiet is not None:
        due = quiet.next_safe(due)
    if due > starts_at - min_notice():
        return None
    return due


def upcoming_appointments(now: datetime) -> list[Appointment]:
    """Appointments still to come within the longest lead time, not rebooked, with no outcome, on open cases."""
    newer = aliased(Appointment)
    query = (
        select(Appointment)
        .join(Referral, Referral.id == Appointment.referral_id)
        .where(
            Appointment.outcome.is_(None),
            Appointment.starts_at > now + min_notice(),
            Appointment.starts_at <= now + longest_lead(),
            Referral.state.in_([state.value for state in OPEN_STATES]),
            ~select(newer.id).where(newer.supersedes_id == Appointment.id).exists(),
        )
        .order_by(Appointment.starts_at)
    )
    return list(db.session.scalars(query))


def plan_reminders(now: datetime) -> int:
    """Queue the reminders due for coming appointments (one per appointment and lead time, ever); returns how many
    were added. Reminders whose time has long passed are not sent late, and none is planned where a rule forbids."""
    appointments = upcoming_appointments(now)
    key_provider().prefetch([appointment.client_id for appointment in appointments])
    # Each case's reminders go at its own programme version's lead times (docs/organisations.md, "Programmes"): the
    # versions are read once for the whole sweep.
    programmes = versions_in_use()
    added = 0
    for appointment in appointments:
        with transaction():
            referral = db.session.get(Referral, appointment.referral_id)
            if referral is None or reminder_blocker(referral, appointment, now) is not None:
                continue
            contact = safe_contact_for(referral.client)
            quiet = quiet_hours_of(referral.client_id)
            for lead in programmes[referral.programme_version_id].lead_times:
                due = lead.due_at(appointment.starts_at)
                if due < now - LATE_GRACE:
                    continue
                when = schedule(due, appointment.starts_at, quiet)
                if when is None or contact is None:
                    continue
                message = ClientMessage(
                    id=uuid.uuid4(),
                    client_id=referral.client_id,
                    kind=Kind.REMINDER.value,
                    dedupe_key=f"reminder:{appointment.id}:{lead.code}",
                    lead=lead.code,
                    channel=contact.channel,
                    due_at=when,
                    next_attempt_at=when,
                    referral_id=referral.id,
                    appointment_id=appointment.id,
                )
                fill_reminder(message, contact, appointment)
                added += insert_if_absent(message)
    return added


def fill_reminder(message: ClientMessage, contact: Contact, appointment: Appointment) -> None:
    """Write the recipient and the wording for the channel (encrypted under her key), in her language when her
    scheme has approved its wording, else in English with the reason kept on the message (docs/languages.md,
    "Messages in her language")."""
    referral = db.session.get(Referral, appointment.referral_id)
    client = referral.client if referral is not None else None
    rendered = render_reminder(
        contact.channel,
        appointment.starts_at,
        language=client.language_code if client is not None else None,
        scheme_id=referral.scheme_id if referral is not None else None,
    )
    message.channel = contact.channel
    message.recipient = contact.address
    message.subject = rendered.subject
    message.body = rendered.body
    message.language_code = rendered.language
    message.language_fallback = rendered.fallback

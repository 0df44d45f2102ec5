"""Saving her contact preferences (docs/notifications.md, "Contact preferences"): from the API's PUT, or her quiet
hours alone from the case's messages page. Both read and write the one record in ``Client.safe_contact``, validated
by ``diversion.clients.contact.check_contact_preferences``, and are audited by field name, never by value."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from diversion.audit.services import record_event
from diversion.clients.contact import QuietHours, SafeContact, check_contact_preferences, check_quiet_hours
from diversion.clients.models import Client
from diversion.crypto.fields import is_unreadable
from diversion.db import transaction
from diversion.errors import Conflict
from diversion.extensions import db

FIELDS = ("may_text", "may_voicemail", "may_email", "quiet_hours", "note")


def contact_preferences_of(client: Client) -> SafeContact:
    """Her contact preferences as recorded (nothing safe when none are, or they cannot be read)."""
    return SafeContact.from_json(client.safe_contact)


def _locked_client(client_id: Any) -> Client:
    # Read, change and write one JSON value: a second save waits for the first, so neither undoes the other.
    query = select(Client).where(Client.id == client_id).with_for_update().execution_options(populate_existing=True)
    client = db.session.execute(query).scalar_one()
    if is_unreadable(client.safe_contact):
        # Writing over a value that cannot be read now would lose what might yet be recovered (docs/encryption.md).
        raise Conflict(_("Her contact preferences cannot be read just now, so nothing was changed"))
    return client


def _readable(value: Any) -> str | None:
    return None if value is None or is_unreadable(value) else str(value)


def _changed(before: SafeContact, after: SafeContact) -> list[str]:
    return [name for name in FIELDS if getattr(before, name) != getattr(after, name)]


def save_contact_preferences(referral: Any, values: dict[str, Any], actor: Any) -> SafeContact:
    """Replace her contact preferences with ``values`` (the API's names; ``quiet_hours`` a dict of "from" and "to" or
    None). A ``note`` left out keeps the note she has. Refused (ValidationFailed, nothing changed) when a rule is
    broken; audited as ``clients.contact_preferences_set`` with the names of the fields that changed."""
    hours = values.get("quiet_hours")
    with transaction():
        client = _locked_client(referral.client_id)
        before = contact_preferences_of(client)
        note = values.get("note", before.note)
        after = check_contact_preferences(
            may_text=values.get("may_text"),
            may_voicemail=values.get("may_voicemail"),
            may_email=values.get("may_email"),
            quiet_from=hours.get("from") if isinstance(hours, dict) else None,
            quiet_to=hours.get("to") if isinstance(hours, dict) else None,
            note=note,
            phone=_readable(client.phone),
            email=_readable(client.email),
        )
        changed = _changed(before, after)
        if changed:
            client.safe_contact = after.to_json()
        record_event(
            "clients.contact_preferences_set",
            object_type="client",
            object_id=client.id,
            case_id=referral.id,
            details={"changed": changed},
            actor=actor,
        )
    return after


def set_quiet_hours(referral: Any, start: str | None, end: str | None, actor: Any) -> QuietHours | None:
    """Record (or clear, with both times empty) the hours when messages are not safe for her, keeping the rest of her
    preferences. ValidationFailed names "quiet_hours.from" / "quiet_hours.to"."""
    hours = check_quiet_hours(start, end)
    with transaction():
        client = _locked_client(referral.client_id)
        before = contact_preferences_of(client)
        client.safe_contact = before.with_quiet_hours(hours).to_json()
        record_event(
            "reminders.quiet_hours_set",
            object_type="client",
            object_id=client.id,
            case_id=referral.id,
            details={"cleared": hours is None},
            actor=actor,
        )
    return hours

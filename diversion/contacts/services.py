"""Logging a contact on a case: a call, text, visit, a word at court, outreach, an email or a letter.

A contact is added, never edited or removed: the log is what happened, in the order it was written. Its time may be
in the past (most are logged afterwards) but not in the future beyond a few minutes, which allows for a clock that
runs a little fast. With whom and what happened are encrypted under her data key, so they go when she is erased;
the audit event names the contact's kind and direction, never its words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _

from diversion.audit.services import record_event
from diversion.auth.models import User
from diversion.contacts.models import Contact, Direction, Kind
from diversion.db import transaction, utcnow
from diversion.errors import InvalidTransition, ValidationFailed
from diversion.extensions import db
from diversion.i18n import N_
from diversion.referrals.models import Referral

MAX_WITH = 200
MAX_NOTE = 5000
# How far ahead of the service's clock a contact's time may be: a phone or laptop clock running a little fast.
FUTURE_TOLERANCE = timedelta(minutes=5)
LOGGED = "contact.logged"


# English here (the API's words); ``_`` reads each in the reader's language where it is shown.
KIND_MISSING = N_("Select how the contact was made")
DIRECTION_MISSING = N_("Select whether she got in touch or the service did")
AT_MISSING = N_("Enter the date and time of the contact")
AT_IN_FUTURE = N_("The time of the contact must be now or in the past")
ERASED = N_("Her record was erased: nothing more can be logged on this case")


@dataclass
class ContactInput:
    """What a contact needs; ``with_whom`` and ``note`` are optional. Field problems are named as the API names
    them (``kind``, ``direction``, ``at``, ``with``, ``note``)."""

    kind: str | None
    direction: str | None
    contacted_at: datetime | None
    with_whom: str | None = None
    note: str | None = None


def _optional_text(value: str | None) -> str | None:
    text = (value or "").strip()
    return text or None


def contact_problems(data: ContactInput) -> dict[str, str]:
    """What is wrong with a contact, by field; empty when it can be logged."""
    errors: dict[str, str] = {}
    if data.kind not in {kind.value for kind in Kind}:
        errors["kind"] = _(KIND_MISSING)
    if data.direction not in {direction.value for direction in Direction}:
        errors["direction"] = _(DIRECTION_MISSING)
    if data.contacted_at is None:
        errors["at"] = _(AT_MISSING)
    elif data.contacted_at > utcnow() + FUTURE_TOLERANCE:
        errors["at"] = _(AT_IN_FUTURE)
    if len(data.with_whom or "") > MAX_WITH:
        errors["with"] = _("Who it was with must be %(max)s characters or fewer", max=MAX_WITH)
    if len(data.note or "") > MAX_NOTE:
        errors["note"] = _("What happened must be %(max)s characters or fewer", max=MAX_NOTE)
    return errors


def log_contact(referral: Referral, data: ContactInput, actor: User) -> Contact:
    """Add a contact to the case's log, its words encrypted under her key; audited with its kind and direction."""
    errors = contact_problems(data)
    if errors:
        raise ValidationFailed(next(iter(errors.values())), errors)
    if referral.client.is_erased:
        # Her key is destroyed: nothing written now could be read, and nothing more about her is kept.
        raise InvalidTransition(_(ERASED))
    with transaction():
        contact = Contact(
            client_id=referral.client_id,
            referral_id=referral.id,
            kind=data.kind,
            direction=data.direction,
            contacted_at=data.contacted_at,
            logged_by_id=actor.id,
            logged_at=utcnow(),
            with_whom=_optional_text(data.with_whom),
            note=_optional_text(data.note),
        )
        db.session.add(contact)
        db.session.flush()
        record_event(
            LOGGED,
            object_type="contact",
            object_id=contact.id,
            case_id=referral.id,
            details={"kind": data.kind, "direction": data.direction},
            actor=actor,
        )
    return contact

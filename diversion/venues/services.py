"""The venue list: add, change, retire and bring back. Each change is audited in its own transaction.

A venue is never deleted: appointments keep pointing at the place they were held, so a venue no longer used is
retired (inactive) and leaves the booking form's choices, while old appointments still show it.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from diversion.audit.services import record_event
from diversion.auth.models import User
from diversion.db import transaction
from diversion.errors import Conflict, ValidationFailed
from diversion.extensions import db
from diversion.organisations.services import organisation_for
from diversion.venues.models import Venue

MAX_NAME = 120
MAX_ADDRESS = 300


def list_venues(organisation_id: int, active_only: bool = False) -> list[Venue]:
    """An organisation's venues by name; active ones only when asked (the booking choices)."""
    query = select(Venue).where(Venue.organisation_id == organisation_id).order_by(Venue.name)
    if active_only:
        query = query.where(Venue.is_active.is_(True))
    return list(db.session.scalars(query))


def get_venue(venue_id: Any) -> Venue | None:
    """A venue by id, or None for an unknown or malformed id."""
    try:
        return db.session.get(Venue, uuid.UUID(str(venue_id)))
    except ValueError:
        return None


def own_venue(organisation_id: int | None, venue_id: Any) -> Venue | None:
    """The organisation's venue by id; None for an unknown id or another organisation's venue."""
    venue = get_venue(venue_id)
    if venue is None or organisation_id is None or venue.organisation_id != organisation_id:
        return None
    return venue


def venue_by_name(name: str, organisation_id: int) -> Venue | None:
    """The organisation's venue with this name, ignoring case and surrounding spaces."""
    return db.session.scalars(
        select(Venue).where(Venue.organisation_id == organisation_id, func.lower(Venue.name) == name.strip().lower())
    ).first()


def save_venue(
    name: str, address: str, venue: Venue | None = None, actor: User | None = None, organisation: str | None = None
) -> Venue:
    """Add a venue to the actor's organisation (or the one named, from the command line), or change an existing
    one's name and address. Names are unique in an organisation, ignoring case."""
    name = " ".join((name or "").split())
    address = (address or "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Enter the venue's name")
    elif len(name) > MAX_NAME:
        errors["name"] = _("The venue's name must be %(max)s characters or fewer", max=MAX_NAME)
    if not address:
        errors["address"] = _("Enter the venue's address")
    elif len(address) > MAX_ADDRESS:
        errors["address"] = _("The address must be %(max)s characters or fewer", max=MAX_ADDRESS)
    if errors:
        raise ValidationFailed(next(iter(errors.values())), errors)
    organisation_id = venue.organisation_id if venue is not None else organisation_for(actor, organisation).id
    existing = venue_by_name(name, organisation_id)
    if existing is not None and existing is not venue:
        message = _("A venue with this name already exists")
        raise Conflict(message, {"name": message})
    with transaction():
        action = "venue.updated"
        if venue is None:
            venue = Venue(id=uuid.uuid4(), organisation_id=organisation_id, name=name, address=address, is_active=True)
            db.session.add(venue)
            action = "venue.created"
        else:
            venue.name, venue.address = name, address
        db.session.flush()
        record_event(action, object_type="venue", object_id=venue.id, actor=actor)
    return venue


def set_active(venue: Venue, active: bool, actor: User | None = None) -> None:
    """Retire a venue (it leaves the booking choices; its appointments keep it), or bring it back."""
    if venue.is_active == active:
        return
    with transaction():
        venue.is_active = active
        record_event(
            "venue.reactivated" if active else "venue.retired", object_type="venue", object_id=venue.id, actor=actor
        )

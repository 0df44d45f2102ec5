"""Reading a case's contact log: newest first, filtered by kind, direction and a date range (London days); and the
contacts in the case's history.

The case is loaded through the case loader (``permissions.load_case``) before any of this runs, so the wall between
organisations, the need-to-know question and the audit of the read come with it; these queries read one case's rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from diversion.contacts.models import Contact
from diversion.contacts.services import LOGGED, N_
from diversion.dates import from_london
from diversion.extensions import db
from diversion.referrals.models import Referral

RANGE_BACKWARDS = N_("The last day must be the same as or after the first day")


@dataclass(frozen=True)
class ContactFilters:
    """Which contacts to list: any of a kind, a direction, and London days from and to (both included)."""

    kind: str | None = None
    direction: str | None = None
    from_date: date | None = None
    to_date: date | None = None

    def problems(self) -> dict[str, str]:
        """What is wrong with the filters together (``to`` before ``from``), by field."""
        if self.from_date is not None and self.to_date is not None and self.to_date < self.from_date:
            return {"to": _(RANGE_BACKWARDS)}
        return {}

    @property
    def is_set(self) -> bool:
        """True when anything narrows the list."""
        return any(value is not None for value in (self.kind, self.direction, self.from_date, self.to_date))


NO_FILTERS = ContactFilters()


def contacts_of(referral: Referral, filters: ContactFilters = NO_FILTERS) -> list[Contact]:
    """The case's contacts that pass the filters, newest first."""
    query = select(Contact).where(Contact.referral_id == referral.id)
    if filters.kind is not None:
        query = query.where(Contact.kind == filters.kind)
    if filters.direction is not None:
        query = query.where(Contact.direction == filters.direction)
    if filters.from_date is not None:
        query = query.where(Contact.contacted_at >= from_london(filters.from_date, time(0)))
    if filters.to_date is not None:
        query = query.where(Contact.contacted_at < from_london(filters.to_date + timedelta(days=1), time(0)))
    return list(db.session.scalars(query.order_by(Contact.contacted_at.desc(), Contact.id.desc())))


def _when(item: Any) -> datetime:
    return item.contacted_at if isinstance(item, Contact) else item.at


def with_contacts(events: list[Any], contacts: list[Contact]) -> list[tuple[Any, str | None]]:
    """The case history's events, as ``(event, actor's name)``, and its contacts, as ``(contact, logger's name)``, in
    one timeline, newest first. A contact stands at the time it happened; the event of its logging is left out, since
    the contact says who logged it."""
    entries: list[tuple[Any, str | None]] = [(event, name) for event, name in events if event.action != LOGGED]
    entries += [(contact, contact.logged_by.display_name) for contact in contacts]
    # Stable: events of the same moment keep the history's order.
    return sorted(entries, key=lambda entry: _when(entry[0]), reverse=True)

"""Contacts made through the service, for the contact log's tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from diversion.contacts.models import Contact
from diversion.contacts.services import ContactInput, log_contact


def log(referral: Any, worker: Any, at: datetime, **changes: Any) -> Contact:
    """A contact on the case at ``at``: an outgoing call unless ``changes`` say otherwise."""
    values: dict[str, Any] = {"kind": "call", "direction": "out", "with_whom": None, "note": None, **changes}
    return log_contact(referral, ContactInput(contacted_at=at, **values), worker)

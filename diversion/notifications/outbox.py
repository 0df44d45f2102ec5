"""Putting a message in the outbox (the notifications table) once: every message has a dedupe key, and the sweeps
that plan reminders, digests and notice emails may run at the same moment, so a message already there is not added
again. The sending is in diversion/notifications/services.py.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from diversion.extensions import db
from diversion.notifications.models import Notification


def insert_if_absent(message: Notification) -> bool:
    """Add the message unless one with its dedupe key exists (flush only); True when it was added. A savepoint
    keeps a concurrent sweep's duplicate from spoiling the caller's transaction."""
    exists = select(Notification.id).where(Notification.dedupe_key == message.dedupe_key)
    if db.session.scalar(exists) is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:
        return False
    return True

"""Putting a message in the outbox (the notifications table) once: every message has a dedupe key, and the sweeps
that plan reminders, digests and notice emails may run at the same moment, so a message already there is not added
again; ``email_staff`` puts an email to a member of staff there that way (the digests, the managers' alerts, a
paused webhook's owner). The sending is in diversion/notifications/services.py.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from diversion.auth.models import User
from diversion.extensions import db
from diversion.notifications.models import Kind, Notification, StaffMessage


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


def email_staff(user: User, *, dedupe: str, subject: str, body: str, now: datetime) -> bool:
    """Queue one email to a member of staff, sent as soon as the sender runs, once per ``dedupe`` key; True when it
    was queued (False: already queued under that key). In the caller's transaction."""
    message = StaffMessage(
        id=uuid.uuid4(),
        kind=Kind.DIGEST.value,
        dedupe_key=dedupe,
        channel="email",
        due_at=now,
        next_attempt_at=now,
        user_id=user.id,
    )
    message.recipient = user.email
    message.subject = subject
    message.body = body
    return insert_if_absent(message)

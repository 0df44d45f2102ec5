"""Cases set up for reminders, and reading what left the service."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from diversion.clients.services import SafeContact
from diversion.dates import LONDON, today
from diversion.db import transaction
from diversion.extensions import db
from diversion.notifications.models import Notification
from diversion.referrals.consent import record_consent
from diversion.referrals.models import State
from tests.factories import book, create_referral, create_user


def london(day_offset: int, hour: int, minute: int = 0) -> datetime:
    """A London wall-clock time some days from today, as an aware datetime."""
    return datetime.combine(today() + timedelta(days=day_offset), time(hour, minute), tzinfo=LONDON)


def reminder_case(
    *,
    starts_at: datetime | None = None,
    may_text: bool | None = True,
    may_email: bool | None = None,
    email: str | None = None,
    consent: bool = True,
    worker: Any = None,
    **kwargs: Any,
) -> tuple[Any, Any]:
    """An opted-in case whose client marked contacts safe (or not), with or without consent to reminders, and
    appointment 1 booked (by default in three days at 2pm London). Returns (referral, appointment)."""
    worker = worker or create_user(role="worker")
    referral = create_referral(state=State.OPTED_IN, worker=worker, **kwargs)
    with transaction():
        referral.client.safe_contact = SafeContact(may_text, False, may_email, "after 10am").to_json()
        if email:
            referral.client.email = email
    if consent:
        record_consent(referral, "reminders", True, worker)
    appointment = book(referral=referral, worker=worker, number=1, starts_at=starts_at or london(3, 14))
    return referral, appointment


def messages(**filters: Any) -> list[Notification]:
    """Stored messages, oldest due first, filtered by column values."""
    query = select(Notification).order_by(Notification.due_at, Notification.lead)
    for name, value in filters.items():
        query = query.where(getattr(Notification, name) == value)
    db.session.expire_all()
    return list(db.session.scalars(query))


def outbox_lines() -> list[dict[str, Any]]:
    """Every message written to the outbox file."""
    path = Path(current_app.config["NOTIFY_OUTBOX_FILE"])
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def outbox_for(notification_ids: Any) -> list[dict[str, Any]]:
    """The outbox lines of these messages."""
    wanted = {str(item) for item in notification_ids}
    return [line for line in outbox_lines() if line["id"] in wanted]

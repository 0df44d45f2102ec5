"""A partner's webhook subscriptions and the outbox of deliveries to them (docs/webhooks.md).

A delivery row is written in the transaction that made its event and names the event and the record it is about
(ids only): what it carries is read when it is sent, through the same status-shape serializers the subscriber's own
API reads use, so nothing of the case is stored here. The subscription's secret is encrypted under the service's
user key (docs/encryption.md), never a client's key: it is the partner's, not hers.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from diversion.crypto.fields import encrypted
from diversion.db import Timestamps, UTCDateTime, UUIDPrimaryKey, utcnow
from diversion.extensions import db


class Event(StrEnum):
    """What a subscriber can be told of. The names are the API's contract (docs/webhooks.md)."""

    NOTICE_CREATED = "notice.created"
    NOTICE_CORRECTED = "notice.corrected"
    STATE_CHANGED = "referral.state_changed"

    @property
    def label(self) -> str:
        """The event in words, for the pages (in the reader's language)."""
        return str(EVENT_LABELS[self])


EVENT_LABELS = {
    Event.NOTICE_CREATED: _l("An outcome notice is made"),
    Event.NOTICE_CORRECTED: _l("An outcome notice is corrected"),
    Event.STATE_CHANGED: _l("A case changes state"),
}


class DeliveryStatus(StrEnum):
    """Where a delivery is. ``sending`` is held only while one process sends it."""

    QUEUED = "queued"
    SENDING = "sending"
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"


_EVENT_VALUES = ", ".join(f"'{event.value}'" for event in Event)
_STATUS_VALUES = ", ".join(f"'{status.value}'" for status in DeliveryStatus)


class WebhookSubscription(UUIDPrimaryKey, Timestamps, db.Model):
    """A court or CPS user's subscription of one URL to some events."""

    __tablename__ = "webhook_subscriptions"
    __table_args__ = (CheckConstraint("failures_in_row >= 0", name="failures_not_negative"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    url: Mapped[str] = mapped_column(String(2000), nullable=False)
    # The events, comma-separated in the order of Event.
    events: Mapped[str] = mapped_column(String(120), nullable=False)
    secret = encrypted("secret", purpose="user", client_id_attr=None)
    # Paused by its owner ("owner") or after WEBHOOK_PAUSE_AFTER failures in a row ("failures"): nothing is sent
    # while paused; deliveries wait (and expire after the retry window).
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    pause_reason: Mapped[str | None] = mapped_column(String(16), nullable=True)
    failures_in_row: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    @property
    def event_list(self) -> list[Event]:
        """The subscribed events, in order."""
        return [Event(name) for name in self.events.split(",") if name]

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None


class WebhookDelivery(UUIDPrimaryKey, db.Model):
    """One event for one subscription: the outbox row, and its log. Its id is the delivery's ``id``, the same on
    every retry."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint(f"event IN ({_EVENT_VALUES})", name="event_known"),
        CheckConstraint(f"status IN ({_STATUS_VALUES})", name="status_known"),
        Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_subscription_id_created_at", "subscription_id", "created_at"),
    )

    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"), nullable=False
    )
    event: Mapped[str] = mapped_column(String(32), nullable=False)
    # What the event is about, by id only (no foreign key: a case merged or erased later leaves the log readable,
    # and its delivery is then cancelled rather than sent).
    referral_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    notice_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=DeliveryStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The receiver's HTTP status, and a short code for what went wrong (never the receiver's text).
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(String(32), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

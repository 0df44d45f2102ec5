"""Stored messages, and a partner's choice of notice emails (her quiet hours are in her contact preferences,
diversion/clients/contact.py).

Every message is one row of ``notifications``: plain columns say what it is about, where it is in its delivery and
why it stopped; the recipient, subject and body are encrypted. A message to a client is encrypted under her data key
(so erasing her shreds it); a message to staff or partners under the master-derived user key. Both kinds share the
table (single-table inheritance) so one query lists and one sweep sends them all.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from diversion.crypto.fields import encrypted
from diversion.db import Timestamps, UTCDateTime, UUIDPrimaryKey, refuse_changes, utcnow
from diversion.errors import Conflict
from diversion.extensions import db


class Status(StrEnum):
    """Where a message is. ``sending`` is held only while one process delivers it."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        """The status in words."""
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    Status.QUEUED: _l("Queued"),
    Status.SENDING: _l("Sending"),
    Status.SENT: _l("Sent"),
    Status.DELIVERED: _l("Delivered"),
    Status.FAILED: _l("Failed"),
    Status.CANCELLED: _l("Cancelled"),
}


class Channel(StrEnum):
    """How a message travels."""

    SMS = "sms"
    EMAIL = "email"


class Kind(StrEnum):
    """What a message is for."""

    REMINDER = "reminder"
    DIGEST = "digest"
    NOTICE_EMAIL = "notice_email"


_STATUS_VALUES = ", ".join(f"'{status.value}'" for status in Status)
_CHANNEL_VALUES = ", ".join(f"'{channel.value}'" for channel in Channel)
_KIND_VALUES = ", ".join(f"'{kind.value}'" for kind in Kind)


class Notification(UUIDPrimaryKey, Timestamps, db.Model):
    """One message: to a client (ClientMessage) or to a member of staff or a partner (StaffMessage)."""

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUS_VALUES})", name="status_known"),
        CheckConstraint(f"channel IN ({_CHANNEL_VALUES})", name="channel_known"),
        CheckConstraint(f"kind IN ({_KIND_VALUES})", name="kind_known"),
        CheckConstraint("audience IN ('client', 'staff')", name="audience_known"),
        Index("ix_notifications_status_next_attempt_at", "status", "next_attempt_at"),
    )
    __mapper_args__ = {"polymorphic_on": "audience", "polymorphic_identity": "base"}  # noqa: RUF012

    # Set from the subclass (its polymorphic identity); the default only keeps a bare insert valid.
    audience: Mapped[str] = mapped_column(String(8), nullable=False, default="client")
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default=Kind.REMINDER.value)
    # What makes this message this message: a second sweep inserting the same key finds it already there.
    # Reminders: reminder:<appointment>:<lead time>; digests: digest:<user>:<London date>; notice:<notice>:<user>.
    dedupe_key: Mapped[str] = mapped_column(
        String(120), nullable=False, unique=True, default=lambda: f"message:{uuid.uuid4()}"
    )
    lead: Mapped[str | None] = mapped_column(String(16), nullable=True)
    channel: Mapped[str] = mapped_column(String(8), nullable=False, default=Channel.EMAIL.value)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=Status.QUEUED.value)
    # A short code, never text from a provider (which may quote the address): why it was cancelled or failed.
    reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    provider: Mapped[str | None] = mapped_column(String(16), nullable=True)
    provider_reference: Mapped[str | None] = mapped_column(String(100), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    client_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clients.id"), nullable=True)
    referral_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("referrals.id"), nullable=True, index=True)
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("appointments.id"), nullable=True, index=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    notice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("outcome_notices.id"), nullable=True)
    # A reminder's language (ISO 639-1), and why it is English when she speaks another: "no_catalogue" or
    # "not_approved" (docs/languages.md, "Messages in her language"). None on staff messages.
    language_code: Mapped[str | None] = mapped_column(String(8), nullable=True)
    language_fallback: Mapped[str | None] = mapped_column(String(16), nullable=True)

    # The ciphertext columns; each subclass reads and writes them under its own key.
    _recipient: Mapped[bytes | None] = mapped_column("recipient", LargeBinary, nullable=True)
    _subject: Mapped[bytes | None] = mapped_column("subject", LargeBinary, nullable=True)
    _body: Mapped[bytes | None] = mapped_column("body", LargeBinary, nullable=True)

    @property
    def status_enum(self) -> Status:
        """The status as an enum member."""
        return Status(self.status)


class ClientMessage(Notification):
    """A reminder to a client, encrypted under her data key."""

    __mapper_args__ = {"polymorphic_identity": "client"}  # noqa: RUF012

    recipient = encrypted("recipient", attr="_recipient")
    subject = encrypted("subject", attr="_subject")
    body = encrypted("body", attr="_body")


class StaffMessage(Notification):
    """A digest to a worker or manager, or a notice email to a court or CPS user."""

    # Not hers: a staff message belongs to no client, so it is not mapped with one (and erasure does not look here).
    __mapper_args__ = {"polymorphic_identity": "staff", "exclude_properties": ["client_id"]}  # noqa: RUF012

    recipient = encrypted("recipient", attr="_recipient", purpose="user")
    subject = encrypted("subject", attr="_subject", purpose="user")
    body = encrypted("body", attr="_body", purpose="user")


class PartnerPreference(db.Model):
    """A court or CPS user's choice to be emailed when an outcome notice is made."""

    __tablename__ = "partner_preferences"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    wants_notice_emails: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)


class WordingIsApproved(Conflict):
    """An approved message wording was about to be changed or deleted: it never is; a change is a new version."""

    code = "message_wording_is_approved"


class MessageWording(db.Model):
    """One approved version of her messages in one language for one scheme: the text message, the email's subject
    and the email, each with its ``$day`` and ``$time``. A manager approves it on the scheme's programme screen
    (docs/languages.md, "Messages in her language"); it is never edited afterwards, as consent wordings are not
    (diversion/referrals/models.py): a change is a new row with the next number, and the reminders planned meanwhile
    keep the words they were written in. Plain text, the same for everyone: nothing of hers is in it."""

    __tablename__ = "message_wordings"
    __table_args__ = (
        CheckConstraint("number >= 1", name="number_positive"),
        UniqueConstraint("scheme_id", "language_code", "number", name="uq_message_wordings_scheme_language_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("schemes.id"), nullable=False)
    # ISO 639-1, lower case (diversion/clients/languages.py).
    language_code: Mapped[str] = mapped_column(String(8), nullable=False)
    # 1, 2, 3... per scheme and language, in the order approved.
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    sms_body: Mapped[str] = mapped_column(Text, nullable=False)
    email_subject: Mapped[str] = mapped_column(Text, nullable=False)
    email_body: Mapped[str] = mapped_column(Text, nullable=False)
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    approved_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    @property
    def parts(self) -> dict[str, str]:
        """Each part's wording, by part (diversion/notifications/wording.py, ``PARTS``)."""
        return {"sms_body": self.sms_body, "email_subject": self.email_subject, "email_body": self.email_body}


refuse_changes(
    MessageWording,
    WordingIsApproved,
    edited="An approved message wording cannot be changed: approve a new version instead",
    deleted="An approved message wording cannot be deleted: reminders were written in it",
)

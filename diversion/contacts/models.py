"""The Contact model: one call, text, visit or letter on a case's timeline."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diversion.auth.models import User
from diversion.crypto.fields import encrypted
from diversion.db import UTCDateTime, UUIDPrimaryKey, utcnow
from diversion.extensions import db


class Kind(StrEnum):
    """How the contact was made."""

    CALL = "call"
    TEXT = "text"
    VISIT = "visit"
    AT_COURT = "at_court"
    OUTREACH = "outreach"
    EMAIL = "email"
    LETTER = "letter"

    @property
    def label(self) -> str:
        """The kind as people say it."""
        return KIND_LABELS[self]


KIND_LABELS = {
    Kind.CALL: _l("Phone call"),
    Kind.TEXT: _l("Text message"),
    Kind.VISIT: _l("Visit"),
    Kind.AT_COURT: _l("At court"),
    Kind.OUTREACH: _l("Outreach"),
    Kind.EMAIL: _l("Email"),
    Kind.LETTER: _l("Letter"),
}


class Direction(StrEnum):
    """Who reached whom: ``in`` from her (or someone for her), ``out`` from the service."""

    IN = "in"
    OUT = "out"

    @property
    def label(self) -> str:
        """The direction as people say it."""
        return DIRECTION_LABELS[self]


DIRECTION_LABELS = {Direction.IN: _l("Incoming"), Direction.OUT: _l("Outgoing")}

_KIND_VALUES = ", ".join(f"'{kind.value}'" for kind in Kind)
_DIRECTION_VALUES = ", ".join(f"'{direction.value}'" for direction in Direction)


class Contact(UUIDPrimaryKey, db.Model):
    """One contact on a case. Plain: the case, kind, direction, when, who logged it and when (what reports and the
    filters read). Encrypted under her data key: with whom, and what happened (docs/encryption.md)."""

    __tablename__ = "contacts"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_KIND_VALUES})", name="kind_known"),
        CheckConstraint(f"direction IN ({_DIRECTION_VALUES})", name="direction_known"),
        # The case's timeline, newest first, and its date-range filter.
        Index("ix_contacts_referral_id_contacted_at_id", "referral_id", "contacted_at", "id"),
    )

    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id"), nullable=False)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    direction: Mapped[str] = mapped_column(String(3), nullable=False)
    contacted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    logged_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    logged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    # Who she was in touch with (herself, her probation officer, a hostel): a name that may say where she is.
    with_whom = encrypted("with_whom")
    note = encrypted("note")

    logged_by: Mapped[User] = relationship(foreign_keys=[logged_by_id], lazy="joined")

    @property
    def kind_enum(self) -> Kind:
        """The kind as an enum member."""
        return Kind(self.kind)

    @property
    def direction_enum(self) -> Direction:
        """The direction as an enum member."""
        return Direction(self.direction)

"""Erasure requests: one manager asks, another confirms; the confirmed request is the erasure certificate."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diversion.auth.models import User
from diversion.db import Timestamps, UTCDateTime, UUIDPrimaryKey, utcnow
from diversion.extensions import db


class RequestStatus(StrEnum):
    """Where an erasure request is."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


_STATUS_VALUES = ", ".join(f"'{status.value}'" for status in RequestStatus)


class ErasureRequest(UUIDPrimaryKey, Timestamps, db.Model):
    """A request to erase a client. Holds a reason *code* only: free text about why could describe her."""

    __tablename__ = "erasure_requests"
    __table_args__ = (CheckConstraint(f"status IN ({_STATUS_VALUES})", name="status_known"),)

    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), nullable=False, index=True)
    reason: Mapped[str] = mapped_column(String(32), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=RequestStatus.PENDING.value)
    requested_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Rows of hers kept after the erasure (plain columns only), per table: what the certificate says remains.
    kept_counts: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def is_pending(self) -> bool:
        """True until confirmed or cancelled."""
        return self.status == RequestStatus.PENDING.value

"""The remembered requests: one row per user and key (docs/idempotency.md)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from diversion.crypto.fields import encrypted
from diversion.db import UTCDateTime, UUIDPrimaryKey, utcnow
from diversion.extensions import db

KEY_MAX = 255


def _a_day_from_now() -> datetime:
    return utcnow() + timedelta(hours=24)


class IdempotencyKey(UUIDPrimaryKey, db.Model):
    """A key one user sent with a request: the request's fingerprint (a hash, never the body), and once it has run,
    the first answer's status, Location and body. ``status`` NULL means the request is still running.

    The body can name her, so it is kept only encrypted under her data key (``answer``, ``client_id`` set), so erasing
    her shreds it. An answer about no case keeps no body (docs/idempotency.md)."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("user_id", "key", name="uq_idempotency_keys_user_key"),
        Index("ix_idempotency_keys_expires_at", "expires_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    key: Mapped[str] = mapped_column(String(KEY_MAX), nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    # Her case and her record: the remembered answer is part of what is held about her (her subject access export
    # finds it through these keys) and is encrypted under her data key.
    referral_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"), nullable=True)
    client_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), nullable=True)
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    location: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    content_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    answer = encrypted("answer")
    # The services set both from the configured lifetime; the defaults are the standard 24 hours.
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_a_day_from_now, nullable=False)

    @property
    def in_progress(self) -> bool:
        return self.status is None

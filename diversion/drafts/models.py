"""A draft of one form, by one author (docs/drafts.md)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from diversion.crypto.fields import encrypted
from diversion.db import UTCDateTime, UUIDPrimaryKey, utcnow
from diversion.extensions import db


def _a_week_from_now() -> datetime:
    return utcnow() + timedelta(days=7)


class Draft(UUIDPrimaryKey, db.Model):
    """What one author typed into one form (``kind``) about one record (``target``: the case, appointment or review
    id, or "new" for a new referral), kept until the form is saved, the draft is discarded or it expires.

    ``payload`` (the form's fields as JSON) is encrypted under her data key when the form is about a client
    (``client_id`` set), so erasing her shreds it; a new referral's draft has no client yet and is encrypted under a
    data key of its own, created for it in the key store under the draft's id and destroyed when the draft is used,
    discarded or expires. ``key_owner`` names whichever key it is."""

    __tablename__ = "drafts"
    __table_args__ = (
        UniqueConstraint("author_id", "kind", "target", name="uq_drafts_author_kind_target"),
        Index("ix_drafts_expires_at", "expires_at"),
        Index("ix_drafts_client_id", "client_id"),
    )

    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    target: Mapped[str] = mapped_column(String(36), nullable=False)
    client_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), nullable=True)
    payload = encrypted("payload", client_id_attr="key_owner")
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # The services set it from the configured expiry; the default is the standard 7 days.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_a_week_from_now, nullable=False)

    @property
    def key_owner(self) -> uuid.UUID | None:
        """The id whose data key encrypts the payload: hers, or the draft's own for a new referral."""
        return self.client_id if self.client_id is not None else self.id

    @property
    def has_own_key(self) -> bool:
        return self.client_id is None

"""An alert: one event on a case, for one person who must hear of it at once (docs/alerts.md).

An alert holds codes, ids and times only: what happened (``kind``), on which case, for whom, and when it was raised
and acknowledged. Its words are the kind's, written when it is shown, so nothing of hers is stored in it and nothing
needs encrypting; the case it points at is read through the case's own pages.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diversion.auth.models import User
from diversion.db import UTCDateTime, UUIDPrimaryKey, utcnow
from diversion.extensions import db
from diversion.referrals.models import Referral


class Kind(StrEnum):
    """What happened on the case."""

    SAFEGUARDING_FLAG = "safeguarding_flag"
    HIGH_RISK = "high_risk"
    DID_NOT_ATTEND = "did_not_attend"
    MESSAGE_FAILED = "message_failed"
    POSSIBLE_MATCH = "possible_match"

    @property
    def label(self) -> str:
        """The event in a few words: the alert's title."""
        return str(KIND_LABELS[self])

    @property
    def text(self) -> str:
        """What happened and what to do, in a sentence: nothing of hers beyond the kind of event."""
        return str(KIND_TEXTS[self])


KIND_LABELS = {
    Kind.SAFEGUARDING_FLAG: _l("Safeguarding flag raised"),
    Kind.HIGH_RISK: _l("Risk marked high"),
    Kind.DID_NOT_ATTEND: _l("Did not attend, return date close"),
    Kind.MESSAGE_FAILED: _l("A message to her failed"),
    Kind.POSSIBLE_MATCH: _l("Possible previous referral to resolve"),
}
KIND_TEXTS = {
    Kind.SAFEGUARDING_FLAG: _l("Exploitation indicators were recorded on her needs assessment."),
    Kind.HIGH_RISK: _l(
        "Safety from violence, abuse and exploitation was recorded at high need on her needs assessment."
    ),
    Kind.DID_NOT_ATTEND: _l("She did not attend an appointment, and her return date is 5 working days away or fewer."),
    Kind.MESSAGE_FAILED: _l("A reminder to her could not be sent. Check how to contact her safely."),
    Kind.POSSIBLE_MATCH: _l("A court referred her, and she may be someone referred before. Link her or mark her new."),
}
_KIND_VALUES = ", ".join(f"'{kind.value}'" for kind in Kind)


class Alert(UUIDPrimaryKey, db.Model):
    """One event on a case for one person: her worker, or each of the scheme's managers when she has none. Unread
    until its reader acknowledges it (who and when are kept, and audited)."""

    __tablename__ = "alerts"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_KIND_VALUES})", name="kind_known"),
        # The same event raises one alert for each reader, however often it is sent (a save repeated, a race); its
        # leading column finds whether an event has raised its alerts already.
        UniqueConstraint("event_key", "recipient_id", name="uq_alerts_event_key_recipient_id"),
        # The header's count: one indexed COUNT of her unacknowledged alerts on every page.
        Index("ix_alerts_recipient_id_acknowledged_at", "recipient_id", "acknowledged_at"),
        # Her list, newest first (keyset order).
        Index("ix_alerts_recipient_id_created_at_id", "recipient_id", "created_at", "id"),
    )

    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id"), nullable=False, index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), nullable=False, index=True)
    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    # What makes the event that event: <kind>:<the record it is about>[:<its version>].
    event_key: Mapped[str] = mapped_column(String(120), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acknowledged_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    referral: Mapped[Referral] = relationship()
    recipient: Mapped[User] = relationship(foreign_keys=[recipient_id])
    acknowledged_by: Mapped[User | None] = relationship(foreign_keys=[acknowledged_by_id])

    @property
    def kind_enum(self) -> Kind:
        """The kind as an enum member."""
        return Kind(self.kind)

    @property
    def is_unread(self) -> bool:
        """True until its reader acknowledges it."""
        return self.acknowledged_at is None

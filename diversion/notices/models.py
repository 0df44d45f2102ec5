"""The OutcomeNotice model: plain fields only. Who the notice is about is read from the case when it is shown."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diversion.auth.models import User
from diversion.db import UTCDateTime, UUIDPrimaryKey, utcnow
from diversion.extensions import db
from diversion.referrals.models import Referral


class NoticeOutcome(StrEnum):
    """What the notice says happened (API.md codes)."""

    COMPLETED = "completed"
    NOT_COMPLETED = "not_completed"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        """The outcome in words."""
        return {"completed": "Completed", "not_completed": "Not completed", "withdrawn": "Withdrawn"}[self.value]


class Decision(StrEnum):
    """The CPS's decision on a notice."""

    DISCONTINUED = "discontinued"
    PROCEEDING = "proceeding"

    @property
    def label(self) -> str:
        """The decision in words."""
        return {"discontinued": "Discontinued", "proceeding": "Proceeding"}[self.value]


class OutcomeNotice(UUIDPrimaryKey, db.Model):
    """One notice per case that reached an outcome, made in the same transaction as its final state."""

    __tablename__ = "outcome_notices"
    __table_args__ = (
        CheckConstraint("outcome IN ('completed', 'not_completed', 'withdrawn')", name="outcome_known"),
        CheckConstraint("decision IS NULL OR decision IN ('discontinued', 'proceeding')", name="decision_known"),
    )

    # Unique: a case has one notice, however many times its final state is saved or the sweep runs.
    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id"), nullable=False, unique=True)
    court_id: Mapped[int] = mapped_column(ForeignKey("courts.id"), nullable=False, index=True)
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)
    outcome_date: Mapped[date] = mapped_column(Date, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    acknowledged_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decision: Mapped[str | None] = mapped_column(String(16), nullable=True)
    decided_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    referral: Mapped[Referral] = relationship()
    acknowledged_by: Mapped[User | None] = relationship(foreign_keys=[acknowledged_by_id])

    @property
    def outcome_enum(self) -> NoticeOutcome:
        """The outcome as an enum member."""
        return NoticeOutcome(self.outcome)

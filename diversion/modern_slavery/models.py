"""What was done about the National Referral Mechanism on a case whose assessment shows signs of exploitation: the
outcome and its date are plain (the funder return counts them), the note is encrypted under her data key."""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from diversion.crypto.fields import encrypted
from diversion.db import Timestamps, UUIDPrimaryKey
from diversion.extensions import db


class NrmOutcome(StrEnum):
    """What was done (docs/api.md codes)."""

    NRM_REFERRED = "nrm_referred"
    DUTY_TO_NOTIFY = "duty_to_notify"
    DECLINED = "declined"
    NOT_APPLICABLE = "not_applicable"

    @property
    def label(self) -> str:
        """The outcome as a worker reads it."""
        return OUTCOME_LABELS[self]


OUTCOME_LABELS = {
    NrmOutcome.NRM_REFERRED: _l("Referred to the National Referral Mechanism"),
    NrmOutcome.DUTY_TO_NOTIFY: _l("Duty to Notify made"),
    NrmOutcome.DECLINED: _l("She declined"),
    NrmOutcome.NOT_APPLICABLE: _l("Not applicable"),
}
_OUTCOME_VALUES = ", ".join(f"'{outcome.value}'" for outcome in NrmOutcome)


class NrmDecision(UUIDPrimaryKey, Timestamps, db.Model):
    """The National Referral Mechanism task's outcome on one case: what was done, on which day, by whom, and an
    optional note in the worker's words. One per case; changed in place under an optimistic lock (``version``)."""

    __tablename__ = "nrm_decisions"
    __table_args__ = (CheckConstraint(f"outcome IN ({_OUTCOME_VALUES})", name="outcome_known"),)

    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id"), nullable=False, unique=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), nullable=False, index=True)
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)
    decided_on: Mapped[date] = mapped_column(Date, nullable=False)
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    # Her words, or the worker's about her: encrypted under her data key, shredded with it.
    note = encrypted("note")

    @property
    def outcome_enum(self) -> NrmOutcome:
        """The outcome as an enum member."""
        return NrmOutcome(self.outcome)

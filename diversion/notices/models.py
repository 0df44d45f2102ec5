"""The OutcomeNotice model: plain fields only. Who the notice is about is read from the case when it is shown."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diversion.auth.models import User
from diversion.crypto.fields import encrypted
from diversion.dates import london_date, long_date
from diversion.db import UTCDateTime, UUIDPrimaryKey, utcnow
from diversion.extensions import db
from diversion.referrals.models import Referral


class NoticeOutcome(StrEnum):
    """What the notice says happened (docs/api.md codes)."""

    COMPLETED = "completed"
    NOT_COMPLETED = "not_completed"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        """The outcome in words."""
        return {"completed": _("Completed"), "not_completed": _("Not completed"), "withdrawn": _("Withdrawn")}[
            self.value
        ]


class Decision(StrEnum):
    """The CPS's decision on a notice."""

    DISCONTINUED = "discontinued"
    PROCEEDING = "proceeding"

    @property
    def label(self) -> str:
        """The decision in words."""
        return {"discontinued": _("Discontinued"), "proceeding": _("Proceeding")}[self.value]


class OutcomeNotice(UUIDPrimaryKey, db.Model):
    """A case's outcome, made in the same transaction as its final state; or a correction of one (``corrects_id``),
    made when a manager reverses the decision the earlier notice told of (docs/reversals.md)."""

    __tablename__ = "outcome_notices"
    __table_args__ = (
        CheckConstraint("outcome IN ('completed', 'not_completed', 'withdrawn')", name="outcome_known"),
        CheckConstraint("decision IS NULL OR decision IN ('discontinued', 'proceeding')", name="decision_known"),
        # The lists page newest first by (created_at, id), for everyone and for one court (services.list_notices);
        # the tabs' counts read the two state columns from an index of their own, not the table.
        Index("ix_outcome_notices_created_at_id", "created_at", "id"),
        Index("ix_outcome_notices_court_id_created_at_id", "court_id", "created_at", "id"),
        Index("ix_outcome_notices_superseded_at_acknowledged_at", "superseded_at", "acknowledged_at"),
    )

    # A case has one notice in force (neither superseded nor a correction), however many times its final state is
    # saved or the sweep runs; notices_service.notice_for finds it.
    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id"), nullable=False, index=True)
    court_id: Mapped[int] = mapped_column(ForeignKey("courts.id"), nullable=False)
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)
    outcome_date: Mapped[date] = mapped_column(Date, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    acknowledged_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decision: Mapped[str | None] = mapped_column(String(16), nullable=True)
    decided_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    # A correction: the notice it corrects, and the state the case returned to. A correction keeps the outcome and
    # outcome date of the notice it corrects, so that its sentence can say which notice was sent in error.
    corrects_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("outcome_notices.id"), nullable=True, unique=True)
    returned_to: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # When a correction took this notice's place: it is no longer in force, and the CPS can no longer act on it.
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    # Her record was erased while this notice waited for the CPS (docs/privacy.md, "A pending notice when she is
    # erased"): when, and the erasure's reason code. The URN the CPS needs is copied first, encrypted under a data
    # key of the notice's own (in the key store under the notice's id), which goes when the CPS acknowledges the
    # notice or at kept_until, whichever is first; kept_urn is then NULL.
    subject_erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    subject_erasure_reason: Mapped[str | None] = mapped_column(String(24), nullable=True)
    kept_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    kept_urn = encrypted("kept_urn", client_id_attr="id")

    referral: Mapped[Referral] = relationship()
    corrects: Mapped[OutcomeNotice | None] = relationship(remote_side="OutcomeNotice.id", foreign_keys=[corrects_id])
    acknowledged_by: Mapped[User | None] = relationship(foreign_keys=[acknowledged_by_id])

    @property
    def outcome_enum(self) -> NoticeOutcome:
        """The outcome as an enum member."""
        return NoticeOutcome(self.outcome)

    @property
    def subject_erased(self) -> bool:
        """True when her record was erased while the notice waited for the CPS."""
        return self.subject_erased_at is not None

    @property
    def shown_urn(self) -> Any:
        """The URN to show on the notice: the case's, or for an erased woman the copy kept for the CPS (None once
        it has gone)."""
        if self.subject_erased:
            return self.kept_urn if self.kept_until is not None else None
        return self.referral.urn

    @property
    def erasure_note(self) -> str | None:
        """What a notice says when her record was erased while it waited for the CPS, in English (the API's
        ``erasure_note``); None otherwise. Pages show ``erasure_text``."""
        if not self.subject_erased_at:
            return None
        with force_locale("en"):
            return self.erasure_text

    @property
    def erasure_text(self) -> str | None:
        """``erasure_note`` in the language of the page."""
        if not self.subject_erased_at:
            return None
        erased = long_date(london_date(self.subject_erased_at))
        asked = self.subject_erasure_reason == "erasure_request"
        if self.kept_until is not None:
            until = long_date(london_date(self.kept_until))
            if asked:
                return _(
                    "She asked for her record to be erased on %(erased)s. Her name and date of birth are no longer "
                    "held. The URN, court, outcome and dates are kept so that the CPS can act on this notice, until "
                    "it is acknowledged or until %(until)s, whichever comes first.",
                    erased=erased,
                    until=until,
                )
            return _(
                "Her record was erased on %(erased)s. Her name and date of birth are no longer held. The URN, court, "
                "outcome and dates are kept so that the CPS can act on this notice, until it is acknowledged or "
                "until %(until)s, whichever comes first.",
                erased=erased,
                until=until,
            )
        if asked:
            return _(
                "She asked for her record to be erased on %(erased)s. Her name and date of birth are no longer held. "
                "The details kept for the CPS have been destroyed.",
                erased=erased,
            )
        return _(
            "Her record was erased on %(erased)s. Her name and date of birth are no longer held. The details kept "
            "for the CPS have been destroyed.",
            erased=erased,
        )

    @property
    def is_correction(self) -> bool:
        """True for a notice that corrects an earlier one."""
        return self.corrects_id is not None

"""The Appointment model."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diversion.auth.models import User
from diversion.crypto.fields import encrypted
from diversion.db import Timestamps, UTCDateTime, UUIDPrimaryKey
from diversion.extensions import db
from diversion.venues.models import Venue


class Outcome(StrEnum):
    """What happened at an appointment."""

    ATTENDED = "attended"
    ATTENDED_LATE = "attended_late"
    DID_NOT_ATTEND = "did_not_attend"
    CANCELLED_BY_CLIENT = "cancelled_by_client"
    CANCELLED_BY_SERVICE = "cancelled_by_service"

    @property
    def label(self) -> str:
        """The outcome as people say it."""
        return OUTCOME_LABELS[self]

    @property
    def is_attended(self) -> bool:
        """True when she came, late or not."""
        return self in (Outcome.ATTENDED, Outcome.ATTENDED_LATE)


OUTCOME_LABELS = {
    Outcome.ATTENDED: _l("Attended"),
    Outcome.ATTENDED_LATE: _l("Attended late"),
    Outcome.DID_NOT_ATTEND: _l("Did not attend"),
    Outcome.CANCELLED_BY_CLIENT: _l("Cancelled by client"),
    Outcome.CANCELLED_BY_SERVICE: _l("Cancelled by service"),
}
_OUTCOME_VALUES = ", ".join(f"'{outcome.value}'" for outcome in Outcome)


class Appointment(UUIDPrimaryKey, Timestamps, db.Model):
    """One booked appointment. A rebooking is a new row with the same number that supersedes the old one."""

    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint(f"outcome IS NULL OR outcome IN ({_OUTCOME_VALUES})", name="outcome_known"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint("duration_minutes BETWEEN 5 AND 480", name="duration_sensible"),
    )

    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id"), nullable=False, index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), nullable=False)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    duration_minutes: Mapped[int] = mapped_column(Integer, nullable=False, default=60)
    # One of the agency's venues; with none, the place is ``elsewhere`` (encrypted) or not given.
    venue_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("venues.id"), nullable=True, index=True)
    # The free-text place of bookings made before venues existed, in plaintext: a worker may have typed where she
    # is staying. `flask --app wsgi appointments migrate-locations` moves each into ``elsewhere`` and empties this
    # column; nothing writes it any more, and a later migration drops it (docs/encryption.md, "Appointment places").
    legacy_location: Mapped[str | None] = mapped_column("location", String(120), nullable=True)
    worker_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    outcome: Mapped[str | None] = mapped_column(String(32), nullable=True)
    outcome_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    outcome_recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    # Indexed: "is this booking superseded?" is asked of every case's next appointment on the caseload.
    supersedes_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("appointments.id"), nullable=True, index=True)
    # Why it was rebooked, or why a warning (weekend, bank holiday, clash) was overridden. Short codes and
    # sentences about scheduling, not about her; still kept out of logs.
    rebook_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    override_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    booked_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    notes = encrypted("notes")
    # "Somewhere else": a place not on the venue list, typed by the worker. It may be where she is staying, so it is
    # encrypted under her data key and shown only to support staff (docs/encryption.md).
    elsewhere = encrypted("elsewhere")

    worker: Mapped[User | None] = relationship(foreign_keys=[worker_id], lazy="joined")
    venue: Mapped[Venue | None] = relationship(lazy="joined")

    @property
    def place(self) -> str:
        """Where it is, as support staff see it: the venue's name and address, or the "somewhere else" text (or an
        old plaintext place not yet migrated); empty when no place was given."""
        if self.venue is not None:
            return self.venue.label
        return self.elsewhere or self.legacy_location or ""

    @property
    def ends_at(self) -> datetime:
        """When it ends."""
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def outcome_enum(self) -> Outcome | None:
        """The outcome as an enum member, or None while there is none."""
        return Outcome(self.outcome) if self.outcome else None

"""The Referral (a case), its consent ledger and the register of consent wordings."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diversion.auth.models import User
from diversion.clients.models import Client
from diversion.courts.models import Court
from diversion.crypto.fields import encrypted
from diversion.dates import from_london, london_date
from diversion.db import Timestamps, UTCDateTime, UUIDPrimaryKey, refuse_changes, utcnow
from diversion.errors import Conflict
from diversion.extensions import db
from diversion.organisations.models import ProgrammeVersion, Scheme


class State(StrEnum):
    """Where a case is; see docs/design.md section 3."""

    REFERRED = "REFERRED"
    DECLINED = "DECLINED"
    OPTED_IN = "OPTED_IN"
    ASSESSED = "ASSESSED"
    COMPLETED = "COMPLETED"
    NOT_COMPLETED = "NOT_COMPLETED"
    WITHDRAWN = "WITHDRAWN"

    @property
    def label(self) -> str:
        """The state as people say it."""
        return str(STATE_LABELS[self])

    @property
    def is_final(self) -> bool:
        """True for a state no case leaves."""
        return self in FINAL_STATES


STATE_LABELS = {
    State.REFERRED: _l("Referred"),
    State.DECLINED: _l("Declined"),
    State.OPTED_IN: _l("Opted in"),
    State.ASSESSED: _l("Assessed"),
    State.COMPLETED: _l("Completed"),
    State.NOT_COMPLETED: _l("Not completed"),
    State.WITHDRAWN: _l("Withdrawn"),
}
OPEN_STATES = frozenset({State.REFERRED, State.OPTED_IN, State.ASSESSED})
FINAL_STATES = frozenset({State.DECLINED, State.COMPLETED, State.NOT_COMPLETED, State.WITHDRAWN})
_STATE_VALUES = ", ".join(f"'{state.value}'" for state in State)
_OPEN_VALUES = ", ".join(f"'{state.value}'" for state in sorted(OPEN_STATES))


class ConsentPurpose(StrEnum):
    """What she agrees to, one ledger line each."""

    SUPPORT = "support"
    SHARE_WITH_COURT_CPS = "share_with_court_cps"
    REMINDERS = "reminders"
    EQUALITY_MONITORING = "equality_monitoring"

    @property
    def label(self) -> str:
        """The purpose as it is explained to her."""
        return str(CONSENT_LABELS[self])


def in_a_sentence(label: str) -> str:
    """A label after a colon mid-sentence: its first letter lower case, and the rest (the CPS, a GP) left alone."""
    return label[:1].lower() + label[1:]


CONSENT_LABELS = {
    ConsentPurpose.SUPPORT: _l("Support from the diversion scheme"),
    ConsentPurpose.SHARE_WITH_COURT_CPS: _l("Sharing attendance and outcome with the court and the CPS"),
    ConsentPurpose.REMINDERS: _l("Appointment reminders by text or email"),
    ConsentPurpose.EQUALITY_MONITORING: _l("Equality monitoring"),
}
_PURPOSE_VALUES = ", ".join(f"'{purpose.value}'" for purpose in ConsentPurpose)


class Referral(UUIDPrimaryKey, Timestamps, db.Model):
    """A case: one referral of one client from one court, from referral to a final state."""

    __tablename__ = "referrals"
    __table_args__ = (
        CheckConstraint(f"state IN ({_STATE_VALUES})", name="state_known"),
        CheckConstraint("return_date > first_hearing_date", name="return_after_first_hearing"),
        # One open case per URN in an organisation: the blind index is unique among its open cases. Another
        # organisation's case is none of its business, so the check must not tell it one exists.
        Index(
            "uq_referrals_open_urn",
            "organisation_id",
            "urn_index",
            unique=True,
            sqlite_where=text(f"state IN ({_OPEN_VALUES})"),
            postgresql_where=text(f"state IN ({_OPEN_VALUES})"),
        ),
        # The lists page newest first by (created_at, id) (referrals.queries.list_cases): each index below serves
        # that order after its filter's equality, so a page reads its own rows from the index and stops, whatever
        # the number of cases; unfiltered, for one court, for one state (docs/benchmarks.md, "Indexes for the
        # pages").
        Index("ix_referrals_created_at_id", "created_at", "id"),
        Index("ix_referrals_court_id_created_at_id", "court_id", "created_at", "id"),
        Index("ix_referrals_state_created_at_id", "state", "created_at", "id"),
        Index("ix_referrals_return_date_created_at_id", "return_date", "created_at", "id"),
        # The court-day list of one court (queries.court_day), and a worker's open cases (the caseload's "My cases",
        # its count and its tab label): her history of closed cases is never read for them.
        Index("ix_referrals_court_id_return_date", "court_id", "return_date"),
        Index("ix_referrals_assigned_worker_id_state", "assigned_worker_id", "state"),
        # A scheme's cases newest first: the lists of its workers and managers (diversion/scoping.py).
        Index("ix_referrals_scheme_id_created_at_id", "scheme_id", "created_at", "id"),
        Index("ix_referrals_organisation_id_created_at_id", "organisation_id", "created_at", "id"),
    )

    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), nullable=False, index=True)
    court_id: Mapped[int] = mapped_column(ForeignKey("courts.id"), nullable=False)
    # The organisation and scheme that hold the case (the organisation is the scheme's, kept here so that every
    # query can be scoped by it without a join), and the programme version it started under: its completion is
    # computed from that version whatever the scheme's programme says later (docs/organisations.md).
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), nullable=False)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("schemes.id"), nullable=False)
    programme_version_id: Mapped[int] = mapped_column(ForeignKey("programme_versions.id"), nullable=False)
    offence_code: Mapped[str] = mapped_column(String(32), nullable=False)
    first_hearing_date: Mapped[date] = mapped_column(Date, nullable=False)
    return_date: Mapped[date] = mapped_column(Date, nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default=State.REFERRED.value)
    assigned_worker_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    referred_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    referred_on: Mapped[date] = mapped_column(Date, nullable=False)
    consent_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    outcome_date: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    final_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    has_safeguarding_flag: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # A court's referral whose family name and date of birth match an earlier client: a support worker decides on
    # the worklist whether she is that woman (docs/api.md, "Someone referred before").
    possible_previous_referral: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), nullable=False, index=True
    )
    # Optimistic lock: a save names the version it read; a stale one is refused with 409.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    urn_index: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False, index=True)

    urn = encrypted("urn")
    notes = encrypted("notes")
    consent_scope = encrypted("consent_scope")
    # Why she withdrew, in the worker's words: free text about her, so encrypted.
    withdrawal_reason = encrypted("withdrawal_reason")
    # Why a manager reversed the decline or withdrawal (docs/reversals.md): free text about her, so encrypted.
    reversal_reason = encrypted("reversal_reason")

    client: Mapped[Client] = relationship(lazy="joined", innerjoin=True)
    court: Mapped[Court] = relationship(lazy="joined", innerjoin=True)
    scheme: Mapped[Scheme] = relationship(lazy="joined", innerjoin=True)
    programme_version: Mapped[ProgrammeVersion] = relationship()
    assigned_worker: Mapped[User | None] = relationship(foreign_keys=[assigned_worker_id])

    @property
    def state_enum(self) -> State:
        """The state as an enum member."""
        return State(self.state)

    @property
    def is_open(self) -> bool:
        """True until a final state."""
        return self.state_enum in OPEN_STATES


class WordingIsFixed(Conflict):
    """A published consent wording was about to be changed or deleted: it never is (docs/privacy.md)."""

    code = "wording_is_fixed"


class ConsentWording(db.Model):
    """One version of the words she is read for one purpose in one scheme, published by a manager (with a version
    of the scheme's programme) and never edited afterwards: ledger lines point at the version she was shown, so
    changing its text would change what she agreed to. A new wording is a new row with the next number; which
    wording a case reads her is named by the case's programme version (diversion/referrals/programme.py). Plain
    text, the same for everyone: nothing of hers is in it."""

    __tablename__ = "consent_wordings"
    __table_args__ = (
        CheckConstraint(f"purpose IN ({_PURPOSE_VALUES})", name="purpose_known"),
        CheckConstraint("number >= 1", name="number_positive"),
        UniqueConstraint("scheme_id", "purpose", "number", name="uq_consent_wordings_scheme_purpose_number"),
        UniqueConstraint("scheme_id", "purpose", "version", name="uq_consent_wordings_scheme_purpose_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Each scheme keeps its own register: its programme's versions name wordings of this scheme only.
    scheme_id: Mapped[int] = mapped_column(ForeignKey("schemes.id"), nullable=False)
    purpose: Mapped[str] = mapped_column(String(32), nullable=False)
    # 1, 2, 3... per scheme and purpose, in the order published.
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    # The name people and API clients use: the year published and the number ("2026-1", "2027-2").
    version: Mapped[str] = mapped_column(String(32), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    published_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])

    @property
    def purpose_enum(self) -> ConsentPurpose:
        """The purpose as an enum member."""
        return ConsentPurpose(self.purpose)


refuse_changes(
    ConsentWording,
    WordingIsFixed,
    edited="A published consent wording cannot be changed: publish a new version instead",
    deleted="A published consent wording cannot be deleted: ledger lines point at it",
)


class Consent(db.Model):
    """One line of the consent ledger: a purpose given or refused, when, on which wording, by whom; and withdrawal."""

    __tablename__ = "consents"
    __table_args__ = (CheckConstraint(f"purpose IN ({_PURPOSE_VALUES})", name="purpose_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id"), nullable=False, index=True)
    purpose: Mapped[str] = mapped_column(String(32), nullable=False)
    is_given: Mapped[bool] = mapped_column(Boolean, nullable=False)
    # The exact words she was read (docs/privacy.md, "Consent"): a version of the register, never edited.
    wording_id: Mapped[int] = mapped_column(ForeignKey("consent_wordings.id"), nullable=False, index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    withdrawn_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    withdrawn_by: Mapped[User | None] = relationship(foreign_keys=[withdrawn_by_id])
    wording: Mapped[ConsentWording] = relationship(lazy="joined", innerjoin=True)

    @property
    def wording_version(self) -> str:
        """The version name of the words she was read (the API's ``wording_version``)."""
        return self.wording.version

    @property
    def is_current(self) -> bool:
        """Given and not withdrawn."""
        return self.is_given and self.withdrawn_at is None


class ReturnDateChange(UUIDPrimaryKey, db.Model):
    """A re-adjournment: the court moved the return date. The reason is the worker's words, so encrypted."""

    __tablename__ = "return_date_changes"

    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id"), nullable=False, index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), nullable=False)
    from_date: Mapped[date] = mapped_column(Date, nullable=False)
    to_date: Mapped[date] = mapped_column(Date, nullable=False)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    changed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    reason = encrypted("reason")


def end_of_day(moment: datetime) -> datetime:
    """When a grant made at ``moment`` ends: midnight at the end of that day in London."""
    return from_london(london_date(moment) + timedelta(days=1), time.min)


def _end_of_today() -> datetime:
    return end_of_day(utcnow())


class CaseAccessGrant(UUIDPrimaryKey, db.Model):
    """A support worker's reason for opening a colleague's case in a scheme with the ``assigned`` access rule
    (docs/organisations.md, "Need to know"): who, which case, when, until when (the end of that day in London), and
    why. The reason is her own words about the case, so it is encrypted under the client's data key, and goes with
    her when she is erased; the audit log holds only the grant's id."""

    __tablename__ = "case_access_grants"
    __table_args__ = (
        # Whether she holds a grant for this case now (every page of the case she opens through one).
        Index("ix_case_access_grants_user_id_referral_id_expires_at", "user_id", "referral_id", "expires_at"),
        # The managers' list and digest, newest first (keyset order).
        Index("ix_case_access_grants_created_at_id", "created_at", "id"),
    )

    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id"), nullable=False, index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), nullable=False, index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_end_of_today, nullable=False)

    reason = encrypted("reason")

    referral: Mapped[Referral] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])

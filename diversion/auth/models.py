"""Users, their sessions, recovery codes and API tokens."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, ColumnElement, ForeignKey, Integer, String, and_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diversion.courts.models import Court
from diversion.crypto.fields import encrypted
from diversion.db import Timestamps, UTCDateTime, UUIDPrimaryKey, utcnow
from diversion.extensions import db
from diversion.organisations.models import Organisation, Scheme, cps_courts, user_schemes


class Role(StrEnum):
    """What a user may do; see docs/design.md section 2."""

    WORKER = "worker"
    MANAGER = "manager"
    COURT = "court"
    CPS = "cps"
    ADMIN = "admin"
    # Runs the service for every organisation: creates organisations and their first administrator, and reads
    # nothing of any case (docs/organisations.md).
    OPERATOR = "operator"

    @property
    def label(self) -> str:
        """The role's name as people say it."""
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.WORKER: _l("Support worker"),
    Role.MANAGER: _l("Service manager"),
    Role.COURT: _l("Court staff"),
    Role.CPS: _l("CPS"),
    Role.ADMIN: _l("Administrator"),
    Role.OPERATOR: _l("Platform operator"),
}

_ROLE_VALUES = ", ".join(f"'{role.value}'" for role in Role)

# The longest display name kept (the column's length).
DISPLAY_NAME_MAX = 100


class User(UUIDPrimaryKey, Timestamps, db.Model):
    """A person who signs in. Court users belong to exactly one court; nobody else has a court."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN ({_ROLE_VALUES})", name="role_known"),
        CheckConstraint("(role = 'court') = (court_id IS NOT NULL)", name="court_users_have_a_court"),
        # Support workers, managers and administrators belong to an organisation; court, CPS and the platform
        # operator do not (a court's users see its referrals whichever scheme holds them).
        CheckConstraint(
            "(role IN ('worker', 'manager', 'admin')) = (organisation_id IS NOT NULL)",
            name="staff_have_an_organisation",
        ),
    )

    email: Mapped[str] = mapped_column(String(254), unique=True, nullable=False)
    # The name shown wherever the person is named (case pages, lists, history, choices); the email is shown only on
    # account pages. A staff member's own name, not client data: kept in clear. See docs/people.md.
    display_name: Mapped[str] = mapped_column(String(DISPLAY_NAME_MAX), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    court_id: Mapped[int | None] = mapped_column(ForeignKey("courts.id"), nullable=True, index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), nullable=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    # The language they read the service in, chosen on their account ("en" or "cy"); none: their court's default,
    # else English (docs/languages.md, "The service in Welsh").
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    # Encrypted under a key derived from the master key for user secrets (users are not clients).
    totp_secret = encrypted("totp_secret", purpose="user")
    totp_enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The last accepted TOTP time step: a code from this step or earlier is a replay.
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    is_disabled: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    failed_login_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    first_failed_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Set when an administrator creates, re-enables or changes the role of an account that reads client data (support
    # worker, manager, court staff, CPS), or resets its password or its authenticator: until a manager confirms it,
    # the account signs in but opens nothing (no page, API call, export or email with her data), so that an
    # administrator cannot make themselves a way into the records (separation of duties, docs/people.md). Why:
    # CONFIRMATION_REASONS in diversion/admin/services.py.
    confirmation_needed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    confirmation_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # The administrator who made the change: that person may not confirm it, whatever account they use later.
    confirmation_asked_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    court: Mapped[Court | None] = relationship(lazy="joined")
    organisation: Mapped[Organisation | None] = relationship()
    # A worker's or manager's schemes, and the courts a CPS user covers (docs/organisations.md).
    schemes: Mapped[list[Scheme]] = relationship(secondary=user_schemes, order_by=Scheme.name)
    cps_courts: Mapped[list[Court]] = relationship(secondary=cps_courts, order_by=Court.name)

    @classmethod
    def may_be_sent_mail(cls) -> ColumnElement[bool]:
        """SQL: the accounts emails may go to: not disabled, and not waiting for a manager to confirm an
        administrator's change (such an account opens nothing, its emails included: docs/people.md)."""
        return and_(cls.is_disabled.is_(False), cls.confirmation_needed_at.is_(None))

    @property
    def awaiting_confirmation(self) -> bool:
        """True while a manager has still to confirm an administrator's change to this account."""
        return self.confirmation_needed_at is not None

    # Flask-Login protocol. Sessions are checked against user_sessions on every request (see auth.sessions).
    @property
    def is_active(self) -> bool:
        return not self.is_disabled

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def role_enum(self) -> Role:
        """The role as an enum member."""
        return Role(self.role)

    @property
    def has_totp(self) -> bool:
        """True once the user has confirmed an authenticator."""
        return self.totp_enrolled_at is not None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class UserSession(db.Model):
    """A signed-in session, held on the server so that logout and disabling end it everywhere."""

    __tablename__ = "user_sessions"

    # SHA-256 of the random token in the session cookie: a copy of this table cannot be replayed as cookies.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)


class RecoveryCode(db.Model):
    """A single-use recovery code for a lost authenticator, stored hashed."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ApiToken(UUIDPrimaryKey, db.Model):
    """A bearer token for the JSON API, acting with its user's role and court. Only its hash is kept."""

    __tablename__ = "api_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    # The first characters, shown in lists so a person can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(12), nullable=False)
    # What the user called it (the system that uses it), so they can tell their tokens apart; blank for old tokens.
    name: Mapped[str] = mapped_column(String(60), nullable=False, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    user: Mapped[User] = relationship(lazy="joined")

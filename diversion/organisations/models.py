"""Organisations, schemes, the courts a scheme serves, who belongs to which scheme, the courts a CPS user covers,
and the programme versions of each scheme (docs/organisations.md).

Nothing here is about a client: names and slugs describe charities, schemes and courts, so they are plain.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diversion.courts.models import Court
from diversion.db import Timestamps, UTCDateTime, utcnow
from diversion.errors import Conflict
from diversion.extensions import db


class Access(StrEnum):
    """Who inside a scheme opens a case (docs/organisations.md, "Need to know")."""

    # Every worker of the scheme opens every case of the scheme.
    TEAM = "team"
    # A worker opens her own cases and unassigned ones; a colleague's case asks for a reason, audited.
    ASSIGNED = "assigned"

    @property
    def label(self) -> str:
        """The setting as a manager reads it (in the reader's language)."""
        return str(ACCESS_LABELS[self])


ACCESS_LABELS = {
    Access.TEAM: _l("Team: every support worker of the scheme opens every case of the scheme"),
    Access.ASSIGNED: _l(
        "Assigned: a support worker opens her own cases and unassigned ones; a colleague's case asks why"
    ),
}
_ACCESS_VALUES = ", ".join(f"'{value.value}'" for value in Access)

# Slugs name organisations and schemes on the command line and in addresses: lower case letters, digits, hyphens.
SLUG_MAX = 40

scheme_courts = Table(
    "scheme_courts",
    db.metadata,
    Column("scheme_id", ForeignKey("schemes.id"), primary_key=True),
    Column("court_id", ForeignKey("courts.id"), primary_key=True, index=True),
)

# Support workers and managers belong to one or more schemes of their organisation.
user_schemes = Table(
    "user_schemes",
    db.metadata,
    Column("user_id", ForeignKey("users.id"), primary_key=True),
    Column("scheme_id", ForeignKey("schemes.id"), primary_key=True, index=True),
)

# The courts a CPS user covers: she sees those courts' referrals, whichever scheme holds them.
cps_courts = Table(
    "cps_courts",
    db.metadata,
    Column("user_id", ForeignKey("users.id"), primary_key=True),
    Column("court_id", ForeignKey("courts.id"), primary_key=True, index=True),
)


class Organisation(Timestamps, db.Model):
    """A charity on the service. Everything of its clients stays inside it."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(SLUG_MAX), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    # Random bytes that key this organisation's blind indexes (name and date of birth): equal values in two
    # organisations do not match. None for the organisation the first edition's data was moved into, whose indexes
    # were made with the service's key itself (docs/organisations.md, "Blind indexes").
    index_salt: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)
    # A first responder organisation may refer to the National Referral Mechanism itself and makes the Duty to Notify
    # where she does not consent (docs/modern-slavery.md); set by its administrator.
    is_first_responder: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)

    schemes: Mapped[list[Scheme]] = relationship(back_populates="organisation", order_by="Scheme.name")

    def __repr__(self) -> str:
        return f"<Organisation {self.slug}>"


class Scheme(Timestamps, db.Model):
    """One scheme of an organisation: the courts it serves, its programme and its access rule."""

    __tablename__ = "schemes"
    __table_args__ = (
        UniqueConstraint("organisation_id", "slug", name="uq_schemes_organisation_slug"),
        CheckConstraint(f"access IN ({_ACCESS_VALUES})", name="access_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), nullable=False, index=True)
    slug: Mapped[str] = mapped_column(String(SLUG_MAX), nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    access: Mapped[str] = mapped_column(String(16), nullable=False, default=Access.TEAM.value)

    organisation: Mapped[Organisation] = relationship(back_populates="schemes", lazy="joined", innerjoin=True)
    courts: Mapped[list[Court]] = relationship(secondary=scheme_courts, order_by=Court.name)

    @property
    def access_enum(self) -> Access:
        """The access rule as an enum member."""
        return Access(self.access)

    def __repr__(self) -> str:
        return f"<Scheme {self.slug}>"


class ProgrammeIsFixed(Conflict):
    """A programme version was about to be changed: a change is a new version, so cases keep theirs."""

    code = "programme_is_fixed"


class ProgrammeVersion(db.Model):
    """One version of a scheme's programme, never edited: a case points at the version it started under, and its
    completion is computed from it (diversion/referrals/programme.py). The settings are JSON."""

    __tablename__ = "programme_versions"
    __table_args__ = (
        UniqueConstraint("scheme_id", "number", name="uq_programme_versions_scheme_number"),
        CheckConstraint("number >= 1", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("schemes.id"), nullable=False)
    # 1, 2, 3... per scheme; the scheme's current programme is its highest number.
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    settings_json: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    scheme: Mapped[Scheme] = relationship(lazy="joined", innerjoin=True)

    @property
    def settings(self) -> dict[str, Any]:
        """The settings as a dict."""
        value: dict[str, Any] = json.loads(self.settings_json)
        return value


@event.listens_for(ProgrammeVersion, "before_update")
def _refuse_programme_edit(mapper: Any, connection: Any, target: ProgrammeVersion) -> None:
    raise ProgrammeIsFixed("A programme version cannot be changed: save a new version instead")


@event.listens_for(ProgrammeVersion, "before_delete")
def _refuse_programme_delete(mapper: Any, connection: Any, target: ProgrammeVersion) -> None:
    raise ProgrammeIsFixed("A programme version cannot be deleted: cases point at it")

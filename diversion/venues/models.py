"""The Venue model."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from diversion.db import Timestamps, UUIDPrimaryKey
from diversion.extensions import db


class Venue(UUIDPrimaryKey, Timestamps, db.Model):
    """One of the agency's own places (a drop-in centre, an office). Its name and address are plain: they describe
    the agency, not her. A venue once used is retired, never deleted, so old appointments still say where they were."""

    __tablename__ = "venues"
    __table_args__ = (UniqueConstraint("organisation_id", "name", name="uq_venues_organisation_name"),)

    # The organisation whose place it is: each organisation keeps its own list.
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    address: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)

    @property
    def label(self) -> str:
        """The name and address on one line, as pages, invites and exports show it."""
        return f"{self.name}, {self.address}" if self.address else self.name

    def __repr__(self) -> str:
        return f"<Venue {self.id}>"

"""The Court model."""

from __future__ import annotations

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from diversion.db import Timestamps
from diversion.extensions import db


class Court(Timestamps, db.Model):
    """A magistrates' court that refers defendants to the scheme."""

    __tablename__ = "courts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    # The language its staff read the service in unless they choose one on their account: "en" or "cy" (a court in
    # Wales may default its users to Welsh; docs/languages.md, "The service in Welsh").
    default_language: Mapped[str] = mapped_column(String(8), default="en", server_default="en", nullable=False)

    def __repr__(self) -> str:
        return f"<Court {self.code}>"

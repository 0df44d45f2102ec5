"""The Client model. Identity and contact details are encrypted under her own data key."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, false
from sqlalchemy.orm import Mapped, mapped_column

from diversion.crypto.fields import encrypted
from diversion.db import Timestamps, UTCDateTime, UUIDPrimaryKey
from diversion.extensions import db


class Client(UUIDPrimaryKey, Timestamps, db.Model):
    """A woman referred to the scheme. Plain columns hold only what reports count."""

    __tablename__ = "clients"
    # Search by name and date of birth looks in her organisation's bucket (docs/organisations.md, "Blind indexes").
    __table_args__ = (Index("ix_clients_organisation_id_name_dob_index", "organisation_id", "name_dob_index"),)

    # The organisation whose client she is: nothing of her is seen by another (docs/organisations.md).
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), nullable=False)
    # Five-year band of the year of birth (1990 means 1990-1994), for age bands in reports without the date.
    birth_year_band: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Equality monitoring codes, kept only with her consent to equality monitoring.
    ethnicity_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # Her preferred language and whether she needs an interpreter, and for which language: ISO 639-1 codes, plain
    # because reports count them (docs/languages.md). None: not asked yet.
    language_code: Mapped[str | None] = mapped_column(String(8), nullable=True)
    is_interpreter_needed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    interpreter_language_code: Mapped[str | None] = mapped_column(String(8), nullable=True)
    # Truncated HMAC of family name + date of birth: equal values share a bucket with a few others.
    name_dob_index: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # A legal hold (litigation, an inquiry, a safeguarding review) pauses retention: her record is not erased by it.
    has_legal_hold: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    # Set when this record was merged into another record of the same woman (docs/merging.md): its rows now belong
    # to that client, its data key is destroyed and it is marked erased.
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clients.id"), nullable=True)

    given_name = encrypted("given_name", client_id_attr=None)
    family_name = encrypted("family_name", client_id_attr=None)
    aliases = encrypted("aliases", client_id_attr=None)
    date_of_birth = encrypted("date_of_birth", client_id_attr=None, kind="date")
    phone = encrypted("phone", client_id_attr=None)
    email = encrypted("email", client_id_attr=None)
    address = encrypted("address", client_id_attr=None)
    # JSON: may we text, leave voicemail, email; her quiet hours; a note for her worker (clients.contact.SafeContact,
    # docs/notifications.md "Contact preferences").
    safe_contact = encrypted("safe_contact", client_id_attr=None)
    gp = encrypted("gp", client_id_attr=None)
    # What help she needs with reading (letters, forms, the plan): free text about her (docs/languages.md).
    reading_help = encrypted("reading_help", client_id_attr=None)

    @property
    def is_erased(self) -> bool:
        """True once her data key has been destroyed."""
        return self.erased_at is not None

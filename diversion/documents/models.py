"""The Document model: a file on a case, its title and bytes encrypted under her data key."""

from __future__ import annotations

import uuid
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diversion.auth.models import User
from diversion.crypto.fields import encrypted, is_unreadable
from diversion.db import UTCDateTime, UUIDPrimaryKey, utcnow
from diversion.extensions import db

# The types a document may be, by the content type it is sent with, and the extension of its download's name.
CONTENT_TYPES = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
}
TYPE_LABELS = {
    "application/pdf": _l("PDF"),
    "image/jpeg": _l("JPEG image"),
    "image/png": _l("PNG image"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": _l("Word document"),
}
CONTENT_TYPE_VALUES = ", ".join(f"'{value}'" for value in CONTENT_TYPES)


class Document(UUIDPrimaryKey, db.Model):
    """A file on her case. Plain: which case, its type (found from its content), its size, and who uploaded it when
    (what a report or a list may show); encrypted: its title and the file itself."""

    __tablename__ = "documents"
    __table_args__ = (
        CheckConstraint(f"content_type IN ({CONTENT_TYPE_VALUES})", name="content_type_known"),
        CheckConstraint("size_bytes > 0", name="size_positive"),
        Index("ix_documents_referral_uploaded", "referral_id", "uploaded_at"),
    )

    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id"), nullable=False)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), nullable=False)
    content_type: Mapped[str] = mapped_column(String(80), nullable=False)
    size_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    uploaded_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)

    uploaded_by: Mapped[User] = relationship(foreign_keys=[uploaded_by_id])

    title = encrypted("title")
    # Deferred: a list of her documents reads their titles, never their bytes.
    file = encrypted("file", kind="bytes", deferred=True)

    @property
    def is_readable(self) -> bool:
        """False once her record is erased (or the title is damaged): nothing of it can be handed out."""
        return not is_unreadable(self.title)

    @property
    def extension(self) -> str:
        """The file name extension of its type."""
        return CONTENT_TYPES[self.content_type]

    @property
    def type_label(self) -> str:
        """Its type as people say it."""
        return TYPE_LABELS[self.content_type]

    def __repr__(self) -> str:
        return f"<Document {self.id}>"

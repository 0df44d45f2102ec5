"""Uploading a document to her case, listing a case's documents and reading one back.

A file is taken only when its content says it is a PDF, a JPEG, a PNG or a Word document (diversion/documents/
detection.py), of 10 MB at most, with a title. It is read whole into memory and stored encrypted under her data key,
with its title: nothing of it is written anywhere in plaintext, not even to a temporary file (the request keeps
uploads in memory: diversion/request_limits.py). A refused upload stores nothing. Reads are audited by the case
loader, as every read of a case is (diversion/audit/reads.py).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from diversion.audit.services import record_event
from diversion.auth.models import User
from diversion.crypto.fields import is_unreadable
from diversion.db import transaction, utcnow
from diversion.documents.detection import detect_type
from diversion.documents.models import Document
from diversion.errors import InvalidTransition, NotFound, ValidationFailed
from diversion.extensions import db
from diversion.i18n import N_
from diversion.referrals.models import Referral

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_TITLE = 200


# English here (the API's words); ``_`` reads each in the reader's language where it is shown.
NO_FILE = N_("Select a file")
EMPTY_FILE = N_("The selected file is empty")
WRONG_TYPE = N_("The file must be a PDF, JPEG, PNG or Word document")
TOO_LARGE = N_("The file must be 10 MB or smaller")
NO_TITLE = N_("Enter a title for the document")
BAD_TITLE = N_("The title must be one line of text")
ERASED = N_("Her record was erased: no document can be added to it")
UNAVAILABLE = N_("This document can no longer be read: her record was erased")


class Unavailable(NotFound):
    """A document whose bytes cannot be decrypted (her record erased): nothing to hand out (404)."""


_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


class FileLike(Protocol):
    """An uploaded file part (werkzeug's FileStorage): its name as sent and its bytes."""

    filename: str | None

    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class Upload:
    """What was sent as the file: whether a file was chosen at all, and its bytes (at most one past the limit)."""

    chosen: bool
    data: bytes


def read_upload(part: FileLike | None) -> Upload:
    """The sent file's bytes, read from memory up to one byte past the limit, so a larger file is known as such."""
    if part is None:
        return Upload(chosen=False, data=b"")
    data = part.read(MAX_FILE_BYTES + 1)
    # A form sent with no file chosen has a part with no name and no bytes.
    return Upload(chosen=bool(part.filename) or bool(data), data=data)


def check_upload(title: str | None, upload: Upload) -> tuple[str, str]:
    """The title, trimmed, and the file's content type; else ValidationFailed naming each field at fault."""
    problems: dict[str, str] = {}
    content_type = None
    if not upload.chosen:
        problems["file"] = _(NO_FILE)
    elif not upload.data:
        problems["file"] = _(EMPTY_FILE)
    elif len(upload.data) > MAX_FILE_BYTES:
        problems["file"] = _(TOO_LARGE)
    else:
        content_type = detect_type(upload.data)
        if content_type is None:
            problems["file"] = _(WRONG_TYPE)
    text = (title or "").strip()
    if not text:
        problems["title"] = _(NO_TITLE)
    elif len(text) > MAX_TITLE:
        problems["title"] = _("The title must be %(max)s characters or fewer", max=MAX_TITLE)
    elif _CONTROL.search(text):
        problems["title"] = _(BAD_TITLE)
    if problems or content_type is None:
        raise ValidationFailed(next(iter(problems.values())), problems)
    return text, content_type


def upload_document(referral: Referral, title: str | None, upload: Upload, actor: User) -> Document:
    """Store a file on her case, encrypted under her data key, with its title; audited (ids, type code and size)."""
    text, content_type = check_upload(title, upload)
    if referral.client.is_erased:
        raise InvalidTransition(_(ERASED))
    with transaction():
        document = Document(
            id=uuid.uuid4(),
            client_id=referral.client_id,
            referral_id=referral.id,
            content_type=content_type,
            size_bytes=len(upload.data),
            uploaded_at=utcnow(),
            uploaded_by_id=actor.id,
        )
        document.title = text
        document.file = upload.data
        db.session.add(document)
        db.session.flush()
        record_event(
            "document.uploaded",
            object_type="document",
            object_id=document.id,
            case_id=referral.id,
            details={"type": document.extension, "size_bytes": len(upload.data)},
            actor=actor,
        )
    return document


def documents_of(referral: Referral) -> list[Document]:
    """The case's documents, newest first, without their bytes."""
    query = (
        select(Document)
        .options(joinedload(Document.uploaded_by))  # the uploader's name is shown on every row
        .where(Document.referral_id == referral.id)
        .order_by(Document.uploaded_at.desc(), Document.id.desc())
    )
    return list(db.session.scalars(query))


def get_document(document_id: Any) -> Document | None:
    """A document by id, or None (its case's scope is checked by the case loader)."""
    return db.session.get(Document, document_id)


def file_of(document: Document) -> bytes | None:
    """The document's bytes, decrypted; None when they cannot be read (her record erased, or a damaged value)."""
    data = document.file  # the deferred column is read now, for this document alone
    if data is None or is_unreadable(data) or not isinstance(data, bytes):
        return None
    return data


def download_name(document: Document) -> str:
    """A file name for the download that says nothing of her or of the title: the day it was uploaded and its id."""
    return f"document-{document.uploaded_at:%Y-%m-%d}-{document.id.hex[:8]}.{document.extension}"


def attachment_headers(document: Document) -> dict[str, str]:
    """The headers of a download: an attachment under a generated name, never shown inline or sniffed, never cached."""
    return {
        "Content-Disposition": f'attachment; filename="{download_name(document)}"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }

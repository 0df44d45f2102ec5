"""Documents in her subject-access export (listed, each file given separately) and in her erasure (crypto-shredded
with the rest of her record: the title and the file unreadable, the plain columns kept)."""

from __future__ import annotations

import io
import json

from sqlalchemy import select

from diversion.clients.erasure import erase_client
from diversion.crypto.fields import ERASED
from diversion.documents import services
from diversion.documents.models import Document
from diversion.extensions import db
from diversion.privacy.export import FILE_NOTE, SECTION_TITLES, build_export
from tests.documents import files
from tests.factories import create_referral, create_user, raw_column

TITLE = "Letter from her GP"


class Part:
    """An uploaded file part, as werkzeug hands it to the service."""

    def __init__(self, data: bytes, filename: str = "letter.pdf") -> None:
        self.filename = filename
        self._stream = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(size)


def _document(referral, worker) -> Document:
    return services.upload_document(referral, TITLE, services.read_upload(Part(files.PDF)), worker)


def test_the_export_lists_her_documents_and_says_where_the_files_are(app_ctx) -> None:
    worker = create_user(role="worker")
    referral = create_referral(state="COMPLETED", worker=worker)
    document = _document(referral, worker)
    export = build_export(referral.client).as_dict()
    assert SECTION_TITLES["documents"] == "Documents"
    [row] = export["sections"]["documents"]
    assert row["id"] == str(document.id)
    assert row["referral_id"] == str(referral.id)
    assert row["title"] == TITLE
    assert row["content_type"] == "application/pdf"
    assert row["size_bytes"] == len(files.PDF)
    assert row["uploaded_by"] == worker.display_name
    assert row["file"] == FILE_NOTE
    text = json.dumps(export)
    assert "%PDF" not in text
    assert files.PDF.hex() not in text


def test_erasing_her_makes_her_documents_unreadable_and_keeps_their_plain_columns(app_ctx) -> None:
    worker = create_user(role="worker")
    referral = create_referral(state="COMPLETED", worker=worker)
    document_id = _document(referral, worker).id
    ciphertext = raw_column(model=Document, column="file", row_id=document_id)
    erase_client(referral.client, "erasure_request")
    db.session.expire_all()
    document = db.session.scalars(select(Document).where(Document.id == document_id)).one()
    assert document.title is ERASED
    assert document.file is ERASED
    assert services.file_of(document) is None
    assert (document.content_type, document.size_bytes) == ("application/pdf", len(files.PDF))
    # The ciphertext is still there, and no key in the world opens it.
    assert raw_column(model=Document, column="file", row_id=document_id) == ciphertext
    [row] = build_export(referral.client).as_dict()["sections"]["documents"]
    assert row["title"] == "erased"


def test_merging_two_records_of_her_moves_her_documents_under_the_kept_key(app_ctx) -> None:
    from diversion.clients.merge import merge_clients

    worker = create_user(role="worker")
    kept = create_referral(state="COMPLETED", worker=worker)
    absorbed = create_referral(state="COMPLETED", worker=worker)
    document_id = _document(absorbed, worker).id
    merge_clients(kept.client, absorbed.client, "duplicate", worker)
    db.session.expire_all()
    document = db.session.get(Document, document_id)
    assert document.client_id == kept.client_id
    assert document.title == TITLE
    assert services.file_of(document) == files.PDF

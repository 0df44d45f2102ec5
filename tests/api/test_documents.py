"""A case's documents through the API (docs/api.md, "Documents"): a multipart upload whose type is found from its
content, 10 MB at most; the list; the file as an attachment; support staff only, inside their scope, audited."""

from __future__ import annotations

import io
import re
import uuid
from typing import Any

import pytest

from diversion.documents.models import Document
from diversion.documents.services import MAX_FILE_BYTES
from diversion.extensions import db
from tests.api.conftest import PREFIX, case_in, count, error_of
from tests.documents import files
from tests.factories import audit_events, create_referral, create_user, last_audit_id, raw_column

TITLE = "Consent form signed with an interpreter"
TYPE_ERROR = "The file must be a PDF, JPEG, PNG or Word document"


def upload(
    api,
    referral_id,
    data: bytes | None,
    *,
    title: str | None = TITLE,
    name: str = "scan.pdf",
    headers: dict[str, str] | None = None,
    **extra: Any,
):
    """POST a multipart upload as an integrator's client would: ``file`` and ``title`` parts (and any ``extra``)."""
    form: dict[str, Any] = dict(extra)
    if data is not None:
        form["file"] = (io.BytesIO(data), name, "application/octet-stream")
    if title is not None:
        form["title"] = title
    body, content_type = files.multipart(form)
    return api.client.post(
        f"{PREFIX}/referrals/{referral_id}/documents",
        data=body,
        headers=api.headers(headers),
        content_type=content_type,
    )


@pytest.fixture
def case(team):
    return case_in("OPTED_IN", court=team.court, worker=team.worker)


def test_a_pdf_named_png_is_stored_as_a_pdf_and_downloaded_as_it_was_sent(as_role, case) -> None:
    worker = as_role("worker")
    answer = upload(worker, case.id, files.PDF, name="photo.png")
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["content_type"] == "application/pdf"
    assert body["title"] == TITLE
    assert body["size_bytes"] == len(files.PDF)
    assert answer.headers["Location"] == f"{PREFIX}/documents/{body['id']}"
    listed = worker.get(f"/referrals/{case.id}/documents").get_json()
    assert listed == {"items": [body], "next": None}

    download = worker.get(f"/documents/{body['id']}")
    assert download.status_code == 200
    assert download.data == files.PDF
    assert download.mimetype == "application/pdf"
    disposition = download.headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="document-2026-12-01-[0-9a-f]{8}\.pdf"', disposition), disposition
    assert download.headers["Cache-Control"] == "no-store"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    # Stored encrypted: neither the title nor the file is in the row in plaintext.
    stored = raw_column(model=Document, column="file", row_id=uuid.UUID(body["id"]))
    assert files.PDF not in stored
    assert b"%PDF" not in stored
    assert TITLE.encode() not in raw_column(model=Document, column="title", row_id=uuid.UUID(body["id"]))


@pytest.mark.parametrize(
    ("data", "name", "content_type"),
    [
        (files.PDF, "letter.pdf", "application/pdf"),
        (files.JPEG, "photo.jpg", "image/jpeg"),
        (files.PNG, "scan.pdf", "image/png"),
        (files.docx(), "form.docx", files.DOCX_TYPE),
    ],
)
def test_each_type_is_found_from_its_content(as_role, case, data, name, content_type) -> None:
    answer = upload(as_role("manager"), case.id, data, name=name)
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["content_type"] == content_type


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (files.EXE, "consent.pdf"),
        (files.TEXT, "consent.pdf"),
        (files.plain_zip(), "form.docx"),
        (files.docx(parts=("[Content_Types].xml",)), "form.docx"),
        (files.zip_bomb(), "form.docx"),
        (b"PK\x03\x04 not really an archive", "form.docx"),
        (b"GIF89a" + b"\x00" * 20, "photo.png"),
    ],
    ids=["exe", "text", "zip", "docx-without-document", "zip-bomb", "broken-zip", "gif"],
)
def test_anything_else_is_refused_whatever_its_name_and_nothing_is_stored(as_role, case, data, name) -> None:
    before = last_audit_id()
    error = error_of(upload(as_role("worker"), case.id, data, name=name), 422, "validation_error")
    assert error["fields"] == {"file": TYPE_ERROR}
    assert count(Document) == 0
    assert audit_events(action="document.uploaded", after=before) == []


def test_the_size_limit_is_10_mb_of_file(as_role, case) -> None:
    worker = as_role("worker")
    exactly = files.PDF + b"\0" * (MAX_FILE_BYTES - len(files.PDF))
    assert upload(worker, case.id, exactly).status_code == 201
    error = error_of(upload(worker, case.id, exactly + b"\0"), 422, "validation_error")
    assert error["fields"] == {"file": "The file must be 10 MB or smaller"}
    # Far larger: refused unread, before the form is parsed.
    error = error_of(upload(worker, case.id, exactly * 2), 413, "payload_too_large")
    assert "10 MB or smaller" in error["message"]
    assert count(Document) == 1


def test_only_the_upload_takes_more_than_a_megabyte(as_role, case) -> None:
    worker = as_role("worker")
    two_mb = files.PDF + b"\0" * (2 * 1024 * 1024)
    assert upload(worker, case.id, two_mb).status_code == 201
    # Any other address keeps the 1 MB limit, a multipart body included.
    body, content_type = files.multipart({"file": (io.BytesIO(two_mb), "x.pdf")})
    refused = worker.client.post(
        f"{PREFIX}/referrals/{case.id}/consent", data=body, headers=worker.headers(), content_type=content_type
    )
    error_of(refused, 413, "payload_too_large")


@pytest.mark.parametrize(
    ("data", "title", "fields"),
    [
        (None, TITLE, {"file": "Select a file"}),
        (b"", TITLE, {"file": "The selected file is empty"}),
        (files.PDF, None, {"title": "Enter a title for the document"}),
        (files.PDF, "   ", {"title": "Enter a title for the document"}),
        (files.PDF, "x" * 201, {"title": "The title must be 200 characters or fewer"}),
        (files.PDF, "two\nlines", {"title": "The title must be one line of text"}),
        (files.EXE, "", {"file": TYPE_ERROR, "title": "Enter a title for the document"}),
    ],
)
def test_a_missing_or_empty_file_or_title_is_named(as_role, case, data, title, fields) -> None:
    error = error_of(upload(as_role("worker"), case.id, data, title=title), 422, "validation_error")
    assert error["fields"] == fields
    assert count(Document) == 0


def test_json_is_415_and_an_unknown_part_422(as_role, case) -> None:
    worker = as_role("worker")
    error_of(worker.post(f"/referrals/{case.id}/documents", {"title": TITLE}), 415, "unsupported_media_type")
    error = error_of(upload(worker, case.id, files.PDF, note="hers"), 422, "validation_error")
    assert error["fields"] == {"note": "Unknown field"}
    assert count(Document) == 0


@pytest.mark.parametrize("role", ["court", "cps", "admin"])
def test_court_cps_and_admin_never_see_documents(as_role, team, case, role) -> None:
    document = upload(as_role("worker"), case.id, files.PDF).get_json()
    api = as_role(role)
    error_of(api.get(f"/referrals/{case.id}/documents"), 403, "forbidden")
    error_of(api.get(f"/documents/{document['id']}"), 403, "forbidden")
    error_of(upload(api, case.id, files.PDF), 403, "forbidden")
    error_of(as_role(None).get(f"/documents/{document['id']}"), 401, "unauthorized")
    assert count(Document) == 1


def test_a_document_outside_her_schemes_is_404(as_role, client, case) -> None:
    from diversion.auth.tokens import create_api_token
    from tests.api.conftest import Api
    from tests.factories import create_scheme

    document = upload(as_role("worker"), case.id, files.PDF).get_json()
    outsider = Api(client, create_api_token(create_user(role="worker", schemes=[create_scheme()])))
    error_of(outsider.get(f"/documents/{document['id']}"), 404, "not_found")
    error_of(outsider.get(f"/referrals/{case.id}/documents"), 404, "not_found")
    error_of(upload(outsider, case.id, files.PDF), 404, "not_found")
    error_of(outsider.get(f"/documents/{uuid.uuid4()}"), 404, "not_found")
    assert count(Document) == 1


def test_uploads_lists_and_downloads_are_audited_without_the_title(as_role, team, case) -> None:
    worker = as_role("worker")
    before = last_audit_id()
    document = upload(worker, case.id, files.PDF).get_json()
    [uploaded] = audit_events(action="document.uploaded", after=before)
    assert uploaded.case_id == case.id
    assert uploaded.object_id == document["id"]
    assert uploaded.details == {"type": "pdf", "size_bytes": len(files.PDF)}
    assert uploaded.actor_id == team.worker.id
    after_upload = last_audit_id()
    worker.get(f"/referrals/{case.id}/documents")
    worker.get(f"/documents/{document['id']}")
    reads = audit_events(case_id=case.id, action="case.viewed", after=after_upload)
    assert [event.details["page"] for event in reads] == ["api.list_documents", "api.download_document"]
    for event in audit_events(case_id=case.id, after=before):
        assert TITLE not in str(event.details)


def test_an_upload_with_an_idempotency_key_is_stored_once(as_role, case) -> None:
    worker = as_role("worker")
    # A retry sends the very bytes again, its multipart boundary included.
    body, content_type = files.multipart({"file": (io.BytesIO(files.PDF), "a.pdf"), "title": TITLE})
    headers = worker.headers({"Idempotency-Key": "upload-1"})
    path = f"{PREFIX}/referrals/{case.id}/documents"
    first, again = (worker.client.post(path, data=body, headers=headers, content_type=content_type) for _ in range(2))
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert count(Document) == 1


def test_an_erased_womans_documents_cannot_be_read(as_role, team) -> None:
    from diversion.clients.erasure import erase_client

    referral = create_referral(state="COMPLETED", worker=team.worker, court=team.court)
    worker = as_role("worker")
    document = upload(worker, referral.id, files.PDF).get_json()
    erase_client(referral.client, "erasure_request")
    db.session.expire_all()
    listed = worker.get(f"/referrals/{referral.id}/documents").get_json()["items"]
    assert [(item["id"], item["title"], item["unreadable_fields"]) for item in listed] == [
        (document["id"], None, ["title"])
    ]
    error = error_of(worker.get(f"/documents/{document['id']}"), 404, "not_found")
    assert "erased" in error["message"]
    error = error_of(upload(worker, referral.id, files.PDF), 422, "invalid_transition")
    assert count(Document) == 1


def test_a_colleagues_case_asks_for_a_reason_first(client, app_ctx) -> None:
    from tests.api.test_need_to_know import REASON, Assigned

    assigned = Assigned(client)
    ria, sam = assigned.api(assigned.ria), assigned.api(assigned.sam)
    document = upload(ria, assigned.colleagues.id, files.PDF).get_json()
    for answer in (
        sam.get(f"/referrals/{assigned.colleagues.id}/documents"),
        sam.get(f"/documents/{document['id']}"),
        upload(sam, assigned.colleagues.id, files.PNG),
    ):
        error = error_of(answer, 403, "reason_required")
        assert TITLE not in error["message"]
    assert count(Document) == 1
    assert sam.post(f"/referrals/{assigned.colleagues.id}/access", {"reason": REASON}).status_code == 201
    assert sam.get(f"/documents/{document['id']}").data == files.PDF
    assert upload(sam, assigned.colleagues.id, files.PNG).status_code == 201

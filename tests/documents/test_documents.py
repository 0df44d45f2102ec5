"""A case's documents page (docs/encryption.md, "Documents"): the list and the upload form, the upload refused with the
reason in the error summary, the download as an attachment, support staff only; and the upload kept in memory, never
in a temporary file."""

from __future__ import annotations

import io
import re

import flask
import pytest
import werkzeug.formparser

from diversion.documents.models import Document
from diversion.extensions import db
from tests import pages
from tests.api.conftest import count
from tests.documents import files
from tests.factories import (
    audit_events,
    create_court,
    create_referral,
    create_scheme,
    create_user,
    last_audit_id,
    log_in_as,
    row_counts,
)

TITLE = "Consent form signed with an interpreter"
TYPE_ERROR = "The file must be a PDF, JPEG, PNG or Word document"


@pytest.fixture
def case(app_ctx):
    worker = create_user(role="worker")
    return create_referral(state="OPTED_IN", worker=worker, family_name="Documentsby")


def _signed_in(client, role: str = "worker"):
    return log_in_as(client, create_user(role=role))


def _form(data: bytes | None, *, title: str = TITLE, name: str = "scan.pdf") -> dict:
    form: dict = {"title": title}
    if data is not None:
        form["file"] = (io.BytesIO(data), name)
    return form


def test_the_case_links_to_its_documents_page_with_the_upload_form(client, case) -> None:
    _signed_in(client)
    overview = pages.get(client, f"/cases/{case.id}")
    assert overview.link("Documents", within=".app-case-sections") == f"/cases/{case.id}/documents"
    page = pages.get(client, f"/cases/{case.id}/documents")
    assert page.title.startswith("Documents - Case")
    assert "No documents yet." in page.text
    form = page.form(f"/cases/{case.id}/documents")
    assert form["enctype"] == "multipart/form-data"
    assert page.select_one("input[type=file]#file")["name"] == "file"


def test_a_worker_uploads_a_pdf_named_png_and_downloads_it(client, case) -> None:
    _signed_in(client)
    path = f"/cases/{case.id}/documents"
    pages.post(client, path, _form(files.PDF, name="photo.png"), status=302, redirect=path)
    page = pages.get(client, path)
    assert "Document uploaded." in page.text
    [row] = page.table_rows("table")
    assert row[0].startswith(TITLE)
    assert row[1:3] == ["PDF", f"{len(files.PDF)} Bytes"]
    [document] = db.session.query(Document).all()
    assert document.content_type == "application/pdf"
    link = page.link(f"{TITLE} (PDF, download)")
    assert link == f"/documents/{document.id}"
    download = client.get(link)
    assert download.status_code == 200
    assert download.data == files.PDF
    assert download.mimetype == "application/pdf"
    disposition = download.headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="document-2026-12-01-[0-9a-f]{8}\.pdf"', disposition)
    assert "Documentsby" not in disposition
    assert download.headers["Cache-Control"] == "no-store"
    assert download.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("data", "title", "summary", "errors"),
    [
        (files.EXE, TITLE, [TYPE_ERROR], {"file": TYPE_ERROR}),
        (files.TEXT, TITLE, [TYPE_ERROR], {"file": TYPE_ERROR}),
        (None, TITLE, ["Select a file"], {"file": "Select a file"}),
        (b"", TITLE, ["The selected file is empty"], {"file": "The selected file is empty"}),
        (
            files.PDF,
            "",
            ["Enter a title for the document"],
            {"title": "Enter a title for the document"},
        ),
        (
            files.zip_bomb(),
            "",
            ["Enter a title for the document", TYPE_ERROR],
            {"title": "Enter a title for the document", "file": TYPE_ERROR},
        ),
    ],
    ids=["exe-named-pdf", "text-named-pdf", "no-file", "empty", "no-title", "zip-bomb-and-no-title"],
)
def test_a_refused_upload_says_why_and_stores_nothing(client, case, data, title, summary, errors) -> None:
    _signed_in(client)
    before, last = row_counts(), last_audit_id()
    form = _form(data, title=title, name="consent.pdf")
    if data == b"":
        form["file"] = (io.BytesIO(b""), "consent.pdf")
    page = pages.post(client, f"/cases/{case.id}/documents", form)
    assert page.title.startswith("Error: Documents")
    assert page.error_summary == summary
    assert {name: page.errors[name] for name in errors} == errors
    assert page.value("title") == title
    assert count(Document) == 0
    assert {**row_counts(), "audit_events": 0} == {**before, "audit_events": 0}
    # Only the reads of the case the pages showed (the form, then the form with its errors).
    assert {event.action for event in audit_events(after=last)} == {"case.viewed"}


def test_a_body_over_the_upload_limit_answers_413_saying_how_large_a_file_may_be(client, case) -> None:
    _signed_in(client)
    token = pages.get(client, f"/cases/{case.id}/documents").csrf_token
    body, content_type = files.multipart(
        {"csrf_token": token, "title": TITLE, "file": (io.BytesIO(b"%PDF-" + b"\0" * (11 * 1024 * 1024)), "a.pdf")}
    )
    response = client.post(f"/cases/{case.id}/documents", data=body, content_type=content_type)
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert "The file must be 10 MB or smaller. Nothing was uploaded." in response.get_data(as_text=True)
    assert count(Document) == 0
    # Another form of the case keeps the 1 MB limit.
    body, content_type = files.multipart({"csrf_token": token, "reason": "x" * (2 * 1024 * 1024)})
    other = client.post(f"/cases/{case.id}/withdraw", data=body, content_type=content_type)
    assert other.status_code == 413
    assert "10 MB" not in other.get_data(as_text=True)


@pytest.mark.parametrize("role", ["court", "cps", "admin"])
def test_court_cps_and_admin_never_see_documents(client, case, role) -> None:
    worker = create_user(role="worker")
    log_in_as(client, worker)
    pages.post(client, f"/cases/{case.id}/documents", _form(files.PDF), status=302)
    [document] = db.session.query(Document).all()
    other = log_in_as(client, create_user(role=role, court=case.court if role == "court" else None))
    assert other.get(f"/cases/{case.id}/documents").status_code == 403
    assert other.get(f"/documents/{document.id}").status_code == 403
    assert other.post(f"/cases/{case.id}/documents", data=_form(files.PDF)).status_code in (400, 403)
    assert count(Document) == 1


def test_a_colleagues_case_asks_for_a_reason_before_its_documents(client, app_ctx) -> None:
    scheme = create_scheme(access="assigned")
    court = create_court(schemes=[scheme])
    sam, ria = (create_user(role="worker", schemes=[scheme]) for _ in range(2))
    colleagues = create_referral(worker=ria, court=court, state="OPTED_IN")
    log_in_as(client, ria)
    pages.post(client, f"/cases/{colleagues.id}/documents", _form(files.PDF), status=302)
    [document] = db.session.query(Document).all()
    log_in_as(client, sam)
    for path in (f"/cases/{colleagues.id}/documents", f"/documents/{document.id}"):
        page = pages.get(client, path, status=403)
        assert page.select_one("h1").get_text(strip=True) == "Say why you are opening this case"
        assert TITLE not in page.html
    token = pages.get(client, "/cases").csrf_token
    refused = client.post(f"/cases/{colleagues.id}/documents", data={**_form(files.PNG), "csrf_token": token})
    assert refused.status_code == 403
    assert count(Document) == 1


def test_the_upload_is_kept_in_memory_never_in_a_temporary_file(client, case, monkeypatch) -> None:
    """Werkzeug spools a file part over 500 KB to a temporary file; the app's request keeps it in memory. The control
    at the end shows the check would see Werkzeug's own request do it."""
    spooled: list[int] = []
    real = werkzeug.formparser.SpooledTemporaryFile

    def recording(*args, **kwargs):
        spooled.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(werkzeug.formparser, "SpooledTemporaryFile", recording)
    _signed_in(client)
    token = pages.get(client, f"/cases/{case.id}/documents").csrf_token
    large = files.PDF + b"\0" * (3 * 1024 * 1024)

    def send() -> int:
        body, content_type = files.multipart({"csrf_token": token, "title": TITLE, "file": (io.BytesIO(large), "a")})
        return client.post(f"/cases/{case.id}/documents", data=body, content_type=content_type).status_code

    assert send() == 302
    assert spooled == []
    assert db.session.query(Document).one().size_bytes == len(large)
    monkeypatch.setattr(client.application, "request_class", flask.Request)
    assert send() == 302
    assert spooled == [1]

"""Canary scan of an uploaded document: a file full of a canary, uploaded through the page and through the API,
larger than Werkzeug would keep in memory by itself, must not be found in plaintext anywhere the app writes: the
database files (or a pg_dump), the instance and temporary directories, the logs, the output, or a backup
(``backup create``, diversion/privacy/backups.py). And no temporary file is made while it is uploaded."""

from __future__ import annotations

import io
import logging
import tempfile
from pathlib import Path

from diversion.auth.tokens import create_api_token
from diversion.documents.models import Document
from diversion.extensions import db
from diversion.logs import JsonFormatter
from tests import pages
from tests.conftest import dispose_app
from tests.crypto_app.records import Canaries, canary, create_case, create_staff, find_canaries
from tests.documents import files
from tests.factories import log_in_as

# Past Werkzeug's 500 KB, over which it would spool a file part to a temporary file.
SIZE = 2 * 1024 * 1024


def _canary_file(text: str) -> bytes:
    line = text.encode("utf-8") + b"\n"
    return b"%PDF-1.7\n" + line * (SIZE // len(line))


def _files_under(*roots: Path) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for root in roots:
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    found[str(path)] = path.read_bytes()
    return found


def test_no_byte_of_an_uploaded_file_reaches_the_disk_a_log_or_a_backup(
    committed_app, caplog, capfd, tmp_path, monkeypatch
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="diversion")
    # Every temporary file Python makes goes here, and each one made is counted.
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    monkeypatch.setenv("TMPDIR", str(temporary))
    made: list[str] = []
    for name in ("mkstemp", "TemporaryFile", "NamedTemporaryFile", "SpooledTemporaryFile"):
        original = getattr(tempfile, name)

        def counting(*args, _original=original, _name=name, **kwargs):
            made.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(tempfile, name, counting)
    import werkzeug.formparser

    monkeypatch.setattr(werkzeug.formparser, "SpooledTemporaryFile", tempfile.SpooledTemporaryFile)

    committed = committed_app()
    canaries = Canaries()
    texts = {"page": canary(), "api": canary(), "title": canary()}
    with committed.app.app_context():
        court, worker = create_staff(canaries)
        case = create_case(canaries, court, worker, state="OPTED_IN")
        token = create_api_token(worker)
        client = committed.app.test_client()
        log_in_as(client, worker)
        csrf = pages.get(client, f"/cases/{case.referral_id}/documents").csrf_token

    # Through the page, and through the API; each body made in memory here (the test client would spool it).
    body, content_type = files.multipart(
        {"csrf_token": csrf, "title": texts["title"], "file": (io.BytesIO(_canary_file(texts["page"])), "a.pdf")}
    )
    before = list(made)
    response = client.post(f"/cases/{case.referral_id}/documents", data=body, content_type=content_type)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    body, content_type = files.multipart({"title": "Letter", "file": (io.BytesIO(_canary_file(texts["api"])), "b")})
    response = client.post(
        f"/api/v1/referrals/{case.referral_id}/documents",
        data=body,
        content_type=content_type,
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "canary-upload"},
    )
    assert response.status_code == 201, response.get_json()
    assert made == before, "a temporary file was made while a document was uploaded"
    document_id = response.get_json()["id"]
    download = client.get(f"/api/v1/documents/{document_id}", headers={"Authorization": f"Bearer {token}"})
    assert download.data == _canary_file(texts["api"])
    with committed.app.app_context():
        assert db.session.query(Document).filter(Document.referral_id == case.referral_id).count() == 3

    backups = tmp_path / "backups"
    result = committed.cli(
        "backup",
        "create",
        "--main",
        str(backups / "main" / "main.backup"),
        "--keys",
        str(backups / "keys" / "keys.backup"),
    )
    assert result.exit_code == 0, result.output

    dispose_app(committed.app)
    if committed.kind == "sqlite":
        haystacks = committed.sqlite_files()
    else:
        haystacks = {"pg_dump of the main database": committed.pg_dump(committed.main_url)}
    haystacks |= _files_under(committed.tmp, Path(committed.app.instance_path), temporary, backups)
    assert any(name.endswith("main.backup") for name in haystacks)
    formatter = JsonFormatter()
    haystacks["log records"] = "\n".join(formatter.format(record) for record in caplog.records).encode("utf-8")
    haystacks["log text"] = caplog.text.encode("utf-8")
    haystacks["backup output"] = result.output.encode("utf-8")
    captured = capfd.readouterr()
    haystacks["stdout"], haystacks["stderr"] = captured.out.encode("utf-8"), captured.err.encode("utf-8")

    assert find_canaries(haystacks, [*texts.values(), *canaries.texts]) == []
    # The scan can fail: the file's own bytes are found where they are.
    control = {"control": b"..." + _canary_file(texts["page"])[:4096]}
    assert find_canaries(control, [texts["page"]]) != []

"""What a file is, from its content alone (diversion/documents/detection.py), and the zip-bomb bounds, checked
without inflating anything."""

from __future__ import annotations

import io
import zipfile

import pytest

from diversion.documents import detection
from tests.documents import files


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (files.PDF, detection.PDF),
        (files.JPEG, detection.JPEG),
        (files.PNG, detection.PNG),
        (files.docx(), detection.DOCX),
        (files.EXE, None),
        (files.TEXT, None),
        (b"", None),
        (b" %PDF-1.7", None),  # the header must come first
        (files.plain_zip(), None),
        (files.docx(parts=("word/document.xml",)), None),
        (files.zip_bomb(), None),
    ],
)
def test_the_type_comes_from_the_content(data: bytes, expected: str | None) -> None:
    assert detection.detect_type(data) == expected


def test_an_archive_claiming_too_many_entries_is_refused_unread() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for part in detection.DOCX_PARTS:
            archive.writestr(part, "<x/>")
        for number in range(detection.MAX_ENTRIES):
            archive.writestr(f"word/media/{number}.xml", "")
    assert detection.detect_type(buffer.getvalue()) is None


def test_the_bomb_is_found_from_the_directory_without_inflating_it(monkeypatch) -> None:
    bomb, document = files.zip_bomb(), files.docx()

    def never(*args, **kwargs):
        raise AssertionError("an entry was opened")

    monkeypatch.setattr(zipfile.ZipFile, "open", never)
    monkeypatch.setattr(zipfile.ZipFile, "read", never)
    assert detection.detect_type(bomb) is None
    assert detection.detect_type(document) == detection.DOCX

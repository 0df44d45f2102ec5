"""Small files of every kind the documents tests send: the four the service takes, and look-alikes it refuses."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32 + b"\xff\xd9"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48
TEXT = b"Just some text that someone saved with the wrong name.\n"

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def docx(*, parts: tuple[str, ...] = ("[Content_Types].xml", "word/document.xml")) -> bytes:
    """A ZIP archive with a Word document's parts (or only those named)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in parts:
            archive.writestr(name, '<?xml version="1.0"?><w:document>Consent form</w:document>')
        archive.writestr("_rels/.rels", "<Relationships/>")
    return buffer.getvalue()


def zip_bomb() -> bytes:
    """A Word document's parts, one of them inflating to 50 MB of zeros from a few kilobytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * (50 * 1024 * 1024))
    return buffer.getvalue()


def plain_zip() -> bytes:
    """A ZIP archive that is not a Word document."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return buffer.getvalue()


def multipart(fields: dict[str, Any]) -> tuple[bytes, str]:
    """A multipart/form-data body made in memory, and its Content-Type. The test client would spool a large body to
    a temporary file of its own, which is not the app's doing and would muddle the checks that the app writes none."""
    values = MultiDict()
    for name, value in fields.items():
        if isinstance(value, tuple):
            stream, filename, *content_type = value
            value = FileStorage(stream, filename=filename, name=name, content_type=(content_type or [None])[0])
        values.add(name, value)
    boundary, body = encode_multipart(values)
    return body, f"multipart/form-data; boundary={boundary}"

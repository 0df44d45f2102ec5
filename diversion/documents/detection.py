"""What a file is, from its content alone: never from its name or the content type the browser sent with it.

PDF by its ``%PDF-`` header, JPEG and PNG by their signatures, a Word document (DOCX) as a ZIP archive that holds
``[Content_Types].xml`` and ``word/document.xml``. The archive is read from its central directory only: nothing is
extracted, and an archive that claims more entries or more uncompressed bytes than a Word document of this size
could hold, or packs any entry more tightly than text compresses (a zip bomb), is refused without inflating a byte.
"""

from __future__ import annotations

import io
import zipfile

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

PDF_HEADER = b"%PDF-"
JPEG_SIGNATURE = b"\xff\xd8\xff"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ZIP_SIGNATURE = b"PK\x03\x04"
DOCX_PARTS = ("[Content_Types].xml", "word/document.xml")

# Bounds on what an archive may claim, checked before anything is inflated: a real Word document has tens of parts,
# and XML compresses perhaps twenty to one; a zip bomb claims thousands of entries or ratios in the thousands.
MAX_ENTRIES = 2000
MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RATIO = 200


def detect_type(data: bytes) -> str | None:
    """The content type of a file the service takes (PDF, JPEG, PNG, DOCX), or None for anything else."""
    if data.startswith(PDF_HEADER):
        return PDF
    if data.startswith(PNG_SIGNATURE):
        return PNG
    if data.startswith(JPEG_SIGNATURE):
        return JPEG
    if data.startswith(ZIP_SIGNATURE) and is_word_document(data):
        return DOCX
    return None


def is_word_document(data: bytes) -> bool:
    """True for a ZIP archive holding a Word document's required parts, within the zip-bomb bounds."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        return False
    if not entries or len(entries) > MAX_ENTRIES:
        return False
    total = 0
    for entry in entries:
        total += entry.file_size
        if entry.file_size > MAX_UNCOMPRESSED or total > MAX_UNCOMPRESSED:
            return False
        if entry.file_size > max(entry.compress_size, 1) * MAX_RATIO:
            return False
    names = {entry.filename for entry in entries}
    return all(part in names for part in DOCX_PARTS)

"""The OpenAPI entries of a case's documents (docs/api.md, "Documents"), merged into the document by
``diversion/api/openapi.py``: the one multipart request body of the API, and its one binary answer."""

from __future__ import annotations

from typing import Any

from diversion.api.schemas import UUID, json_content, ref, rule_operation, text
from diversion.api.schemas import error_responses as _errors
from diversion.documents.models import CONTENT_TYPES
from diversion.documents.services import MAX_TITLE

MULTIPART = "multipart/form-data"
RULE = "client_records"
TYPES = list(CONTENT_TYPES)


def _operation(operation_id: str, summary: str, responses: dict[str, Any], description: str, **extra: Any) -> Any:
    return rule_operation(RULE, operation_id, summary, responses, description, **extra)


DOCUMENT_ID = {"name": "document_id", "in": "path", "required": True, "schema": UUID}
REFERRAL_ID = {"$ref": "#/components/parameters/referral_id"}

FILE_SCHEMAS: dict[str, Any] = {
    "DocumentUpload": {
        "type": "object",
        "properties": {
            "file": {
                "type": "string",
                "format": "binary",
                "contentMediaType": "application/octet-stream",
                "description": "The file: a PDF, JPEG, PNG or Word document (DOCX), 10 MB (10,485,760 bytes) or "
                "smaller. Its type is found from its content, never from its name or the part's Content-Type.",
            },
            "title": text(MAX_TITLE, required=True, one_line=True, description="What the document is."),
        },
        "required": ["file", "title"],
        "additionalProperties": False,
    },
    "Document": {
        "type": "object",
        "properties": {
            "id": UUID,
            "referral_id": UUID,
            "title": {"type": ["string", "null"], "description": "Null when it cannot be read (her record erased)."},
            "content_type": {"type": "string", "enum": TYPES},
            "size_bytes": {"type": "integer", "minimum": 1},
            "uploaded_at": {"type": "string", "format": "date-time"},
            "uploaded_by": {"type": ["string", "null"], "description": "The name of who uploaded it."},
            "unreadable_fields": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["id", "referral_id", "title", "content_type", "size_bytes", "uploaded_at", "uploaded_by"],
        "additionalProperties": False,
    },
    "DocumentList": {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": ref("Document")},
            "next": {"type": "null", "description": "A case's documents come in one page."},
        },
        "required": ["items", "next"],
        "additionalProperties": False,
    },
}

_ATTACHMENT_HEADERS = {
    "Content-Disposition": {
        "description": "attachment, with a generated file name (the day it was uploaded, part of its id and its "
        "type's extension): never her name or the title.",
        "required": True,
        "schema": {"type": "string"},
    },
}

FILE_PATHS: dict[str, Any] = {
    "/referrals/{referral_id}/documents": {
        "parameters": [REFERRAL_ID],
        "post": _operation(
            "uploadDocument",
            "Upload a document to her case",
            {
                "201": json_content(
                    ref("Document"),
                    "The document as stored.",
                    headers={"Location": {"required": True, "schema": {"type": "string"}}},
                ),
                **_errors(400, 401, 403, 404, 413, 415, 422),
            },
            "A multipart/form-data body with the parts `file` and `title`; anything else is 415. The file is "
            "stored encrypted under her data key. 422 (with `fields`) for no file, an empty one, one over 10 MB, "
            "one that is not a PDF, JPEG, PNG or Word document by its content, no title or one over 200 characters, "
            "or a part not in the form. A body over 10 MB and 64 KB is refused unread (413). Nothing is stored "
            "when it is refused. Uploading is audited (document.uploaded), with the type and size, never the title.",
            requestBody={
                "required": True,
                "content": {
                    MULTIPART: {
                        "schema": ref("DocumentUpload"),
                        "encoding": {"file": {"contentType": "application/octet-stream"}},
                    }
                },
            },
        ),
        "get": _operation(
            "listDocuments",
            "The documents of her case",
            {
                "200": json_content(
                    ref("DocumentList"),
                    "Her case's documents, newest first.",
                ),
                **_errors(401, 403, 404),
            },
            "Titles and what the service knows of each file; the files themselves come from downloadDocument. "
            "The read is audited as a read of the case.",
        ),
    },
    "/documents/{document_id}": {
        "parameters": [DOCUMENT_ID],
        "get": _operation(
            "downloadDocument",
            "A document's file",
            {
                "200": {
                    "description": "The file, as an attachment, of the type found from its content.",
                    "headers": _ATTACHMENT_HEADERS,
                    "content": {
                        content_type: {"schema": {"type": "string", "contentMediaType": content_type}}
                        for content_type in TYPES
                    },
                },
                **_errors(401, 403, 404),
            },
            "404 for a document outside the caller's scope, or one that can no longer be read (her record was "
            "erased). Answered with Cache-Control: no-store and X-Content-Type-Options: nosniff. The read is "
            "audited as a read of the case.",
        ),
    },
}

"""API: a case's documents (support staff only: 403 for court, CPS and admin). The upload is the one multipart
body of the API: ``file`` and ``title``, read by the same service as the web form (diversion/documents/services.py)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, abort, jsonify, request, url_for

from diversion.api import bp
from diversion.api.parsing import UnsupportedMediaType
from diversion.api.serializers import Plain, moment
from diversion.documents import services
from diversion.documents.models import Document
from diversion.errors import ValidationFailed
from diversion.permissions import current_actor, load_case, requires
from diversion.request_limits import takes_upload

MULTIPART = "multipart/form-data"
FIELDS = {"title"}
FILES = {"file"}


def document_body(document: Document) -> dict[str, Any]:
    """A document as support staff see it: its title and what the service knows of the file, never its bytes."""
    plain = Plain()
    return plain.finish(
        {
            "id": str(document.id),
            "referral_id": str(document.referral_id),
            "title": plain(document.title, "title"),
            "content_type": document.content_type,
            "size_bytes": document.size_bytes,
            "uploaded_at": moment(document.uploaded_at),
            "uploaded_by": document.uploaded_by.display_name if document.uploaded_by else None,
        }
    )


def _multipart_form() -> tuple[str | None, services.Upload]:
    """The title and the file of a multipart body: 415 for any other kind of body, 422 for a part not in the form."""
    if request.mimetype != MULTIPART:
        raise UnsupportedMediaType(f"Send the document as {MULTIPART}, with the parts file and title.")
    unknown = (set(request.form) - FIELDS) | (set(request.files) - FILES)
    if unknown:
        raise ValidationFailed("Unknown field", {name[:64]: "Unknown field" for name in sorted(unknown)})
    return request.form.get("title"), services.read_upload(request.files.get("file"))


@bp.route("/referrals/<uuid:referral_id>/documents", methods=["POST"])
@requires("client_records")
@takes_upload
def upload_document(referral_id: uuid.UUID) -> Any:
    referral = load_case(referral_id)
    title, upload = _multipart_form()
    document = services.upload_document(referral, title, upload, current_actor())
    location = url_for("api.download_document", document_id=document.id)
    return jsonify(document_body(document)), 201, {"Location": location}


@bp.route("/referrals/<uuid:referral_id>/documents", methods=["GET"])
@requires("client_records")
def list_documents(referral_id: uuid.UUID) -> Any:
    documents = services.documents_of(load_case(referral_id))
    return jsonify({"items": [document_body(document) for document in documents], "next": None})


@bp.route("/documents/<uuid:document_id>", methods=["GET"])
@requires("client_records")
def download_document(document_id: uuid.UUID) -> Any:
    document = services.get_document(document_id)
    if document is None:
        abort(404)
    load_case(document.referral_id)  # the case's scope, and its need to know, apply to its documents
    data = services.file_of(document)
    if data is None:
        raise services.Unavailable(services.UNAVAILABLE)
    return Response(data, mimetype=document.content_type, headers=services.attachment_headers(document))

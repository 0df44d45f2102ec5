"""A case's documents: the list with the upload form, the upload, and a document's download."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from diversion.documents import bp, services
from diversion.documents.forms import UploadForm
from diversion.errors import DomainError
from diversion.forms import apply_errors
from diversion.permissions import current_actor, load_case, requires
from diversion.referrals.case_page import case_page
from diversion.request_limits import takes_upload


def _documents_page(referral, form: UploadForm, status: int = 200):
    documents = services.documents_of(referral)
    return case_page(referral, "documents", "documents/list.html", form=form, documents=documents), status


@bp.route("/cases/<uuid:referral_id>/documents")
@requires("client_records")
def list_for_case(referral_id):
    return _documents_page(load_case(referral_id), UploadForm())


@bp.route("/cases/<uuid:referral_id>/documents", methods=["POST"])
@requires("client_records")
@takes_upload
def upload(referral_id):
    referral = load_case(referral_id)
    form = UploadForm()
    if form.validate_on_submit():
        upload = services.read_upload(request.files.get("file"))
        try:
            services.upload_document(referral, form.title.data, upload, current_actor())
        except DomainError as error:
            apply_errors(form, error, "file")
        else:
            flash(_("Document uploaded."), "success")
            return redirect(url_for("documents.list_for_case", referral_id=referral.id))
    return _documents_page(referral, form)


@bp.route("/documents/<uuid:document_id>")
@requires("client_records")
def download(document_id):
    document = services.get_document(document_id)
    if document is None:
        abort(404)
    load_case(document.referral_id)  # the case's scope, and its need to know, apply to its documents
    return file_response(document)


def file_response(document) -> Response:
    """The document's bytes as an attachment, of the type found from its content; 404 when they cannot be read."""
    data = services.file_of(document)
    if data is None:
        raise services.Unavailable(_(services.UNAVAILABLE))
    return Response(data, mimetype=document.content_type, headers=services.attachment_headers(document))

"""The upload form of a case's documents page. The rules (a file of a type the service takes, its size, a title)
are the service's, shared with the API (diversion/documents/services.py); the form only carries the fields."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovSubmitInput, GovTextInput
from wtforms import StringField, SubmitField

from diversion.documents.services import MAX_TITLE


class UploadForm(FlaskForm):
    title = StringField(
        "Title",
        widget=GovTextInput(),
        description="For example, consent form signed with an interpreter",
        render_kw={"maxlength": MAX_TITLE},
    )
    file = FileField(
        "File",
        widget=GovFileInput(),
        description="A PDF, JPEG, PNG or Word document, 10 MB or smaller",
    )
    submit = SubmitField("Upload document", widget=GovSubmitInput())

"""The upload form of a case's documents page. The rules (a file of a type the service takes, its size, a title)
are the service's, shared with the API (diversion/documents/services.py); the form only carries the fields."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovSubmitInput, GovTextInput
from wtforms import StringField, SubmitField

from diversion.documents.services import MAX_TITLE


class UploadForm(FlaskForm):
    title = StringField(
        _l("Title"),
        widget=GovTextInput(),
        description=_l("For example, consent form signed with an interpreter"),
        render_kw={"maxlength": MAX_TITLE},
    )
    file = FileField(
        _l("File"),
        widget=GovFileInput(),
        description=_l("A PDF, JPEG, PNG or Word document, 10 MB or smaller"),
    )
    submit = SubmitField(_l("Upload document"), widget=GovSubmitInput())

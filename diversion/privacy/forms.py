"""Forms: the legal hold, erasure requests and their decision, the audit search."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import RadioField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import Email, InputRequired, Optional, ValidationError

from diversion.forms import DateInputField, MaxLength
from diversion.privacy.services import REQUEST_REASONS


class HoldForm(FlaskForm):
    """Put her under a legal hold, or release it: which one is the button pressed."""

    hold = SubmitField(_l("Put under legal hold"), widget=GovSubmitInput())
    release = SubmitField(_l("Release the legal hold"), widget=GovSubmitInput())


class ErasureRequestForm(FlaskForm):
    reason = RadioField(
        _l("Why is her record to be erased?"),
        # The labels stay lazy (SelectChoice, not diversion.forms.choices): each is read in the reader's language.
        choices=[SelectChoice(code, label) for code, label in REQUEST_REASONS.items()],
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Select why her record is to be erased"))],
    )
    submit = SubmitField(_l("Ask for erasure"), widget=GovSubmitInput())


class ErasureDecisionForm(FlaskForm):
    """A second manager confirms, or any manager cancels."""

    confirm = SubmitField(_l("Confirm and erase"), widget=GovSubmitInput())
    cancel = SubmitField(_l("Cancel the request"), widget=GovSubmitInput())


class ExportForm(FlaskForm):
    """Make the subject access export: a POST, since making it is recorded in the audit log."""

    fmt = RadioField(
        _l("Format"),
        choices=[
            SelectChoice("pdf", _l("A readable PDF")),
            SelectChoice("json", _l("JSON (every field, for a machine)")),
        ],
        default="pdf",
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Select the format"))],
    )
    submit = SubmitField(_l("Make the export"), widget=GovSubmitInput())


def _uuid_text(_form: FlaskForm, field: StringField) -> None:
    import uuid

    if field.data:
        try:
            uuid.UUID(field.data.strip())
        except ValueError as error:
            raise ValidationError(_l("Enter the client id as shown on her data protection page")) from error


class AuditSearchForm(FlaskForm):
    """The audit search: a GET form, so no CSRF token (it changes nothing)."""

    class Meta:
        csrf = False

    client_id = StringField(_l("Client id"), widget=GovTextInput(), validators=[Optional(), _uuid_text])
    user_email = StringField(
        _l("User's email address"),
        widget=GovTextInput(),
        validators=[Optional(), MaxLength(254), Email(message=_l("Enter an email address like name@example.org"))],
    )
    action = SelectField(_l("Action"), choices=[], widget=GovSelect(), validators=[Optional()])
    from_date = DateInputField(_l("From"), what=_l("the first day"), required=False)
    to_date = DateInputField(_l("To"), what=_l("the last day"), required=False)
    submit = SubmitField(_l("Search"), widget=GovSubmitInput())

    def validate_to_date(self, field: DateInputField) -> None:
        """The period must not end before it starts."""
        if field.data and self.from_date.data and field.data < self.from_date.data:
            raise ValidationError(_l("The last day must be the same as or after the first day"))

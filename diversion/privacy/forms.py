"""Forms: the legal hold, erasure requests and their decision, the audit search."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import RadioField, SelectField, StringField, SubmitField
from wtforms.validators import Email, InputRequired, Optional, ValidationError

from diversion.forms import DateInputField, MaxLength, choices
from diversion.privacy.services import REQUEST_REASONS


class HoldForm(FlaskForm):
    """Put her under a legal hold, or release it: which one is the button pressed."""

    hold = SubmitField("Put under legal hold", widget=GovSubmitInput())
    release = SubmitField("Release the legal hold", widget=GovSubmitInput())


class ErasureRequestForm(FlaskForm):
    reason = RadioField(
        "Why is her record to be erased?",
        choices=choices(REQUEST_REASONS),
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select why her record is to be erased")],
    )
    submit = SubmitField("Ask for erasure", widget=GovSubmitInput())


class ErasureDecisionForm(FlaskForm):
    """A second manager confirms, or any manager cancels."""

    confirm = SubmitField("Confirm and erase", widget=GovSubmitInput())
    cancel = SubmitField("Cancel the request", widget=GovSubmitInput())


class ExportForm(FlaskForm):
    """Make the subject access export: a POST, since making it is recorded in the audit log."""

    fmt = RadioField(
        "Format",
        choices=choices([("pdf", "A readable PDF"), ("json", "JSON (every field, for a machine)")]),
        default="pdf",
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select the format")],
    )
    submit = SubmitField("Make the export", widget=GovSubmitInput())


def _uuid_text(_form: FlaskForm, field: StringField) -> None:
    import uuid

    if field.data:
        try:
            uuid.UUID(field.data.strip())
        except ValueError as error:
            raise ValidationError("Enter the client id as shown on her data protection page") from error


class AuditSearchForm(FlaskForm):
    """The audit search: a GET form, so no CSRF token (it changes nothing)."""

    class Meta:
        csrf = False

    client_id = StringField("Client id", widget=GovTextInput(), validators=[Optional(), _uuid_text])
    user_email = StringField(
        "User's email address",
        widget=GovTextInput(),
        validators=[Optional(), MaxLength(254), Email(message="Enter an email address like name@example.org")],
    )
    action = SelectField("Action", choices=[], widget=GovSelect(), validators=[Optional()])
    from_date = DateInputField("From", what="the first day", required=False)
    to_date = DateInputField("To", what="the last day", required=False)
    submit = SubmitField("Search", widget=GovSubmitInput())

    def validate_to_date(self, field: DateInputField) -> None:
        """The period must not end before it starts."""
        if field.data and self.from_date.data and field.data < self.from_date.data:
            raise ValidationError("The last day must be the same as or after the first day")

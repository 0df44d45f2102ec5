"""Forms: her quiet hours, her STOP reply, a manager's retry, a partner's email choice."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextInput
from wtforms import RadioField, StringField, SubmitField
from wtforms.validators import InputRequired

from diversion.forms import choices


class QuietHoursForm(FlaskForm):
    # Both times or neither, HH:MM: checked by diversion/clients/contact.py, the rule the intake form and the API share.
    quiet_from = StringField("From", widget=GovTextInput())
    quiet_to = StringField("To", widget=GovTextInput())
    save_hours = SubmitField("Save quiet hours", widget=GovSubmitInput())


class StopForm(FlaskForm):
    record_stop = SubmitField("Record her STOP reply", widget=GovSubmitInput())


class RetryForm(FlaskForm):
    retry = SubmitField("Send again", widget=GovSubmitInput())


class NoticeEmailsForm(FlaskForm):
    wanted = RadioField(
        "Email me when an outcome notice is made",
        choices=choices([("yes", "Yes, email me"), ("no", "No")]),
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select whether you want these emails")],
    )
    submit = SubmitField("Save", widget=GovSubmitInput())

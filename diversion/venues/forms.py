"""The venue form, and the retire / bring back button."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea, GovTextInput
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired

from diversion.forms import MaxLength
from diversion.idempotency.forms import OneTimeKeyField
from diversion.venues.services import MAX_ADDRESS, MAX_NAME


class VenueForm(FlaskForm):
    one_time_key = OneTimeKeyField()  # a new venue's second submit adds nothing more (docs/idempotency.md)
    name = StringField(
        "Name",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the venue's name"), MaxLength(MAX_NAME)],
    )
    address = TextAreaField(
        "Address",
        widget=GovTextArea(),
        validators=[InputRequired(message="Enter the venue's address"), MaxLength(MAX_ADDRESS)],
    )
    submit = SubmitField("Save venue", widget=GovSubmitInput())


class RetireForm(FlaskForm):
    submit = SubmitField("Retire venue", widget=GovSubmitInput())

"""Forms of the webhook pages: a new subscription, and the buttons that pause, resume or delete one."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovSubmitInput, GovTextInput
from wtforms import SelectMultipleField, StringField, SubmitField
from wtforms.validators import InputRequired, Length

from diversion.forms import choices
from diversion.webhooks.addresses import MAX_URL_LENGTH
from diversion.webhooks.models import Event


class SubscriptionForm(FlaskForm):
    url = StringField(
        "Address to send events to",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter the address to send events to"),
            Length(max=MAX_URL_LENGTH, message=f"The address must be {MAX_URL_LENGTH} characters or fewer"),
        ],
    )
    events = SelectMultipleField(
        "Events to send",
        choices=choices([(item.value, item.label) for item in Event]),
        widget=GovCheckboxesInput(),
        validators=[InputRequired(message="Choose at least one event")],
    )
    submit = SubmitField("Create the webhook", widget=GovSubmitInput())


class ActionForm(FlaskForm):
    """Pause, resume or delete: a button and the CSRF token."""

"""Forms of the webhook pages: a new subscription, and the buttons that pause, resume or delete one."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovSubmitInput, GovTextInput
from wtforms import SelectChoice, SelectMultipleField, StringField, SubmitField
from wtforms.validators import InputRequired, Length

from diversion.webhooks.addresses import MAX_URL_LENGTH
from diversion.webhooks.models import EVENT_LABELS, Event


class SubscriptionForm(FlaskForm):
    url = StringField(
        _l("Address to send events to"),
        widget=GovTextInput(),
        validators=[
            InputRequired(message=_l("Enter the address to send events to")),
            Length(
                max=MAX_URL_LENGTH,
                message=_l("The address must be %(max)d characters or fewer", max=MAX_URL_LENGTH),
            ),
        ],
    )
    events = SelectMultipleField(
        _l("Events to send"),
        # The labels stay lazy, read in the reader's language when the page is drawn.
        choices=[SelectChoice(item.value, EVENT_LABELS[item]) for item in Event],
        widget=GovCheckboxesInput(),
        validators=[InputRequired(message=_l("Choose at least one event"))],
    )
    submit = SubmitField(_l("Create the webhook"), widget=GovSubmitInput())


class ActionForm(FlaskForm):
    """Pause, resume or delete: a button and the CSRF token."""

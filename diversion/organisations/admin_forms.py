"""Forms of the administrator's scheme pages and the platform operator's organisation pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovRadioInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, RadioField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import InputRequired

from diversion.auth.forms import display_name_field
from diversion.forms import MaxLength, choices
from diversion.idempotency.forms import OneTimeKeyField
from diversion.organisations.models import ACCESS_LABELS, SLUG_MAX

SLUG_HINT = f"Up to {SLUG_MAX} lower case letters, digits and hyphens, used on the command line. It cannot be changed."


class SchemeForm(FlaskForm):
    """A scheme's name, courts and access rule; a new one's short name and number of appointments too."""

    one_time_key = OneTimeKeyField()  # a new scheme's second submit adds nothing more (docs/idempotency.md)
    name = StringField(
        "Name",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the scheme's name"), MaxLength(120)],
    )
    slug = StringField("Short name", widget=GovTextInput(), description=SLUG_HINT)
    courts = SelectMultipleField("Courts it serves", choices=[], widget=GovCheckboxesInput(), validate_choice=False)
    access = RadioField(
        "Who opens a case",
        choices=choices([(value.value, label) for value, label in ACCESS_LABELS.items()]),
        widget=GovRadioInput(),
        validators=[InputRequired(message="Choose who opens a case: the team, or the worker assigned")],
    )
    appointments = StringField(
        "Number of appointments",
        widget=GovTextInput(),
        description=(
            "The first produces the needs assessment, the last the Care Action Plan. The scheme's manager can change "
            "the programme later."
        ),
    )
    submit = SubmitField("Save scheme", widget=GovSubmitInput())


class OrganisationForm(FlaskForm):
    """A new organisation and its first administrator."""

    one_time_key = OneTimeKeyField()  # a second submit adds no second organisation (docs/idempotency.md)
    name = StringField(
        "Organisation name",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the organisation's name"), MaxLength(120)],
    )
    slug = StringField("Short name", widget=GovTextInput(), description=SLUG_HINT)
    admin_name = display_name_field(label="Administrator's name", hint="Their name as colleagues know it.")
    admin_email = EmailField(
        "Administrator's email address",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the administrator's email address"), MaxLength(254)],
    )
    submit = SubmitField("Add organisation", widget=GovSubmitInput())


class FirstResponderForm(FlaskForm):
    """Whether the organisation is a first responder for the National Referral Mechanism."""

    is_first_responder = RadioField(
        "Is your organisation a first responder for the National Referral Mechanism?",
        choices=choices([("yes", "Yes"), ("no", "No")]),
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select yes if your organisation is a first responder")],
    )
    submit = SubmitField("Save", widget=GovSubmitInput())

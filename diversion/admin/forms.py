"""Administration forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSelect, GovSubmitInput, GovTextInput
from wtforms import EmailField, RadioField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional

from diversion.auth.forms import display_name_field
from diversion.auth.models import ROLE_LABELS
from diversion.forms import MaxLength
from diversion.idempotency.forms import OneTimeKeyField

THEIR_NAME_HINT = "Their name as colleagues know it. It is shown on cases, lists and histories."


class UserForm(FlaskForm):
    one_time_key = OneTimeKeyField()  # a second submit of the page creates no second account (docs/idempotency.md)
    display_name = display_name_field(hint=THEIR_NAME_HINT)
    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter an email address"), MaxLength(254)],
    )
    role = RadioField(
        "Role",
        choices=[SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()],
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select a role")],
    )
    court = SelectField(
        "Court (court staff only)",
        choices=[],
        widget=GovSelect(),
        validators=[Optional()],
    )
    submit = SubmitField("Create user", widget=GovSubmitInput())


class RoleForm(FlaskForm):
    """An administrator gives an account another role (docs/people.md: a data-reading role waits for a manager)."""

    role = RadioField(
        "Role",
        choices=[SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()],
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select a role")],
    )
    court = SelectField(
        "Court (court staff only)",
        choices=[],
        widget=GovSelect(),
        validators=[Optional()],
    )
    submit = SubmitField("Change role", widget=GovSubmitInput())


class CourtForm(FlaskForm):
    one_time_key = OneTimeKeyField()  # a new court's second submit adds nothing more (docs/idempotency.md)
    code = StringField(
        "Court code",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter a court code"),
            Length(max=16, message="Court code must be 16 characters or fewer"),
        ],
    )
    name = StringField(
        "Court name",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter the court's name"),
            Length(max=120, message="Court name must be 120 characters or fewer"),
        ],
    )
    submit = SubmitField("Save court", widget=GovSubmitInput())

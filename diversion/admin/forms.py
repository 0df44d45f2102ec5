"""Administration forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import EmailField, RadioField, SelectChoice, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional

from diversion.auth.forms import display_name_field
from diversion.auth.models import ROLE_LABELS, Role
from diversion.forms import MaxLength
from diversion.idempotency.forms import OneTimeKeyField

THEIR_NAME_HINT = "Their name as colleagues know it. It is shown on cases, lists and histories."
# The roles an administrator gives: the platform operator is made on the command line only.
ROLE_CHOICES = [SelectChoice(role.value, label) for role, label in ROLE_LABELS.items() if role is not Role.OPERATOR]


def schemes_field() -> SelectMultipleField:
    """The schemes a support worker or manager works in: checkboxes of the organisation's schemes (the page sets
    the choices; the service says what is missing or not hers)."""
    return SelectMultipleField("Schemes", choices=[], widget=GovCheckboxesInput(), validate_choice=False)


def covered_courts_field() -> SelectMultipleField:
    """The courts a CPS user covers: checkboxes of the courts the organisation's schemes serve."""
    return SelectMultipleField("Courts covered", choices=[], widget=GovCheckboxesInput(), validate_choice=False)


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
        choices=ROLE_CHOICES,
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select a role")],
    )
    court = SelectField(
        "Court (court staff only)",
        choices=[],
        widget=GovSelect(),
        validators=[Optional()],
    )
    schemes = schemes_field()
    cps_courts = covered_courts_field()
    submit = SubmitField("Create user", widget=GovSubmitInput())


class RoleForm(FlaskForm):
    """An administrator gives an account another role (docs/people.md: a data-reading role waits for a manager)."""

    role = RadioField(
        "Role",
        choices=ROLE_CHOICES,
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select a role")],
    )
    court = SelectField(
        "Court (court staff only)",
        choices=[],
        widget=GovSelect(),
        validators=[Optional()],
    )
    schemes = schemes_field()
    cps_courts = covered_courts_field()
    submit = SubmitField("Save changes", widget=GovSubmitInput())


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
    # A new court only: which of the administrator's schemes serve it.
    schemes = SelectMultipleField(
        "Schemes that serve this court", choices=[], widget=GovCheckboxesInput(), validate_choice=False
    )
    submit = SubmitField("Save court", widget=GovSubmitInput())

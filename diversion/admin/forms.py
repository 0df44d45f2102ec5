"""Administration forms."""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import EmailField, RadioField, SelectChoice, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import AnyOf, InputRequired, Length, Optional

from diversion.auth.forms import display_name_field
from diversion.auth.models import ROLE_LABELS, Role
from diversion.forms import MaxLength
from diversion.i18n import DEFAULT_LANGUAGE, UI_LANGUAGES
from diversion.idempotency.forms import OneTimeKeyField

THEIR_NAME_HINT = _l("Their name as colleagues know it. It is shown on cases, lists and histories.")
LANGUAGE_MISSING = _l("Select the language its staff see the service in")
# The roles an administrator gives: the platform operator is made on the command line only. Each label is read when
# the page is drawn, in the language of whoever reads it (a role's name is translated by ``Role.label``).
ROLE_CHOICES = [
    SelectChoice(role.value, LazyString(lambda role=role: str(role.label)))
    for role in ROLE_LABELS
    if role is not Role.OPERATOR
]


def schemes_field() -> SelectMultipleField:
    """The schemes a support worker or manager works in: checkboxes of the organisation's schemes (the page sets
    the choices; the service says what is missing or not hers)."""
    return SelectMultipleField(_l("Schemes"), choices=[], widget=GovCheckboxesInput(), validate_choice=False)


def covered_courts_field() -> SelectMultipleField:
    """The courts a CPS user covers: checkboxes of the courts the organisation's schemes serve."""
    return SelectMultipleField(_l("Courts covered"), choices=[], widget=GovCheckboxesInput(), validate_choice=False)


class UserForm(FlaskForm):
    one_time_key = OneTimeKeyField()  # a second submit of the page creates no second account (docs/idempotency.md)
    display_name = display_name_field(hint=THEIR_NAME_HINT)
    email = EmailField(
        _l("Email address"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Enter an email address")), MaxLength(254)],
    )
    role = RadioField(
        _l("Role"),
        choices=ROLE_CHOICES,
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Select a role"))],
    )
    court = SelectField(
        _l("Court (court staff only)"),
        choices=[],
        widget=GovSelect(),
        validators=[Optional()],
    )
    schemes = schemes_field()
    cps_courts = covered_courts_field()
    submit = SubmitField(_l("Create user"), widget=GovSubmitInput())


class RoleForm(FlaskForm):
    """An administrator gives an account another role (docs/people.md: a data-reading role waits for a manager)."""

    role = RadioField(
        _l("Role"),
        choices=ROLE_CHOICES,
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Select a role"))],
    )
    court = SelectField(
        _l("Court (court staff only)"),
        choices=[],
        widget=GovSelect(),
        validators=[Optional()],
    )
    schemes = schemes_field()
    cps_courts = covered_courts_field()
    submit = SubmitField(_l("Save changes"), widget=GovSubmitInput())


class CourtForm(FlaskForm):
    one_time_key = OneTimeKeyField()  # a new court's second submit adds nothing more (docs/idempotency.md)
    code = StringField(
        _l("Court code"),
        widget=GovTextInput(),
        validators=[
            InputRequired(message=_l("Enter a court code")),
            Length(max=16, message=_l("Court code must be 16 characters or fewer")),
        ],
    )
    name = StringField(
        _l("Court name"),
        widget=GovTextInput(),
        validators=[
            InputRequired(message=_l("Enter the court's name")),
            Length(max=120, message=_l("Court name must be 120 characters or fewer")),
        ],
    )
    # A new court only: which of the administrator's schemes serve it.
    schemes = SelectMultipleField(
        _l("Schemes that serve this court"), choices=[], widget=GovCheckboxesInput(), validate_choice=False
    )
    # The language of the service for its staff who have chosen none on their account (diversion/i18n.py). Each
    # language is named in its own words, whatever the page's language. Left out of a post, the court keeps its own.
    default_language = RadioField(
        _l("Language its staff see the service in"),
        choices=[SelectChoice(code, name) for code, name in UI_LANGUAGES.items()],
        default=DEFAULT_LANGUAGE,
        description=_l("Court staff who have not chosen a language on their own account see the service in this one."),
        widget=GovRadioInput(),
        validate_choice=False,
        validators=[AnyOf(list(UI_LANGUAGES), message=LANGUAGE_MISSING)],
    )
    submit = SubmitField(_l("Save court"), widget=GovSubmitInput())

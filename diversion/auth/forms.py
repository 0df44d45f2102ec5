"""Sign-in forms. Validation messages follow the GOV.UK Design System's wording."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovRadioInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, HiddenField, PasswordField, RadioField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from diversion.auth.models import DISPLAY_NAME_MAX
from diversion.auth.names import clean_display_name
from diversion.forms import MaxLength


class LoginForm(FlaskForm):
    email = EmailField(
        _l("Email address"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Enter your email address")), MaxLength(254)],
    )
    password = PasswordField(
        _l("Password"),
        widget=GovPasswordInput(),
        validators=[InputRequired(message=_l("Enter your password")), MaxLength(256)],
    )
    submit = SubmitField(_l("Sign in"), widget=GovSubmitInput())


class CodeForm(FlaskForm):
    code = StringField(
        _l("Security code"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Enter the security code")), MaxLength(20)],
    )
    submit = SubmitField(_l("Continue"), widget=GovSubmitInput())


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        widget=GovPasswordInput(),
        validators=[InputRequired(message=_l("Enter a new password")), MaxLength(256)],
    )
    confirm = PasswordField(
        _l("Confirm new password"),
        widget=GovPasswordInput(),
        validators=[InputRequired(message=_l("Confirm your new password")), MaxLength(256)],
    )
    submit = SubmitField(_l("Save password"), widget=GovSubmitInput())


class TokenForm(FlaskForm):
    """Name a new API token after the system that will use it."""

    name = StringField(
        _l("Token name"),
        widget=GovTextInput(),
        validators=[
            InputRequired(message=_l("Enter a name for the token")),
            Length(max=60, message=_l("The token name must be 60 characters or fewer")),
        ],
    )
    submit = SubmitField(_l("Create an API token"), widget=GovSubmitInput())

    def validate_name(self, field: StringField) -> None:
        if not (field.data or "").strip():
            raise ValidationError(_("Enter a name for the token"))


def display_name_field(label: Any = None, hint: Any = None) -> StringField:
    """A staff member's name: trimmed, required, at most ``DISPLAY_NAME_MAX`` characters."""
    return StringField(
        label or _l("Name"),
        description=hint or "",
        widget=GovTextInput(),
        filters=[clean_display_name],
        validators=[DataRequired(message=_l("Enter a name")), MaxLength(DISPLAY_NAME_MAX)],
    )


class DisplayNameForm(FlaskForm):
    """Change a name (one's own on the account page, or anyone's as an administrator). ``seen`` carries the name the
    form started from, so that a change made meanwhile by someone else is refused rather than overwritten."""

    display_name = display_name_field(hint=_l("As colleagues know you. It is shown on cases, lists and histories."))
    seen = HiddenField()
    submit = SubmitField(_l("Save name"), widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token and a button (sign out, revoke)."""

    submit = SubmitField(_l("Confirm"), widget=GovSubmitInput())


class LanguageForm(FlaskForm):
    """The language of the service on one's own account; the choices are set for the person (court staff may also
    keep their court's default)."""

    language = RadioField(
        _l("Language"),
        choices=[],
        validate_choice=False,
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Select the language you want to use"))],
    )
    submit = SubmitField(_l("Save language"), widget=GovSubmitInput())

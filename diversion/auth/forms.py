"""Sign-in forms. Validation messages follow the GOV.UK Design System's wording."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from diversion.auth.models import DISPLAY_NAME_MAX
from diversion.auth.names import NAME_MISSING, clean_display_name
from diversion.forms import MaxLength


class LoginForm(FlaskForm):
    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter your email address"), MaxLength(254)],
    )
    password = PasswordField(
        "Password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your password"), MaxLength(256)],
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class CodeForm(FlaskForm):
    code = StringField(
        "Security code",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the security code"), MaxLength(20)],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter a new password"), MaxLength(256)],
    )
    confirm = PasswordField(
        "Confirm new password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Confirm your new password"), MaxLength(256)],
    )
    submit = SubmitField("Save password", widget=GovSubmitInput())


class TokenForm(FlaskForm):
    """Name a new API token after the system that will use it."""

    name = StringField(
        "Token name",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter a name for the token"),
            Length(max=60, message="The token name must be 60 characters or fewer"),
        ],
    )
    submit = SubmitField("Create an API token", widget=GovSubmitInput())

    def validate_name(self, field: StringField) -> None:
        if not (field.data or "").strip():
            raise ValidationError("Enter a name for the token")


def display_name_field(label: str = "Name", hint: str | None = None) -> StringField:
    """A staff member's name: trimmed, required, at most ``DISPLAY_NAME_MAX`` characters."""
    return StringField(
        label,
        description=hint or "",
        widget=GovTextInput(),
        filters=[clean_display_name],
        validators=[DataRequired(message=NAME_MISSING), MaxLength(DISPLAY_NAME_MAX)],
    )


class DisplayNameForm(FlaskForm):
    """Change a name (one's own on the account page, or anyone's as an administrator). ``seen`` carries the name the
    form started from, so that a change made meanwhile by someone else is refused rather than overwritten."""

    display_name = display_name_field(hint="As colleagues know you. It is shown on cases, lists and histories.")
    seen = HiddenField()
    submit = SubmitField("Save name", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token and a button (sign out, revoke)."""

    submit = SubmitField("Confirm", widget=GovSubmitInput())

"""Sign-in forms. Validation messages follow the GOV.UK Design System's wording."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, ValidationError

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


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token and a button (sign out, revoke)."""

    submit = SubmitField("Confirm", widget=GovSubmitInput())

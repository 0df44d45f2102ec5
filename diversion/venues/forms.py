"""The venue form, and the retire / bring back button."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea, GovTextInput
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, StopValidation

from diversion.forms import MaxLength
from diversion.idempotency.forms import OneTimeKeyField
from diversion.venues.services import MAX_ADDRESS, MAX_NAME


class _Required(InputRequired):
    """InputRequired whose message is read in the reader's language when it is raised: plain text, so the page
    escapes it as it escapes every other error (a lazy message would reach the page as markup)."""

    def __call__(self, form, field) -> None:
        try:
            super().__call__(form, field)
        except StopValidation as stop:
            raise StopValidation(str(stop)) from None


class VenueForm(FlaskForm):
    one_time_key = OneTimeKeyField()  # a new venue's second submit adds nothing more (docs/idempotency.md)
    name = StringField(
        _l("Name"),
        widget=GovTextInput(),
        validators=[_Required(message=_l("Enter the venue's name")), MaxLength(MAX_NAME)],
    )
    address = TextAreaField(
        _l("Address"),
        widget=GovTextArea(),
        validators=[_Required(message=_l("Enter the venue's address")), MaxLength(MAX_ADDRESS)],
    )
    submit = SubmitField(_l("Save venue"), widget=GovSubmitInput())


class RetireForm(FlaskForm):
    submit = SubmitField(_l("Retire venue"), widget=GovSubmitInput())

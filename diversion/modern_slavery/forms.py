"""The form of the National Referral Mechanism task: what was done, when, and an optional note."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCharacterCount, GovRadioInput, GovSubmitInput
from wtforms import RadioField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Optional

from diversion.forms import DateInputField, MaxLength, VersionField
from diversion.modern_slavery.services import MAX_NOTE, OUTCOME_MISSING


class NrmForm(FlaskForm):
    """The outcome (choices set by the view: a Duty to Notify only for a first responder), its date and a note."""

    outcome = RadioField(
        _l("What was done?"),
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l(OUTCOME_MISSING))],
        # A choice the organisation may not make is refused by the service, in its own words.
        validate_choice=False,
    )
    date = DateInputField(_l("When was it done?"), what=_l("the date it was done"))
    note = TextAreaField(
        _l("Note (optional)"), widget=GovCharacterCount(), validators=[Optional(), MaxLength(MAX_NOTE)]
    )
    version = VersionField()
    submit = SubmitField(_l("Save"), widget=GovSubmitInput())

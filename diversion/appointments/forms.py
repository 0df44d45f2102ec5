"""Booking and outcome forms."""

from __future__ import annotations

import re
from datetime import time

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import HiddenField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Optional, ValidationError

from diversion.appointments.models import OUTCOME_LABELS
from diversion.forms import DateInputField, MaxLength, choices
from diversion.idempotency.forms import OneTimeKeyField

TIME_PATTERN = re.compile(r"^\s*(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?\s*$", re.IGNORECASE)
DURATIONS = [
    ("30", _l("30 minutes")),
    ("45", _l("45 minutes")),
    ("60", _l("1 hour")),
    ("90", _l("1 hour 30 minutes")),
    ("120", _l("2 hours")),
]


def parse_time(text: str) -> time | None:
    """A time as people type it: 10:30, 14.15, 2pm, 2:15pm. None when it is not a time."""
    match = TIME_PATTERN.match(text or "")
    if not match:
        return None
    hour, minute, half = int(match.group(1)), int(match.group(2) or 0), (match.group(3) or "").lower()
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


class BookingForm(FlaskForm):
    one_time_key = OneTimeKeyField()  # a second submit of the page books nothing more (docs/idempotency.md)
    number = HiddenField()
    supersedes = HiddenField()
    day = DateInputField(_l("Date"), what=_l("the date of the appointment"))
    time = StringField(
        _l("Time"), widget=GovTextInput(), validators=[InputRequired(message=_l("Enter the time")), MaxLength(10)]
    )
    duration = SelectField(_l("Length"), choices=choices(DURATIONS), default="60", widget=GovSelect())
    # One of the agency's venues (set by the view), or "somewhere else", typed below and kept encrypted.
    venue = SelectField(_l("Venue"), choices=[], widget=GovSelect(), validators=[Optional()])
    location = StringField(_l("Somewhere else"), widget=GovTextInput(), validators=[Optional(), MaxLength(120)])
    worker = SelectField(_l("Support worker"), choices=[], widget=GovSelect(), validators=[Optional()])
    rebook_reason = StringField(
        _l("Why is it being rebooked?"), widget=GovTextInput(), validators=[Optional(), MaxLength(200)]
    )
    override_reason = StringField(
        _l("Reason to book it anyway"), widget=GovTextInput(), validators=[Optional(), MaxLength(200)]
    )
    submit = SubmitField(_l("Book appointment"), widget=GovSubmitInput())

    def validate_time(self, field: StringField) -> None:
        if parse_time(field.data) is None:
            raise ValidationError(_l("Enter a time like 10:30 or 2:15pm"))


class OutcomeForm(FlaskForm):
    one_time_key = OneTimeKeyField()  # a second submit of the page records nothing more (docs/idempotency.md)
    outcome = RadioField(
        _l("What happened?"),
        choices=choices((outcome.value, label) for outcome, label in OUTCOME_LABELS.items()),
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Select what happened"))],
    )
    notes = TextAreaField(_l("Notes (optional)"), widget=GovCharacterCount(), validators=[Optional(), MaxLength(5000)])
    submit = SubmitField(_l("Save"), widget=GovSubmitInput())

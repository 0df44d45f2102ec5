"""The contact log's forms: logging a contact, and the filters of the log (a GET form, no CSRF: it changes nothing)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Optional, ValidationError

from diversion.appointments.forms import parse_time
from diversion.contacts.models import DIRECTION_LABELS, KIND_LABELS, Direction
from diversion.contacts.reads import RANGE_BACKWARDS
from diversion.contacts.services import DIRECTION_MISSING, KIND_MISSING, MAX_NOTE, MAX_WITH
from diversion.forms import DateInputField, MaxLength, choices
from diversion.idempotency.forms import OneTimeKeyField

# The filters' fields are prefixed, so that they never share a name or an id with the form on the same page.
FILTER_PREFIX = "filter"
ANY = ""
DIRECTION_CHOICES = [
    (Direction.IN.value, _l("Incoming: she, or someone for her, got in touch")),
    (Direction.OUT.value, _l("Outgoing: the service got in touch")),
]


class ContactForm(FlaskForm):
    one_time_key = OneTimeKeyField()  # a second submit of the page logs nothing more (docs/idempotency.md)
    kind = RadioField(
        _l("How was the contact made?"),
        choices=choices((kind.value, label) for kind, label in KIND_LABELS.items()),
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l(KIND_MISSING))],
    )
    direction = RadioField(
        _l("Who got in touch?"),
        choices=choices(DIRECTION_CHOICES),
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l(DIRECTION_MISSING))],
    )
    with_whom = StringField(
        _l("Who was it with? (optional)"), widget=GovTextInput(), validators=[Optional(), MaxLength(MAX_WITH)]
    )
    day = DateInputField(_l("Date"), what=_l("the date of the contact"))
    time = StringField(
        _l("Time"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Enter the time of the contact")), MaxLength(10)],
    )
    note = TextAreaField(
        _l("What happened? (optional)"), widget=GovCharacterCount(), validators=[Optional(), MaxLength(MAX_NOTE)]
    )
    submit = SubmitField(_l("Log contact"), widget=GovSubmitInput())

    def validate_time(self, field: StringField) -> None:
        if parse_time(field.data) is None:
            raise ValidationError(_l("Enter a time like 10:30 or 2:15pm"))


def _one_of(labels: dict[Any, Any], message: Any) -> Any:
    def check(form: Any, field: SelectField) -> None:
        if field.data not in {ANY, *(str(value) for value in labels)}:
            raise ValidationError(message)

    return check


class FilterForm(FlaskForm):
    """The log's filters, read from the query string: a GET form, so no CSRF token (it changes nothing). Dates are
    London days, both included."""

    class Meta:
        csrf = False

    kind = SelectField(
        _l("Kind"),
        choices=choices([(ANY, _l("Any kind")), *((kind.value, label) for kind, label in KIND_LABELS.items())]),
        widget=GovSelect(),
        validate_choice=False,
        validators=[_one_of(KIND_LABELS, _l("Select a kind from the list"))],
        default=ANY,
    )
    direction = SelectField(
        _l("Direction"),
        choices=choices([(ANY, _l("Either")), *((item.value, label) for item, label in DIRECTION_LABELS.items())]),
        widget=GovSelect(),
        validate_choice=False,
        validators=[_one_of(DIRECTION_LABELS, _l("Select a direction from the list"))],
        default=ANY,
    )
    from_date = DateInputField(_l("From"), what=_l("the first day"), required=False)
    to_date = DateInputField(_l("To"), what=_l("the last day"), required=False)
    submit = SubmitField(_l("Filter"), widget=GovSubmitInput())

    def validate_to_date(self, field: DateInputField) -> None:
        """The range must not end before it starts."""
        if field.data and self.from_date.data and field.data < self.from_date.data:
            raise ValidationError(_(RANGE_BACKWARDS))

"""Forms of the administrator's scheme pages and the platform operator's organisation pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovRadioInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, RadioField, SelectChoice, SelectMultipleField, StringField, SubmitField
from wtforms.validators import InputRequired

from diversion.auth.forms import display_name_field
from diversion.forms import MaxLength
from diversion.idempotency.forms import OneTimeKeyField
from diversion.organisations.models import ACCESS_LABELS, SLUG_MAX

SLUG_HINT = _l(
    "Up to %(max)d lower case letters, digits and hyphens, used on the command line. It cannot be changed.",
    max=SLUG_MAX,
)


class SchemeForm(FlaskForm):
    """A scheme's name, courts and access rule; a new one's short name and number of appointments too."""

    one_time_key = OneTimeKeyField()  # a new scheme's second submit adds nothing more (docs/idempotency.md)
    name = StringField(
        _l("Name"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Enter the scheme's name")), MaxLength(120)],
    )
    slug = StringField(_l("Short name"), widget=GovTextInput(), description=SLUG_HINT)
    courts = SelectMultipleField(_l("Courts it serves"), choices=[], widget=GovCheckboxesInput(), validate_choice=False)
    access = RadioField(
        _l("Who opens a case"),
        # The labels stay lazy, read in the reader's language when the page is drawn.
        choices=[SelectChoice(value.value, label) for value, label in ACCESS_LABELS.items()],
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose who opens a case: the team, or the worker assigned"))],
    )
    appointments = StringField(
        _l("Number of appointments"),
        widget=GovTextInput(),
        description=_l(
            "The first produces the needs assessment, the last the Care Action Plan. The scheme's manager can change "
            "the programme later."
        ),
    )
    submit = SubmitField(_l("Save scheme"), widget=GovSubmitInput())


class OrganisationForm(FlaskForm):
    """A new organisation and its first administrator."""

    one_time_key = OneTimeKeyField()  # a second submit adds no second organisation (docs/idempotency.md)
    name = StringField(
        _l("Organisation name"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Enter the organisation's name")), MaxLength(120)],
    )
    slug = StringField(_l("Short name"), widget=GovTextInput(), description=SLUG_HINT)
    admin_name = display_name_field(label=_l("Administrator's name"), hint=_l("Their name as colleagues know it."))
    admin_email = EmailField(
        _l("Administrator's email address"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Enter the administrator's email address")), MaxLength(254)],
    )
    submit = SubmitField(_l("Add organisation"), widget=GovSubmitInput())


class FirstResponderForm(FlaskForm):
    """Whether the organisation is a first responder for the National Referral Mechanism."""

    is_first_responder = RadioField(
        _l("Is your organisation a first responder for the National Referral Mechanism?"),
        choices=[SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))],
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Select yes if your organisation is a first responder"))],
    )
    submit = SubmitField(_l("Save"), widget=GovSubmitInput())

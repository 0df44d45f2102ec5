"""The CPS's acknowledgement of a notice."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput
from wtforms import RadioField, SelectChoice, SubmitField
from wtforms.validators import InputRequired

from diversion.forms import DateInputField


class AcknowledgeForm(FlaskForm):
    decision = RadioField(
        _l("The CPS's decision"),
        # Lazy labels, kept as they are (not made str here) so that each page shows them in its own language.
        choices=[
            SelectChoice("discontinued", _l("Discontinue the case")),
            SelectChoice("proceeding", _l("The prosecution proceeds")),
        ],
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Select the decision"))],
    )
    decided_on = DateInputField(_l("Date of the decision"), what=_l("the date of the decision"))
    submit = SubmitField(_l("Record decision"), widget=GovSubmitInput())


class AcknowledgeCorrectionForm(FlaskForm):
    """A correction asks for no decision: the CPS acknowledges it as read (docs/reversals.md)."""

    submit = SubmitField(_l("Acknowledge the correction"), widget=GovSubmitInput())

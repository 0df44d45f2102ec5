"""The CPS's acknowledgement of a notice."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput
from wtforms import RadioField, SubmitField
from wtforms.validators import InputRequired

from diversion.forms import DateInputField, choices


class AcknowledgeForm(FlaskForm):
    decision = RadioField(
        "The CPS's decision",
        choices=choices([("discontinued", "Discontinue the case"), ("proceeding", "The prosecution proceeds")]),
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select the decision")],
    )
    decided_on = DateInputField("Date of the decision", what="the date of the decision")
    submit = SubmitField("Record decision", widget=GovSubmitInput())


class AcknowledgeCorrectionForm(FlaskForm):
    """A correction asks for no decision: the CPS acknowledges it as read (docs/reversals.md)."""

    submit = SubmitField("Acknowledge the correction", widget=GovSubmitInput())

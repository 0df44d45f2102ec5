"""The needs assessment form: for each of the twelve domains a need level, a wellbeing score and notes."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxesInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
)
from wtforms import RadioField, SelectField, SelectMultipleField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Optional

from diversion.assessments.models import DOMAIN_LABELS, EXPLOITATION_INDICATORS, NEED_LEVELS, Domain
from diversion.forms import MaxLength, VersionField, choices

SCORES = [("", "Select a score")] + [(str(n), str(n)) for n in range(1, 11)]


class _AssessmentBase(FlaskForm):
    version = VersionField()
    risk_notes = TextAreaField(
        "Risk notes (optional)", widget=GovCharacterCount(), validators=[Optional(), MaxLength(2000)]
    )
    indicators = SelectMultipleField(
        "Signs of exploitation or trafficking",
        choices=choices(EXPLOITATION_INDICATORS),
        widget=GovCheckboxesInput(),
        validators=[Optional()],
    )
    submit = SubmitField("Save assessment", widget=GovSubmitInput())


def _build() -> type[FlaskForm]:
    fields: dict[str, Any] = {}
    for domain in Domain:
        label = DOMAIN_LABELS[domain]
        fields[f"{domain.value}_need"] = RadioField(
            f"{label}: need",
            choices=choices((str(level), f"{level}: {text}") for level, text in NEED_LEVELS.items()),
            widget=GovRadioInput(),
            validators=[InputRequired(message=f"Select the need level for {label.lower()}")],
        )
        fields[f"{domain.value}_score"] = SelectField(
            f"{label}: wellbeing score",
            choices=choices(SCORES),
            widget=GovSelect(),
            validators=[InputRequired(message=f"Give a wellbeing score from 1 to 10 for {label.lower()}")],
        )
        fields[f"{domain.value}_notes"] = TextAreaField(
            f"{label}: notes (optional)", widget=GovCharacterCount(), validators=[Optional(), MaxLength(2000)]
        )
    return type("AssessmentForm", (_AssessmentBase,), fields)


AssessmentForm = _build()

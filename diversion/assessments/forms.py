"""The needs assessment form: for each of the twelve domains a need level, a wellbeing score and notes."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
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
from diversion.assessments.services import need_missing, score_missing
from diversion.forms import MaxLength, VersionField, choices

SCORES = [("", _l("Select a score"))] + [(str(n), str(n)) for n in range(1, 11)]


class _AssessmentBase(FlaskForm):
    version = VersionField()
    risk_notes = TextAreaField(
        _l("Risk notes (optional)"), widget=GovCharacterCount(), validators=[Optional(), MaxLength(2000)]
    )
    indicators = SelectMultipleField(
        _l("Signs of exploitation or trafficking"),
        choices=choices(EXPLOITATION_INDICATORS),
        widget=GovCheckboxesInput(),
        validators=[Optional()],
    )
    submit = SubmitField(_l("Save assessment"), widget=GovSubmitInput())


def domain_fields(*, notes: bool) -> dict[str, Any]:
    """The twelve domains' fields, in the domains' order: a need level and a wellbeing score for each, and with
    ``notes`` a notes box. The assessment asks all three; the review (diversion/outcomes/forms.py) scores the
    domains again with the same questions and messages, without notes."""
    fields: dict[str, Any] = {}
    for domain in Domain:
        label = DOMAIN_LABELS[domain]
        fields[f"{domain.value}_need"] = RadioField(
            _l("%(domain)s: need", domain=label),
            choices=choices(
                (str(level), _l("%(level)s: %(need)s", level=level, need=text)) for level, text in NEED_LEVELS.items()
            ),
            widget=GovRadioInput(),
            validators=[InputRequired(message=LazyString(need_missing, domain))],
        )
        fields[f"{domain.value}_score"] = SelectField(
            _l("%(domain)s: wellbeing score", domain=label),
            choices=choices(SCORES),
            widget=GovSelect(),
            validators=[InputRequired(message=LazyString(score_missing, domain))],
        )
        if notes:
            fields[f"{domain.value}_notes"] = TextAreaField(
                _l("%(domain)s: notes (optional)", domain=label),
                widget=GovCharacterCount(),
                validators=[Optional(), MaxLength(2000)],
            )
    return fields


def with_domains(name: str, base: type[FlaskForm], *, notes: bool) -> type[FlaskForm]:
    """A form class named ``name``: ``base``'s fields, then the twelve domains' (``domain_fields``)."""
    return type(name, (base,), domain_fields(notes=notes))


AssessmentForm = with_domains("AssessmentForm", _AssessmentBase, notes=True)

"""The Care Action Plan form. Works without JavaScript: a fixed number of goal and action rows, blank rows
ignored, and one status per onward-referral service."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
)
from wtforms import BooleanField, SelectField, SubmitField, TextAreaField
from wtforms.validators import Optional

from diversion.assessments.models import DOMAIN_LABELS
from diversion.care_plans.models import ACTION_OWNERS, ACTION_STATUSES, ONWARD_STATUSES, SERVICE_LABELS
from diversion.forms import DateInputField, MaxLength, VersionField, choices

GOAL_SLOTS = 5
ACTION_SLOTS = 3


class _PlanBase(FlaskForm):
    version = VersionField()
    notes = TextAreaField(_l("Notes (optional)"), widget=GovCharacterCount(), validators=[Optional(), MaxLength(5000)])
    agreed = BooleanField(_l("She agrees to this plan"), widget=GovCheckboxInput())
    submit = SubmitField(_l("Save plan"), widget=GovSubmitInput())


def _build() -> type[FlaskForm]:
    fields: dict[str, Any] = {}
    for g in range(GOAL_SLOTS):
        fields[f"goal{g}_domain"] = SelectField(
            _l("Goal %(goal)s: needs domain", goal=g + 1),
            choices=choices([("", _l("Not used")), *((code.value, label) for code, label in DOMAIN_LABELS.items())]),
            widget=GovSelect(),
            validators=[Optional()],
        )
        fields[f"goal{g}_text"] = TextAreaField(
            _l("Goal %(goal)s", goal=g + 1), widget=GovTextArea(), validators=[Optional(), MaxLength(1000)]
        )
        for a in range(ACTION_SLOTS):
            prefix = f"goal{g}_action{a}"
            fields[f"{prefix}_text"] = TextAreaField(
                _l("Goal %(goal)s, action %(action)s", goal=g + 1, action=a + 1),
                widget=GovTextArea(),
                validators=[Optional(), MaxLength(1000)],
            )
            fields[f"{prefix}_owner"] = SelectField(
                _l("Goal %(goal)s, action %(action)s: who", goal=g + 1, action=a + 1),
                choices=choices(ACTION_OWNERS),
                widget=GovSelect(),
                validators=[Optional()],
            )
            fields[f"{prefix}_due"] = DateInputField(
                _l("Goal %(goal)s, action %(action)s: due by (optional)", goal=g + 1, action=a + 1),
                what=_l("the due date"),
                required=False,
            )
            fields[f"{prefix}_status"] = SelectField(
                _l("Goal %(goal)s, action %(action)s: status", goal=g + 1, action=a + 1),
                choices=choices(ACTION_STATUSES),
                widget=GovSelect(),
                validators=[Optional()],
            )
    for service, label in SERVICE_LABELS.items():
        fields[f"onward_{service.value}"] = SelectField(
            label,
            choices=choices([("", _l("Not needed")), *ONWARD_STATUSES.items()]),
            widget=GovSelect(),
            validators=[Optional()],
        )
    return type("CarePlanForm", (_PlanBase,), fields)


CarePlanForm = _build()

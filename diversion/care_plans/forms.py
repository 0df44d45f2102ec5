"""The Care Action Plan form. Works without JavaScript: a fixed number of goal and action rows, blank rows
ignored, and one status per onward-referral service."""

from __future__ import annotations

from typing import Any

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
    notes = TextAreaField("Notes (optional)", widget=GovCharacterCount(), validators=[Optional(), MaxLength(5000)])
    agreed = BooleanField("She agrees to this plan", widget=GovCheckboxInput())
    submit = SubmitField("Save plan", widget=GovSubmitInput())


def _build() -> type[FlaskForm]:
    fields: dict[str, Any] = {}
    for g in range(GOAL_SLOTS):
        fields[f"goal{g}_domain"] = SelectField(
            f"Goal {g + 1}: needs domain",
            choices=choices([("", "Not used"), *((code.value, label) for code, label in DOMAIN_LABELS.items())]),
            widget=GovSelect(),
            validators=[Optional()],
        )
        fields[f"goal{g}_text"] = TextAreaField(
            f"Goal {g + 1}", widget=GovTextArea(), validators=[Optional(), MaxLength(1000)]
        )
        for a in range(ACTION_SLOTS):
            prefix = f"goal{g}_action{a}"
            fields[f"{prefix}_text"] = TextAreaField(
                f"Goal {g + 1}, action {a + 1}", widget=GovTextArea(), validators=[Optional(), MaxLength(1000)]
            )
            fields[f"{prefix}_owner"] = SelectField(
                f"Goal {g + 1}, action {a + 1}: who",
                choices=choices(ACTION_OWNERS),
                widget=GovSelect(),
                validators=[Optional()],
            )
            fields[f"{prefix}_due"] = DateInputField(
                f"Goal {g + 1}, action {a + 1}: due by (optional)", what="the due date", required=False
            )
            fields[f"{prefix}_status"] = SelectField(
                f"Goal {g + 1}, action {a + 1}: status",
                choices=choices(ACTION_STATUSES),
                widget=GovSelect(),
                validators=[Optional()],
            )
    for service, label in SERVICE_LABELS.items():
        fields[f"onward_{service.value}"] = SelectField(
            label,
            choices=choices([("", "Not needed"), *ONWARD_STATUSES.items()]),
            widget=GovSelect(),
            validators=[Optional()],
        )
    return type("CarePlanForm", (_PlanBase,), fields)


CarePlanForm = _build()

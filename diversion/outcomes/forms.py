"""The review form (the twelve domains scored again) and the outcome reports' filters."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCharacterCount, GovRadioInput, GovSelect, GovSubmitInput
from wtforms import RadioField, SelectField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Optional, ValidationError

from diversion.assessments.forms import with_domains
from diversion.forms import DateInputField, MaxLength, VersionField, choices
from diversion.idempotency.forms import OneTimeKeyField
from diversion.outcomes.equality import ETHNIC_GROUPS, ethnic_group_label
from diversion.reports.forms import CompletionForm


class _ReviewBase(FlaskForm):
    # A new review's second submit saves nothing more (docs/idempotency.md); an edit is guarded by its version.
    one_time_key = OneTimeKeyField()
    version = VersionField()
    reviewed_on = DateInputField(_l("Date of the review"), what=_l("the date of the review"))
    notes = TextAreaField(_l("Notes (optional)"), widget=GovCharacterCount(), validators=[Optional(), MaxLength(2000)])
    submit = SubmitField(_l("Save review"), widget=GovSubmitInput())


ReviewForm = with_domains("ReviewForm", _ReviewBase, notes=False)


class EthnicityForm(FlaskForm):
    """Her ethnic group, for equality monitoring."""

    ethnicity = RadioField(
        _l("Which of these best describes her ethnic group?"),
        choices=choices(ETHNIC_GROUPS),
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Select her ethnic group, or that she prefers not to say"))],
    )
    submit = SubmitField(_l("Save"), widget=GovSubmitInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The groups' names in the language of the page (the class keeps the English, made at import).
        self.ethnicity.choices = choices([(code, ethnic_group_label(code)) for code in ETHNIC_GROUPS])


class OutcomesForm(CompletionForm):
    """The completion report's filters (a month, a quarter or dates; a court) and a support worker."""

    worker = SelectField(_l("Support worker"), widget=GovSelect(), validate_choice=False, default="")

    def __init__(self, formdata: Any, *, workers: list[Any], **kwargs: Any) -> None:
        super().__init__(formdata, **kwargs)
        self.worker.choices = choices(
            [("", _("All support workers")), *((str(user.id), user.display_name) for user in workers)]
        )

    def validate_worker(self, field: SelectField) -> None:
        if (field.data or "") not in self._offered(field):
            raise ValidationError(_("Select a support worker from the list"))

    def worker_id(self) -> str | None:
        """The support worker chosen (their user id), or None for all."""
        return self.worker.data or None

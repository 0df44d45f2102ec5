"""The programme screen's form: a scheme's programme as a manager edits it, and the settings and wordings it makes
(docs/organisations.md, "Programmes").

Every field is a plain input that works without JavaScript. The appointments are a number and, for each, a choice of
what it produces: when the number is changed, the page comes back with that many choices to check before it saves.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import RadioField, SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired

from diversion.errors import ValidationFailed
from diversion.forms import MaxLength, VersionField
from diversion.notifications.lead_times import LeadTime
from diversion.referrals.models import ConsentPurpose, in_a_sentence
from diversion.referrals.programme import (
    AT_RISK_DAYS,
    DEADLINE_RULES,
    MAX_LEAD_TIMES,
    MAX_STEPS,
    PRODUCTS,
    RETENTION_YEARS,
    parse_programme,
)
from diversion.referrals.wording import MAX_WORDING, check_text

# What an appointment produces, as the form names it: attendance alone is None in the settings.
ATTENDANCE = "attendance"
PRODUCT_CHOICES = {
    "assessment": PRODUCTS["assessment"],
    "care_plan": PRODUCTS["care_plan"],
    ATTENDANCE: _l("Attendance only"),
}
WORDING_FIELDS = {purpose: f"wording_{purpose.value}" for purpose in ConsentPurpose}


def _step_field(number: int) -> SelectField:
    return SelectField(
        _l("What appointment %(number)d produces", number=number),
        # The labels stay lazy, read in the reader's language when the page is drawn.
        choices=[
            SelectChoice("", _l("Choose")),
            *(SelectChoice(value, label) for value, label in PRODUCT_CHOICES.items()),
        ],
        widget=GovSelect(),
        validate_choice=False,
    )


# A consent purpose's words are read when a page is drawn, not when this module is imported, so that they are in the
# reader's language whatever ``ConsentPurpose.label`` gives.


def _purpose_label(purpose: ConsentPurpose) -> str:
    return str(purpose.label)


def _wording_missing(purpose: ConsentPurpose) -> str:
    return _("Enter the wording she is read for %(purpose)s", purpose=in_a_sentence(str(purpose.label)))


def _consent_question(purpose: ConsentPurpose) -> str:
    return _("Consent wording: %(purpose)s", purpose=in_a_sentence(str(purpose.label)))


def _wording_field(purpose: ConsentPurpose) -> TextAreaField:
    return TextAreaField(
        LazyString(_purpose_label, purpose),
        widget=GovCharacterCount(),
        validators=[
            InputRequired(message=LazyString(_wording_missing, purpose)),
            MaxLength(MAX_WORDING),
        ],
    )


class ProgrammeForm(FlaskForm):
    """A scheme's programme: every setting of a version, and the version the page was shown at."""

    # The number of the programme version the page was shown: a save over a newer one is a conflict (409).
    version = VersionField()
    name = StringField(
        _l("Programme name"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Enter the programme's name")), MaxLength(120)],
    )
    appointments = StringField(_l("Number of appointments"), widget=GovTextInput())
    step_1 = _step_field(1)
    step_2 = _step_field(2)
    step_3 = _step_field(3)
    step_4 = _step_field(4)
    step_5 = _step_field(5)
    step_6 = _step_field(6)
    step_7 = _step_field(7)
    step_8 = _step_field(8)
    step_9 = _step_field(9)
    step_10 = _step_field(10)
    deadline = RadioField(
        _l("Deadline"),
        choices=[SelectChoice(value, label) for value, label in DEADLINE_RULES.items()],
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose the deadline rule"))],
    )
    at_risk_working_days = StringField(_l("At-risk working days"), widget=GovTextInput())
    reminder_lead_times = StringField(_l("Reminder lead times (optional)"), widget=GovTextInput())
    retention_years = StringField(_l("Retention period, in years"), widget=GovTextInput())
    wording_support = _wording_field(ConsentPurpose.SUPPORT)
    wording_share_with_court_cps = _wording_field(ConsentPurpose.SHARE_WITH_COURT_CPS)
    wording_reminders = _wording_field(ConsentPurpose.REMINDERS)
    wording_equality_monitoring = _wording_field(ConsentPurpose.EQUALITY_MONITORING)
    submit = SubmitField(_l("Save the programme"), widget=GovSubmitInput())

    def step_fields(self) -> list[Any]:
        """The appointments' choices to show: as many as the number of appointments (kept within bounds)."""
        return [self[f"step_{number}"] for number in range(1, self.shown_steps() + 1)]

    def shown_steps(self) -> int:
        count = _whole(self.appointments.data, (1, MAX_STEPS))
        if count is not None:
            return count
        filled = [number for number in range(1, MAX_STEPS + 1) if self[f"step_{number}"].data]
        return max(filled, default=1)

    def wording_fields(self) -> list[Any]:
        """The four wordings' fields, in the purposes' order."""
        return [self[name] for name in WORDING_FIELDS.values()]


# --- the programme as the form's values, and back ---

QUESTIONS = (
    ("name", _l("Programme name")),
    ("steps", _l("Appointments")),
    ("deadline", _l("Deadline")),
    ("at_risk_working_days", _l("At-risk working days")),
    ("reminder_lead_times", _l("Reminder lead times")),
    ("retention_years", _l("Retention period, in years")),
    *((name, LazyString(_consent_question, purpose)) for purpose, name in WORDING_FIELDS.items()),
)


def values_of(settings: dict[str, Any], wordings: dict[ConsentPurpose, str]) -> dict[str, str]:
    """A version's settings and wordings as the form's answers, one text per question (the steps as their products
    in order, "assessment,attendance,care_plan")."""
    values = {
        "name": str(settings["name"]),
        "steps": ",".join(step.get("produces") or ATTENDANCE for step in settings["steps"]),
        "deadline": str(settings["deadline"]),
        "at_risk_working_days": str(settings["at_risk_working_days"]),
        "reminder_lead_times": ", ".join(settings["reminder_lead_times"]),
        "retention_years": str(settings["retention_years"]),
    }
    values.update({name: wordings[purpose] for purpose, name in WORDING_FIELDS.items()})
    return values


def answers_of(form: ProgrammeForm) -> dict[str, str]:
    """What the form holds, one text per question."""
    values = {name: (form[name].data or "").strip() for name, _label in QUESTIONS if name != "steps"}
    values["steps"] = ",".join((field.data or "") for field in form.step_fields())
    return values


def put(form: ProgrammeForm, values: dict[str, str]) -> None:
    """Fill the form with answers (a version's, or those chosen after a conflict)."""
    for name, value in values.items():
        if name == "steps":
            products = [item for item in value.split(",") if item] if value else []
            form.appointments.data = str(len(products)) if products else ""
            for number in range(1, MAX_STEPS + 1):
                form[f"step_{number}"].data = products[number - 1] if number <= len(products) else ""
        else:
            form[name].data = value


def shown(name: str, value: str) -> str:
    """An answer as the conflict table shows it."""
    if value == "":
        return _("Not given")
    if name == "steps":
        products = value.split(",")
        parts = [f"{number}: {str(PRODUCT_CHOICES.get(item, item)).lower()}" for number, item in enumerate(products, 1)]
        return ngettext(
            "%(num)d appointment (%(steps)s)", "%(num)d appointments (%(steps)s)", len(products), steps="; ".join(parts)
        )
    if name == "deadline":
        return DEADLINE_RULES.get(value, value)
    if name == "reminder_lead_times":
        try:
            return "; ".join(lead_time.label for lead_time in lead_times_of(value))
        except ValueError:
            return value
    return value


def lead_times_of(value: str) -> list[LeadTime]:
    """Lead times typed as codes, separated by commas (none for an empty answer); ValueError for one unreadable."""
    return [LeadTime.parse(code) for code in value.replace(";", ",").split(",") if code.strip()]


def _whole(value: Any, bounds: tuple[int, int]) -> int | None:
    text = str(value or "").strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 4):
        return None
    number = int(text)
    return number if bounds[0] <= number <= bounds[1] else None


def settings_from(form: ProgrammeForm) -> tuple[dict[str, Any], dict[ConsentPurpose, str]] | None:
    """The settings and wordings the form says, or None with an error on each field that breaks a rule (the
    form's own validators have run)."""
    errors: dict[str, str] = {}
    count = _whole(form.appointments.data, (1, MAX_STEPS))
    steps: list[dict[str, Any]] = []
    if count is None:
        errors["appointments"] = _("Enter the number of appointments, a whole number from 1 to %(max)d", max=MAX_STEPS)
    else:
        beyond = [number for number in range(count + 1, MAX_STEPS + 1) if form[f"step_{number}"].data]
        if beyond:
            # The page showed more appointments than she asks for now: she checks the ones that stay, then saves.
            errors["appointments"] = _(
                "You changed the number of appointments to %(count)d: check what each produces, then save again",
                count=count,
            )
        for number in range(1, count + 1):
            product = form[f"step_{number}"].data or ""
            if product not in PRODUCT_CHOICES:
                errors[f"step_{number}"] = _("Choose what appointment %(number)d produces", number=number)
                continue
            steps.append({"number": number, "produces": None if product == ATTENDANCE else product})
        if not errors:
            errors.update(_step_rules(steps))
    at_risk = _whole(form.at_risk_working_days.data, AT_RISK_DAYS)
    if at_risk is None:
        errors["at_risk_working_days"] = _(
            "Enter the at-risk working days, a whole number from %(low)d to %(high)d",
            low=AT_RISK_DAYS[0],
            high=AT_RISK_DAYS[1],
        )
    retention = _whole(form.retention_years.data, RETENTION_YEARS)
    if retention is None:
        errors["retention_years"] = _(
            "Enter the retention period, a whole number of years from %(low)d to %(high)d",
            low=RETENTION_YEARS[0],
            high=RETENTION_YEARS[1],
        )
    codes: list[str] = []
    try:
        codes = [lead_time.code for lead_time in lead_times_of(form.reminder_lead_times.data or "")]
    except ValueError:
        errors["reminder_lead_times"] = _("Enter each reminder lead time like 1d@10:00, 2h or 90m, separated by commas")
    else:
        if len(codes) > MAX_LEAD_TIMES:
            errors["reminder_lead_times"] = _("Enter at most %(max)d reminder lead times", max=MAX_LEAD_TIMES)
        elif len(set(codes)) != len(codes):
            errors["reminder_lead_times"] = _("Enter each reminder lead time once")
    if not " ".join((form.name.data or "").split()):
        errors["name"] = _("Enter the programme's name")
    for purpose, name in WORDING_FIELDS.items():
        if form[name].data is not None and not form[name].errors:
            try:
                check_text(purpose, form[name].data)
            except ValidationFailed as error:
                errors[name] = error.fields[name]
    for name, message in errors.items():
        if message not in (form[name].errors or []):
            form[name].errors = [*list(form[name].errors or []), message]
    if errors or form.errors:
        return None
    settings: dict[str, Any] = {
        "name": " ".join((form.name.data or "").split()),
        "steps": steps,
        "deadline": form.deadline.data,
        "at_risk_working_days": at_risk,
        "reminder_lead_times": codes,
        "retention_years": retention,
    }
    parse_programme(settings)  # the same rules as every saved version: nothing above lets through what it refuses
    wordings = {purpose: form[name].data or "" for purpose, name in WORDING_FIELDS.items()}
    return settings, wordings


def _step_rules(steps: list[dict[str, Any]]) -> dict[str, str]:
    """What a case's progress needs of the steps: the needs assessment at appointment 1 (the case is assessed once
    it is done), and at most one Care Action Plan, after it (a case has one of each)."""
    errors = {}
    if steps[0]["produces"] != "assessment":
        errors["step_1"] = _("Appointment 1 must produce the needs assessment")
    for step in steps[1:]:
        if step["produces"] == "assessment":
            errors[f"step_{step['number']}"] = _(
                "Only appointment 1 produces the needs assessment: choose another for appointment %(number)d",
                number=step["number"],
            )
    plans = [step["number"] for step in steps if step["produces"] == "care_plan"]
    for number in plans[1:]:
        errors[f"step_{number}"] = _(
            "Only one appointment produces the Care Action Plan: appointment %(number)d does", number=plans[0]
        )
    return errors

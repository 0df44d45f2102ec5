"""Form pieces shared by every domain: the GOV.UK date input, and showing a service's refusal on a form.

The date input reads three inputs named ``<name>-day``, ``<name>-month`` and ``<name>-year``. Any of them may be
missing from a POST (a hand-made request, a browser extension): that is a validation message, never an error page.
Messages follow the GOV.UK Design System's date input guidance, and every one names the date it is about ("The
year of the return date must include 4 numbers"). Only dates from 1900 to 2100 are taken (docs/court-dates.md).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import render_template_string
from flask_babel import LazyString, format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import Field, HiddenField, SelectChoice
from wtforms.utils import unset_value
from wtforms.validators import StopValidation, ValidationError

from diversion.dates import out_of_range_message, within_service_years
from diversion.errors import DomainError

PARTS = ("day", "month", "year")
PART_LABELS = {"day": _l("Day"), "month": _l("Month"), "year": _l("Year")}
_TEMPLATE = """{% from 'govuk_frontend_jinja/components/date-input/macro.html' import govukDateInput %}
{{ govukDateInput(params) }}"""


class GovDateParts:
    """Renders a DateInputField with the GOV.UK date input component, errors and hints included."""

    def __call__(self, field: DateInputField, **kwargs: Any) -> Markup:
        params: dict[str, Any] = dict(kwargs.get("params", {}))
        error_parts = field.error_parts if field.errors else ()
        items = []
        for part, width in zip(PARTS, (2, 2, 4), strict=True):
            classes = f"govuk-input--width-{width}"
            if part in error_parts:
                classes += " govuk-input--error"
            items.append(
                {
                    "id": f"{field.id}-{part}",
                    "name": part,
                    "label": str(PART_LABELS[part]),
                    "value": field.parts.get(part, ""),
                    "classes": classes,
                    "inputmode": "numeric",
                    **({"autocomplete": f"bday-{part}"} if field.autocomplete_bday else {}),
                }
            )
        params.setdefault("id", field.id)
        params.setdefault("namePrefix", field.name)
        params["items"] = items
        legend = {"text": str(field.label.text), "classes": "govuk-fieldset__legend--s"}
        params.setdefault("fieldset", {"legend": legend})
        if field.errors:
            params["errorMessage"] = {"text": field.errors[0]}
        return Markup(render_template_string(_TEMPLATE, params=params))  # noqa: S704 - rendered by Jinja with autoescape


class DateInputField(Field):
    """A date typed as day, month and year, as people write dates (not a date picker)."""

    widget = GovDateParts()

    def __init__(
        self,
        label: str | None = None,
        validators: Any = None,
        *,
        required: bool = True,
        what: str | None = None,
        autocomplete_bday: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(label, validators, **kwargs)
        self.required = required
        self._what = what
        self._label = label
        self.autocomplete_bday = autocomplete_bday
        self.parts: dict[str, str] = {}
        self.error_parts: tuple[str, ...] = ()
        self._problem: str | None = None

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        self.process_errors = []
        if data is unset_value:
            data = self.default() if callable(self.default) else self.default
        self.object_data = data
        self.data = data if isinstance(data, date) else None
        self.parts = (
            {"day": str(data.day), "month": str(data.month), "year": str(data.year)}
            if isinstance(data, date)
            else dict.fromkeys(PARTS, "")
        )
        self._problem = None
        if formdata is None:
            return
        self.parts = {part: str(formdata.get(f"{self.name}-{part}", "") or "").strip()[:8] for part in PARTS}
        self.raw_data = [self.parts[part] for part in PARTS]
        self.data = None
        self._parse()

    @property
    def what(self) -> str:
        """The date named in its messages, in the reader's language: "the return date"."""
        if self._what:
            return str(self._what)
        return str(self._label or _("the date")).lower()

    def _parse(self) -> None:
        what = self.what
        # Each message names the date in the middle of a sentence (what) or at its start (What).
        names = {"what": what, "What": f"{what[:1].upper()}{what[1:]}"}
        missing = [part for part in PARTS if not self.parts[part]]
        if len(missing) == 3:
            if self.required:
                self._problem, self.error_parts = _("Enter %(what)s", **names), PARTS
            return
        if missing:
            if missing == ["day"]:
                problem = _("%(What)s must include a day", **names)
            elif missing == ["month"]:
                problem = _("%(What)s must include a month", **names)
            elif missing == ["year"]:
                problem = _("%(What)s must include a year", **names)
            elif missing == ["day", "month"]:
                problem = _("%(What)s must include a day and month", **names)
            elif missing == ["day", "year"]:
                problem = _("%(What)s must include a day and year", **names)
            else:
                problem = _("%(What)s must include a month and year", **names)
            self._problem, self.error_parts = problem, tuple(missing)
            return
        if not all(self.parts[part].isdigit() for part in PARTS):
            bad = tuple(part for part in PARTS if not self.parts[part].isdigit())
            self._problem, self.error_parts = _("%(What)s must be a real date", **names), bad
            return
        if len(self.parts["year"]) != 4:
            self._problem, self.error_parts = _("The year of %(what)s must include 4 numbers", **names), ("year",)
            return
        try:
            day = date(int(self.parts["year"]), int(self.parts["month"]), int(self.parts["day"]))
        except ValueError:
            self._problem, self.error_parts = _("%(What)s must be a real date", **names), PARTS
            return
        if not within_service_years(day):
            # Year 0001 or 9999 would overflow the arithmetic of any page that works with the day.
            self._problem, self.error_parts = out_of_range_message(what), ("year",)
            return
        self.data = day

    def pre_validate(self, form: Any) -> None:
        if self._problem:
            raise StopValidation(self._problem)

    def _value(self) -> str:
        return self.data.isoformat() if self.data else ""


class VersionField(HiddenField):
    """The version of the record the page was shown, sent back with the form: a whole number, or None when it is
    missing or not a number (the service then takes the change as made on the record as it is now, which is what a
    request without a version means)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            self.data = int(str(valuelist[0])) if valuelist else None
        except ValueError:
            self.data = None


def iso_date(value: str) -> date:
    """A day from a query string (``?date=2026-12-01``), for ``request.args.get(name, type=iso_date)``: ValueError,
    so the default is taken, for anything else, a day outside 1900 to 2100 (which no page can use) included."""
    day = date.fromisoformat(value)
    if not within_service_years(day):
        raise ValueError(value)
    return day


class MaxLength:
    """At most ``limit`` characters, said as GOV.UK says it and naming the field: "Place must be 120 characters or
    fewer" (WTForms' Length says "Field cannot be longer than 120 characters", whichever field it is). A field whose
    label is a question gets "The answer must be ...", shown beside the question."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.field_flags = {"maxlength": limit}

    def __call__(self, form: Any, field: Field) -> None:
        if len(field.data or "") <= self.limit:
            return
        optional = " " + _("(optional)")
        label = str(field.label.text).removesuffix(" (optional)").removesuffix(optional).strip()
        what = _("The answer") if label.endswith("?") or not label else label
        raise ValidationError(
            _("%(what)s must be %(limit)s characters or fewer", what=what, limit=format_number(self.limit))
        )


def apply_errors(form: Any, error: DomainError, default: str) -> None:
    """Show a service's refusal on the fields it names (or on ``default``), for the error summary."""
    for name, message in (error.fields or {default: error.message}).items():
        field = getattr(form, name.split(".")[0], None) or getattr(form, default)
        field.errors = [*list(field.errors or []), message]


def choices(pairs: Any) -> list[SelectChoice]:
    """Radio or select options from (value, label) pairs or a dict, as WTForms wants them."""
    items = pairs.items() if isinstance(pairs, dict) else pairs
    # A lazy label stays lazy: choices made at import are read in the reader's language when the page is drawn.
    return [SelectChoice(str(value), label if isinstance(label, LazyString) else str(label)) for value, label in items]


def error_summary(form: Any) -> dict[str, Any]:
    """Parameters for the GOV.UK error summary: one link per field in error, to the input that needs fixing
    (the first wrong part of a date, the first option of radios)."""
    items = []
    for field in form:
        if not field.errors:
            continue
        target = f"{field.id}-{(field.error_parts or PARTS)[0]}" if isinstance(field, DateInputField) else field.id
        items.append({"text": field.errors[0], "href": f"#{target}"})
    # Problems that are not one field's, linked to where they are shown (a stale save: diversion/conflicts.py).
    items = [*getattr(form, "extra_summary", []), *items]
    return {"titleText": _("There is a problem"), "errorList": items}

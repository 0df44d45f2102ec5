"""The completion report's filters: a GET form (it changes nothing, so no CSRF token)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput
from wtforms import HiddenField, SelectField, SubmitField
from wtforms.validators import AnyOf, ValidationError

from diversion.courts.models import Court
from diversion.forms import DateInputField, choices
from diversion.reports.scope import ReportChoice
from diversion.reports.services import (
    Period,
    check_period,
    month_period,
    quarter_of,
    quarter_period,
)

PERIOD_KINDS = {"month": _l("Month"), "quarter": _l("Quarter"), "custom": _l("Dates you choose")}
MONTHS_OFFERED = 60
QUARTERS_OFFERED = 20
MONTH_VALUE = re.compile(r"^(\d{4})-(\d{2})$")
QUARTER_VALUE = re.compile(r"^(\d{4})-Q([1-4])$")
# The fields that belong to each kind of period; the others' problems are not this request's.
KIND_FIELDS = {"month": ("month",), "quarter": ("quarter",), "custom": ("start", "end")}


def month_value(year: int, month: int) -> str:
    """2026-03."""
    return f"{year:04d}-{month:02d}"


def quarter_value(year: int, quarter: int) -> str:
    """2026-Q1."""
    return f"{year:04d}-Q{quarter}"


def recent_months(today: date, count: int = MONTHS_OFFERED) -> list[tuple[str, str]]:
    """The current month and the ones before it, newest first, as (value, label)."""
    found = []
    year, month = today.year, today.month
    for _step in range(count):
        found.append((month_value(year, month), month_period(year, month).label))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return found


def recent_quarters(today: date, count: int = QUARTERS_OFFERED) -> list[tuple[str, str]]:
    """The current quarter and the ones before it, newest first, as (value, label)."""
    found = []
    year, quarter = quarter_of(today)
    for _step in range(count):
        found.append((quarter_value(year, quarter), quarter_period(year, quarter).label))
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    return found


class CompletionForm(FlaskForm):
    """Which period (a month, a quarter or dates), which court (not shown to court users) and which scheme (shown to
    support staff with more than one)."""

    class Meta:
        csrf = False

    # The kind of period is chosen with the links above the form (no conditionally revealed fields: GOV.UK Frontend
    # marks those radios with aria-expanded, which axe refuses); the form carries it as a hidden field.
    period = HiddenField(
        default="quarter",
        validators=[AnyOf(list(PERIOD_KINDS), message=_l("Choose a month, a quarter or dates of your own"))],
    )
    month = SelectField(_l("Month"), widget=GovSelect(), validate_choice=False)
    quarter = SelectField(_l("Quarter"), widget=GovSelect(), validate_choice=False)
    start = DateInputField(_l("Start date"), what=_l("the start date"), required=False)
    end = DateInputField(_l("End date"), what=_l("the end date"), required=False)
    court = SelectField(_l("Court"), widget=GovSelect(), validate_choice=False, default="")
    # Which of her schemes (support staff with more than one): checked by diversion.reports.scope.choose, which
    # answers 404 for a scheme that is not hers (the list never offers one, so only an edited address names it).
    scheme = SelectField(_l("Scheme"), widget=GovSelect(), validate_choice=False, default="")
    submit = SubmitField(_l("Show figures"), widget=GovSubmitInput())

    def __init__(
        self,
        formdata: Any,
        *,
        today: date,
        courts: list[Court] | None,
        choice: ReportChoice | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(formdata, **kwargs)
        months, quarters = recent_months(today), recent_quarters(today)
        self.month.choices = choices(months)
        self.quarter.choices = choices(quarters)
        if self.month.data is None:
            self.month.data = months[0][0]
        if self.quarter.data is None:
            self.quarter.data = quarters[0][0]
        if formdata is None or not any(str(name).startswith(("start-", "end-")) for name in formdata):
            # Dates not asked for yet (the "dates you choose" link): start from the current quarter's.
            current = quarter_period(*quarter_of(today))
            self.start.process(None, current.start)
            self.end.process(None, current.end)
        if courts is None:
            # A court user's report is always their own court's: there is nothing to choose.
            del self.court
        else:
            self.court.choices = choices([("", _("All courts")), *((court.code, court.name) for court in courts)])
        if choice is None or not choice.is_choosable:
            # One scheme (or a court's report): nothing to choose.
            del self.scheme
        else:
            self.scheme.choices = choices(
                [("", choice.shown_all_label), *((scheme.slug, scheme.name) for scheme in choice.offered)]
            )
            self.scheme.data = choice.slug or ""

    @property
    def kind(self) -> str:
        """The kind of period whose fields the form shows (the default when the one asked for is unknown)."""
        return self.period.data if self.period.data in PERIOD_KINDS else "quarter"

    def _offered(self, field: SelectField) -> set[str]:
        return {str(choice.value) for choice in field.choices or []}

    def validate_month(self, field: SelectField) -> None:
        if self.period.data == "month" and field.data not in self._offered(field):
            raise ValidationError(_("Select a month from the list"))

    def validate_quarter(self, field: SelectField) -> None:
        if self.period.data == "quarter" and field.data not in self._offered(field):
            raise ValidationError(_("Select a quarter from the list"))

    def validate_start(self, field: DateInputField) -> None:
        if self.period.data == "custom" and field.data is None:
            raise ValidationError(_("Enter the start date"))

    def validate_end(self, field: DateInputField) -> None:
        if self.period.data == "custom" and field.data is None:
            raise ValidationError(_("Enter the end date"))

    def validate_court(self, field: SelectField) -> None:
        if (field.data or "") not in self._offered(field):
            raise ValidationError(_("Select a court from the list"))

    def validate(self, extra_validators: Any = None) -> bool:
        """Check the fields of the kind of period chosen; what is typed under the other kinds is left alone."""
        super().validate(extra_validators)
        ignored = {name for kind, names in KIND_FIELDS.items() if kind != self.period.data for name in names}
        for name in ignored:
            self[name].errors = []
        return not self.errors

    def chosen_period(self) -> Period:
        """The period asked for (the form's defaults when nothing was sent): ValidationFailed on ``to`` when custom
        dates are the wrong way round or too far apart."""
        kind = self.period.data
        if kind == "month":
            year, month = MONTH_VALUE.match(self.month.data).groups()  # type: ignore[union-attr, arg-type]
            return month_period(int(year), int(month))
        if kind == "custom":
            return check_period(self.start.data, self.end.data, "custom")
        year, quarter = QUARTER_VALUE.match(self.quarter.data).groups()  # type: ignore[union-attr, arg-type]
        return quarter_period(int(year), int(quarter))

    def court_code(self) -> str | None:
        """The court chosen, or None for every court (and for court users, who have no choice)."""
        field = self._fields.get("court")
        return (field.data or None) if field is not None else None

    @staticmethod
    def link_args(period: Period, court_code: str | None, scheme: str | None = None) -> dict[str, str]:
        """The query string that asks for this period, court and scheme again (for the chart, the CSV, and
        links)."""
        args: dict[str, str] = {"period": period.kind}
        if period.kind == "month":
            args["month"] = month_value(period.start.year, period.start.month)
        elif period.kind == "quarter":
            args["quarter"] = quarter_value(*quarter_of(period.start))
        else:
            for name, day in (("start", period.start), ("end", period.end)):
                args.update(
                    {f"{name}-day": str(day.day), f"{name}-month": str(day.month), f"{name}-year": str(day.year)}
                )
        if court_code:
            args["court"] = court_code
        if scheme:
            args["scheme"] = scheme
        return args

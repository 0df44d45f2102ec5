"""The completion report: periods, the figures and what each one counts, rates with a Wilson 95% interval, and the
CSV export. The figures come from a few SQL aggregates (``diversion.reports.queries``); nothing about a person is
read.

The completion rate is docs/design.md section 3's: completed / (completed + not completed + withdrawn), over cases whose
final state was reached in the period. Every figure counts by one date, named in ``FIGURES`` and printed with the
report (page, CSV and API) as ``DEFINITION``.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _

from diversion.admin.services import court_by_code
from diversion.auth.models import Role, User
from diversion.courts.models import Court
from diversion.dates import MONTHS, long_date, month_year, today
from diversion.errors import NotFound, ValidationFailed
from diversion.exports import csv_text
from diversion.extensions import db
from diversion.i18n import N_
from diversion.referrals.models import State
from diversion.reports import queries
from diversion.reports.scope import ReportChoice, SchemeRef, report_courts

Z_95 = 1.959964  # the standard normal quantile for a two-sided 95% interval
MAX_MONTHS = 120  # a period spans at most ten years of calendar months (the chart has one bar per month)
# Rates are rounded once, to this many places, and the page, the CSV and the API all show that one number (the page
# as a percentage with one decimal), so they never disagree in the last digit.
RATE_PLACES = 3


# (key, label, what it counts): the keys are the API's and the CSV's names. The words stay English here (the API, the
# CSV and its definition); ``N_`` marks them for the catalogue, and pages show them through ``shown_figures``.
FIGURES: tuple[tuple[str, str, str], ...] = (
    ("referred", N_("Referred"), N_("cases referred in the period (by referral date)")),
    ("declined", N_("Declined"), N_("cases that declined the scheme in the period (by outcome date)")),
    (
        "opted_in",
        N_("Opted in"),
        N_(
            "cases whose consent to support and to sharing their status was recorded in the period (by consent date), "
            "whatever happened to them after"
        ),
    ),
    ("completed", N_("Completed"), N_("cases that completed the programme in the period (by outcome date)")),
    (
        "not_completed",
        N_("Not completed"),
        N_("cases not completed by their return date, which fell in the period (by outcome date: the return date)"),
    ),
    ("withdrawn", N_("Withdrawn"), N_("cases withdrawn from the scheme in the period (by outcome date)")),
    (
        "in_progress",
        N_("In progress"),
        N_("cases still open at the end of the period: referred by its last day and without an outcome by then"),
    ),
)
COMPLETION_RATE_TEXT = N_(
    "completed / (completed + not completed + withdrawn), over cases whose final state was reached in the period "
    "(by outcome date); declined referrals are not in it. Its 95% interval is the Wilson score interval"
)
OPT_IN_RATE_TEXT = N_("opted in / (opted in + declined), over the decisions made in the period")
GENERAL_TEXT = N_(
    "A period includes its first and last days; dates are London dates. Rates are rounded to 3 decimal places "
    "(a percentage with 1 decimal place); a rate is not given (null in the API, blank in the CSV) when no case is in "
    "its denominator"
)
DEFINITION = (
    f"Completion rate = {COMPLETION_RATE_TEXT}. Opt-in rate = {OPT_IN_RATE_TEXT}. "
    + " ".join(f"{label}: {text}." for _, label, text in FIGURES)
    + f" {GENERAL_TEXT}."
)


def shown_figures() -> list[tuple[str, str, str]]:
    """``FIGURES`` as a page shows them: (key, label, what it counts) in the language of the page."""
    return [(key, _(label), _(text)) for key, label, text in FIGURES]


# --- periods ---


@dataclass(frozen=True)
class Period:
    """A report's period: London dates, first and last day included."""

    start: date
    end: date
    kind: str = "custom"  # month, quarter or custom: only the label depends on it

    @property
    def label(self) -> str:
        """The period as people say it: March 2026; January to March 2026; 3 January 2026 to 15 March 2026."""
        if self.kind == "month":
            return month_year(self.start)
        if self.kind == "quarter":
            return _("%(start)s to %(end)s", start=MONTHS[self.start.month - 1], end=month_year(self.end))
        return _("%(start)s to %(end)s", start=long_date(self.start), end=long_date(self.end))

    def months(self) -> Iterator[tuple[int, int]]:
        """Each calendar month the period touches, as (year, month), in order."""
        year, month = self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            yield year, month
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def month_period(year: int, month: int) -> Period:
    """A calendar month."""
    return Period(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]), "month")


def quarter_period(year: int, quarter: int) -> Period:
    """A calendar quarter (1: January to March)."""
    first = 3 * (quarter - 1) + 1
    return Period(date(year, first, 1), month_period(year, first + 2).end, "quarter")


def quarter_of(day: date) -> tuple[int, int]:
    """The (year, quarter) a date falls in."""
    return day.year, (day.month - 1) // 3 + 1


def default_period() -> Period:
    """The current calendar quarter (London), the report's period when none is asked for."""
    return quarter_period(*quarter_of(today()))


def check_period(start: date, end: date, kind: str = "custom") -> Period:
    """A period from its first and last days, or ValidationFailed on ``to`` saying why not."""
    if end < start:
        raise ValidationFailed.on("to", _("The end date must be the same as or after the start date"))
    if (end.year - start.year) * 12 + end.month - start.month + 1 > MAX_MONTHS:
        raise ValidationFailed.on("to", _("The period must be %(years)d years or shorter", years=MAX_MONTHS // 12))
    return Period(start, end, kind)


def report_court(code: str | None, user: User) -> Court | None:
    """The court a report of ``user`` is for. A court user's is her own court whatever she asks (NotFound when she
    names another, as for any object outside her scope). For others: None for every court the report counts, or
    the one named among the courts it may be narrowed to (``diversion.reports.scope.report_courts``: her schemes'
    courts, a CPS user's covered courts); NotFound for any other code, as for an unknown one."""
    missing = NotFound(_("No court has this code"), {"court": _("No court has this code")})
    court = court_by_code(code) if code else None
    if code and court is None:
        raise missing
    if Role(user.role) == Role.COURT:
        if court is not None and court.id != user.court_id:
            raise missing
        return db.session.get(Court, user.court_id) if user.court_id is not None else None
    if court is not None and court.id not in {known.id for known in report_courts(user) or ()}:
        raise missing
    return court


# --- rates ---


@dataclass(frozen=True)
class Rate:
    """A proportion with its Wilson score 95% interval; ``value`` is None when the denominator is 0."""

    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        """numerator / denominator, or None."""
        return self.numerator / self.denominator if self.denominator else None

    @property
    def interval(self) -> tuple[float, float] | None:
        """The Wilson score 95% interval, or None."""
        return wilson_interval(self.numerator, self.denominator)

    @property
    def reported(self) -> float | None:
        """The rate as reported: rounded to RATE_PLACES."""
        return rounded(self.value)

    @property
    def reported_interval(self) -> tuple[float, float] | None:
        """The interval as reported: each bound rounded to RATE_PLACES."""
        interval = self.interval
        return (round(interval[0], RATE_PLACES), round(interval[1], RATE_PLACES)) if interval else None


def wilson_interval(successes: int, total: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval for ``successes`` of ``total`` (None when total is 0): unlike the normal
    approximation it stays within 0 to 1 and is sensible for small counts and rates near 0 or 1."""
    if total <= 0:
        return None
    if not 0 <= successes <= total:
        raise ValueError("successes must be between 0 and total")
    p = successes / total
    z2 = z * z
    denominator = 1 + z2 / total
    centre = (p + z2 / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total)) / denominator
    # At 0 and at all of them the bound is exactly 0 or 1; floating point would leave it a hair inside.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == total else min(1.0, centre + half)
    return low, high


def rounded(value: float | None) -> float | None:
    """A rate as it is reported, or None."""
    return None if value is None else round(value, RATE_PLACES)


# --- the report ---


@dataclass(frozen=True)
class Figures:
    """The counts of one period and court."""

    referred: int
    declined: int
    opted_in: int
    completed: int
    not_completed: int
    withdrawn: int
    in_progress: int

    @property
    def finished(self) -> int:
        """The completion rate's denominator."""
        return self.completed + self.not_completed + self.withdrawn

    @property
    def completion(self) -> Rate:
        """Completed of finished cases."""
        return Rate(self.completed, self.finished)

    @property
    def opt_in(self) -> Rate:
        """Opted in of decisions made."""
        return Rate(self.opted_in, self.opted_in + self.declined)

    def count(self, key: str) -> int:
        """A figure by its key in FIGURES."""
        return int(getattr(self, key))


@dataclass(frozen=True)
class MonthFigures:
    """Finished cases of one calendar month (within the period)."""

    year: int
    month: int
    completed: int
    not_completed: int
    withdrawn: int

    @property
    def label(self) -> str:
        """March 2026."""
        return month_year(date(self.year, self.month, 1))

    @property
    def short_label(self) -> str:
        """Mar 2026, for the chart's axis."""
        return month_year(date(self.year, self.month, 1), short=True)

    @property
    def completion(self) -> Rate:
        """Completed of finished cases that month."""
        return Rate(self.completed, self.completed + self.not_completed + self.withdrawn)


@dataclass(frozen=True)
class CompletionReport:
    """The completion report of one period and court (None: every court), over the cases ``choice`` counts (None:
    every case, for the service's own checks), with each scheme's figures beside the total when it counts several."""

    period: Period
    court: Court | None
    figures: Figures
    choice: ReportChoice | None = None
    by_scheme: tuple[tuple[SchemeRef, Figures], ...] = ()

    @property
    def court_code(self) -> str | None:
        """The court's code, or None for every court."""
        return self.court.code if self.court else None

    @property
    def court_label(self) -> str:
        """The court's name, or "All courts"."""
        return self.court.name if self.court else _("All courts")

    @property
    def scheme_slug(self) -> str | None:
        """The scheme chosen, or None for every scheme counted."""
        return self.choice.slug if self.choice else None

    @property
    def scope_label(self) -> str | None:
        """What the report counts, as it is named: "Northgate diversion scheme", "Whole organisation: <name>";
        None for a court or CPS user's report, which is by court."""
        return self.choice.label if self.choice else None


def _figures(
    counts: dict[str, dict[int | None, int]], outcomes: dict[tuple[int | None, str], int], schemes: set[int] | None
) -> Figures:
    """The figures of some schemes (None: all rows) from the counts by scheme."""

    def of(found: dict[int | None, int]) -> int:
        return sum(number for scheme, number in found.items() if schemes is None or scheme in schemes)

    def outcome(state: State) -> int:
        return sum(
            number
            for (scheme, value), number in outcomes.items()
            if value == state.value and (schemes is None or scheme in schemes)
        )

    return Figures(
        referred=of(counts["referred"]),
        declined=outcome(State.DECLINED),
        opted_in=of(counts["opted_in"]),
        completed=outcome(State.COMPLETED),
        not_completed=outcome(State.NOT_COMPLETED),
        withdrawn=outcome(State.WITHDRAWN),
        in_progress=of(counts["in_progress"]),
    )


def completion_report(period: Period, court: Court | None, choice: ReportChoice | None = None) -> CompletionReport:
    """The figures of a period and court over the cases ``choice`` counts: four aggregate queries, by referral,
    consent and outcome dates, each grouped by scheme when the report is a manager's. The total is the sum of the
    schemes' figures, and each scheme's figures are shown beside it when there are several."""
    court_id = court.id if court else None
    counted = choice.counted if choice else None
    counts = {
        "referred": queries.referred_count(period.start, period.end, court_id, counted),
        "opted_in": queries.opted_in_count(period.start, period.end, court_id, counted),
        "in_progress": queries.in_progress_count(period.end, court_id, counted),
    }
    outcomes = queries.outcome_counts(period.start, period.end, court_id, counted)
    by_scheme: tuple[tuple[SchemeRef, Figures], ...] = ()
    if choice is not None and choice.rolls_up:
        by_scheme = tuple((scheme, _figures(counts, outcomes, {scheme.id})) for scheme in choice.schemes)
    return CompletionReport(period, court, _figures(counts, outcomes, None), choice, by_scheme)


def months_of(period: Period, court: Court | None, choice: ReportChoice | None = None) -> list[MonthFigures]:
    """Finished cases by month of outcome, every month of the period (zeros included): one aggregate query."""
    counts = queries.finished_by_month(
        period.start, period.end, court.id if court else None, choice.counted if choice else None
    )

    def of(year: int, month: int, state: State) -> int:
        return counts.get((year, month, state.value), 0)

    return [
        MonthFigures(
            year,
            month,
            of(year, month, State.COMPLETED),
            of(year, month, State.NOT_COMPLETED),
            of(year, month, State.WITHDRAWN),
        )
        for year, month in period.months()
    ]


CSV_COLUMNS = (
    "from",
    "to",
    "court",
    "scheme",
    "scope",
    *(key for key, _, _ in FIGURES),
    "completion_rate",
    "completion_rate_ci95_low",
    "completion_rate_ci95_high",
    "opt_in_rate",
    "definition",
)


def completion_csv(report: CompletionReport) -> str:
    """The report as CSV: a header row, a row of figures (rates as fractions, and the definition) for what the
    report counts, then, when it counts several schemes, a row for each. ``scheme`` is the scheme's short name (or
    "all") and ``scope`` what the row counts, as the page names it."""

    def row(figures: Figures, scheme: str, scope: str) -> list[object]:
        interval = figures.completion.reported_interval or (None, None)
        return [
            report.period.start.isoformat(),
            report.period.end.isoformat(),
            report.court_code or "all",
            scheme,
            scope,
            *(figures.count(key) for key, _, _ in FIGURES),
            figures.completion.reported,
            *interval,
            figures.opt_in.reported,
            DEFINITION,
        ]

    rows = [row(report.figures, report.scheme_slug or "all", report.scope_label or "")]
    rows += [row(figures, scheme.slug, scheme.name) for scheme, figures in report.by_scheme]
    return csv_text(CSV_COLUMNS, rows)

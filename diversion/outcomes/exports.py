"""The funder return as rows, CSV and XLSX (a figures sheet and a definitions sheet, frozen header rows, dates as
dates), written by diversion/exports.py, which makes text a spreadsheet would run as a formula plain text."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from diversion.assessments.models import DOMAIN_LABELS, Domain
from diversion.care_plans.models import SERVICE_LABELS, Service
from diversion.exports import Sheet, csv_text, xlsx_bytes
from diversion.outcomes import services
from diversion.outcomes.equality import ETHNIC_GROUPS, ethnic_group_label
from diversion.outcomes.queries import NOT_RECORDED
from diversion.outcomes.returns import ALL, SUPPRESSION_TEXT, FunderReturn

FIGURE_COLUMNS = (
    "indicator",
    "name",
    "group",
    "value",
    "numerator",
    "denominator",
    "from",
    "to",
    "scope",
    "court",
    "worker",
)
DEFINITION_COLUMNS = ("indicator", "name", "format", "definition", "numerator", "denominator", "by")


def group_label(by: str | None, group: str) -> str:
    """A group's name as people say it."""
    if group == ALL:
        return "All"
    if group == NOT_RECORDED:
        return "Not recorded"
    if by == "service":
        return SERVICE_LABELS[Service(group)]
    if by == "domain":
        return DOMAIN_LABELS[Domain(group)]
    if by == "ethnicity":
        return ETHNIC_GROUPS.get(group, group)
    return group


def shown_group_label(by: str | None, group: str) -> str:
    """A group's name as a page shows it, in the language of the page (``group_label`` is the exports' English)."""
    if group == ALL:
        return _("All")
    if group == NOT_RECORDED:
        return _("Not recorded")
    if by == "ethnicity":
        return ethnic_group_label(group)
    return group_label(by, group)


def figure_rows(report: FunderReturn, court: str | None, worker: str | None, scope: str | None) -> list[list[Any]]:
    """One row per indicator cell: key, name, group, value, numerator, denominator, period, what the return counts
    (its scope: "Northgate diversion scheme", "Whole organisation: <name>"), court, worker."""
    rows = []
    for item in report.figures:
        for cell in item.cells:
            rows.append(
                [
                    item.indicator.key,
                    item.indicator.name,
                    group_label(item.indicator.by, cell.group),
                    cell.value,
                    cell.numerator,
                    cell.denominator,
                    report.period.start,
                    report.period.end,
                    scope or "",
                    court or "All courts",
                    worker or "All support workers",
                ]
            )
    return rows


def definition_rows(report: FunderReturn) -> list[list[Any]]:
    """One row per indicator: what it is and which measures make it, then each measure's own definition."""
    rows: list[list[Any]] = []
    for item in report.figures:
        indicator = item.indicator
        rows.append(
            [
                indicator.key,
                indicator.name,
                indicator.format,
                indicator.definition,
                services.MEASURES[indicator.numerator].text,
                services.MEASURES[indicator.denominator].text if indicator.denominator else "",
                indicator.by or "",
            ]
        )
    rows.append(
        ["suppression", "Small numbers", "", SUPPRESSION_TEXT if report.is_suppressed else "Not applied", "", "", ""]
    )
    return rows


def return_csv(report: FunderReturn, court: str | None, worker: str | None, scope: str | None) -> str:
    """The figures as CSV: a header row, one row per indicator cell."""
    return csv_text(FIGURE_COLUMNS, figure_rows(report, court, worker, scope))


def return_xlsx(report: FunderReturn, court: str | None, worker: str | None, scope: str | None) -> bytes:
    """The return as an XLSX workbook: Figures and Definitions sheets, header rows frozen, dates as dates."""
    return xlsx_bytes(
        [
            Sheet(
                "Figures",
                FIGURE_COLUMNS,
                figure_rows(report, court, worker, scope),
                widths=(24, 48, 32, 10, 12, 12, 12, 12, 36, 24, 28),
                date_columns=(7, 8),
            ),
            Sheet("Definitions", DEFINITION_COLUMNS, definition_rows(report), widths=(24, 48, 10, 80, 60, 60, 12)),
        ]
    )

"""The funder return as rows, CSV and XLSX (a figures sheet and a definitions sheet, frozen header rows, dates as
dates). Cells a spreadsheet would run as formulas are made plain text."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from diversion.assessments.models import DOMAIN_LABELS, Domain
from diversion.care_plans.models import SERVICE_LABELS, Service
from diversion.outcomes import services
from diversion.outcomes.equality import ETHNIC_GROUPS
from diversion.outcomes.queries import NOT_RECORDED
from diversion.outcomes.returns import ALL, SUPPRESSION_TEXT, FunderReturn
from diversion.reports.services import formula_safe

FIGURE_COLUMNS = ("indicator", "name", "group", "value", "numerator", "denominator", "from", "to", "court", "worker")
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


def figure_rows(report: FunderReturn, court: str | None, worker: str | None) -> list[list[Any]]:
    """One row per indicator cell: key, name, group, value, numerator, denominator, period, court, worker."""
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


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(formula_safe(value))


def return_csv(report: FunderReturn, court: str | None, worker: str | None) -> str:
    """The figures as CSV: a header row, one row per indicator cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(FIGURE_COLUMNS)
    for row in figure_rows(report, court, worker):
        writer.writerow([_text(value) for value in row])
    return buffer.getvalue()


def return_xlsx(report: FunderReturn, court: str | None, worker: str | None) -> bytes:
    """The return as an XLSX workbook: Figures and Definitions sheets, header rows frozen, dates as dates."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    figures = book.active
    figures.title = "Figures"
    definitions = book.create_sheet("Definitions")
    for sheet, header, rows in (
        (figures, FIGURE_COLUMNS, figure_rows(report, court, worker)),
        (definitions, DEFINITION_COLUMNS, definition_rows(report)),
    ):
        sheet.append(list(header))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([formula_safe(value) for value in row])
        sheet.freeze_panes = "A2"
    for row in figures.iter_rows(min_row=2, min_col=7, max_col=8):
        for cell in row:
            cell.number_format = "yyyy-mm-dd"
    for column, width in zip("ABCDEFGHIJ", (24, 48, 32, 10, 12, 12, 12, 12, 24, 28), strict=True):
        figures.column_dimensions[column].width = width
    for column, width in zip("ABCDEFG", (24, 48, 10, 80, 60, 60, 12), strict=True):
        definitions.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()

"""Every CSV and XLSX file the service makes is written here, so that none of them can carry a formula.

A spreadsheet runs a cell whose text starts with ``=``, ``+``, ``-`` or ``@`` (and, in some programs, a tab or a
carriage return) as a formula: an email address such as ``=HYPERLINK("http://...")@x.example`` in the audit export
would become a link, or worse, in the manager's spreadsheet. Such text is written with a single quote in front, the
rule OWASP gives for CSV injection, which every spreadsheet shows as plain text. Numbers written as numbers stay
numbers (a negative count is not text and runs nothing); the same characters in text ("-1+1") are quoted.

``tests/test_exports.py`` walks every CSV and XLSX route with hostile text in each text cell, and fails if any module
other than this one writes CSV or XLSX itself.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Response

# What a spreadsheet may take as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv"
NUMBERS = (int, float, Decimal)


def plain_text(text: str) -> str:
    """Text a spreadsheet would run as a formula, with a quote in front; any other text as it is."""
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def cell_value(value: Any) -> Any:
    """A value for an XLSX cell: numbers, dates and booleans as themselves (the sheet keeps their type), nothing as
    an empty cell, and everything else as text that cannot run."""
    if value is None or isinstance(value, (*NUMBERS, date, bool)):
        return value
    return plain_text(str(value))


def csv_value(value: Any) -> str:
    """A value for a CSV field: nothing as empty, a number as its digits, a date as ISO 8601, text that cannot run."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, NUMBERS):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return plain_text(str(value))


def csv_text(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    """A CSV file: a header row, then the rows, every field through ``csv_value``, CRLF line ends (RFC 4180)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_value(value) for value in header])
    for row in rows:
        writer.writerow([csv_value(value) for value in row])
    return buffer.getvalue()


@dataclass
class Sheet:
    """One worksheet: its title, a bold frozen header row, the rows, column widths (A, B, ...) and the columns
    (1-based) whose dates show as yyyy-mm-dd."""

    title: str
    header: Sequence[str]
    rows: Iterable[Sequence[Any]]
    widths: Sequence[float] = ()
    date_columns: Sequence[int] = field(default_factory=tuple)


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """An XLSX workbook of these sheets, every cell through ``cell_value``."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    for item in sheets:
        sheet = book.create_sheet(item.title)
        sheet.append([cell_value(value) for value in item.header])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in item.rows:
            sheet.append([cell_value(value) for value in row])
        sheet.freeze_panes = "A2"
        for column in item.date_columns:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
                cell.number_format = "yyyy-mm-dd"
        for index, width in enumerate(item.widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def download(body: str | bytes, file_name: str) -> Response:
    """A CSV or XLSX file as a download (the type from the file name's extension)."""
    mimetype = XLSX_TYPE if file_name.endswith(".xlsx") else CSV_TYPE
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{file_name}"'})

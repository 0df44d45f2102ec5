"""Every CSV and XLSX file the service makes goes through diversion/exports.py, and none can carry a formula.

The walk below finds every export route in the app (a path ending .csv or .xlsx, and every API operation the
OpenAPI document answers as text/csv or XLSX) and fails on one it does not know, so a new export cannot be added
without being fetched here with hostile text in each of its text cells. A source check fails on any module but the
writer that writes CSV or XLSX itself."""

from __future__ import annotations

import ast
import csv
import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import g
from openpyxl import load_workbook

from diversion.audit.services import record_event
from diversion.auth.tokens import create_api_token
from diversion.db import transaction
from diversion.exports import XLSX_TYPE, Sheet, csv_text, csv_value, xlsx_bytes
from tests.factories import create_court, create_user, log_in_as

DIVERSION = Path(__file__).resolve().parents[1] / "diversion"
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")

# Text a spreadsheet would run, one of each kind the rule covers.
HOSTILE_EMAIL = '=hyperlink("http://evil.example","x")@x.example'
HOSTILE_TEXT = '=HYPERLINK("http://evil.example","x")'
HOSTILE_CODE = "-EVIL1"  # a court code may start with a hyphen (admin.services.save_court)
PERIOD = "period=custom&start-day=1&start-month=11&start-year=2026&end-day=30&end-month=11&end-year=2026"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        (-3, "-3"),
        (-0.5, "-0.5"),
        (Decimal("-2.5"), "-2.5"),
        (None, ""),
        (date(2026, 12, 1), "2026-12-01"),
    ],
)
def test_the_writer_quotes_text_that_would_run_and_leaves_numbers_alone(value: Any, written: str) -> None:
    assert csv_value(value) == written


def test_the_workbook_keeps_numbers_and_dates_and_writes_no_formula() -> None:
    body = xlsx_bytes(
        [Sheet("One", ["a", "b", "c", "d"], [["=1+1", -3, date(2026, 12, 1), "-1+1"]], date_columns=(3,))]
    )
    sheet = load_workbook(io.BytesIO(body))["One"]
    text, number, day, sum_text = (cell for cell in sheet[2])
    assert (text.value, text.data_type) == ("'=1+1", "s")
    assert (number.value, number.data_type) == (-3, "n")
    assert day.value.date() == date(2026, 12, 1)
    assert (sum_text.value, sum_text.data_type) == ("'-1+1", "s")
    assert csv_text(["h"], [["@x"]]) == "h\r\n'@x\r\n"


def test_no_module_but_the_writer_writes_csv_or_xlsx() -> None:
    """csv, openpyxl and xlsxwriter are imported by diversion/exports.py alone."""
    offenders = []
    for path in sorted(DIVERSION.rglob("*.py")):
        if path == DIVERSION / "exports.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in ("csv", "openpyxl", "xlsxwriter"):
                    offenders.append(f"{path.relative_to(DIVERSION.parent)}: {name}")
    assert offenders == []


def _export_routes(app) -> set[str]:
    """Every route that answers with a CSV or XLSX file."""
    found = {rule.rule for rule in app.url_map.iter_rules() if re.search(r"\.(csv|xlsx)$", rule.rule)}
    from diversion.api.openapi import DOCUMENT as document

    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue  # the path's shared parameters
            for answer in operation.get("responses", {}).values():
                content = answer.get("content", {}) if isinstance(answer, dict) else {}
                if "text/csv" in content or XLSX_TYPE in content:
                    found.add(f"{method.upper()} /api/v1{path}")
    return found


def _cells(response) -> list[tuple[Any, str]]:
    """Every cell of a CSV or XLSX answer, with the type the file gives it ('s' text, 'n' number, ...)."""
    if response.mimetype == "text/csv":
        return [(cell, "s") for row in csv.reader(io.StringIO(response.get_data(as_text=True))) for cell in row]
    assert response.mimetype == XLSX_TYPE
    book = load_workbook(io.BytesIO(response.data))
    return [(cell.value, cell.data_type) for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def _assert_safe(response, hostile: list[str]) -> None:
    assert response.status_code == 200, response.status_code
    cells = _cells(response)
    for value, kind in cells:
        assert kind != "f", value
        if isinstance(value, str) and value.startswith(DANGEROUS):
            # Only a number written as text in a CSV may start with a sign.
            assert kind == "s", value
            assert re.fullmatch(r"-?\d+(\.\d+)?", value), value
    texts = {value for value, _ in cells if isinstance(value, str)}
    for value in hostile:
        assert "'" + value in texts, value
        assert value not in texts, value


@pytest.fixture
def hostile(app_ctx) -> dict[str, Any]:
    """A court whose code and name would run, a manager whose stored email would (written before addresses were
    checked), and an audit event with such text in every column it writes."""
    court = create_court(code=HOSTILE_CODE, name=HOSTILE_TEXT)
    manager = create_user(role="manager")
    with transaction():
        manager.email = HOSTILE_EMAIL
        g.request_id = "@request"
        record_event(
            "+hostile.action",
            object_type="=type",
            object_id="-1+1",
            details={"=field": "x"},
            actor=manager,
        )
    g.pop("request_id")
    return {"court": court, "manager": manager, "token": create_api_token(manager, name="exports")}


def test_every_export_route_writes_hostile_text_as_text(app, client, hostile) -> None:
    court = hostile["court"]
    fetches = {
        "/privacy/audit.csv": (
            "/privacy/audit.csv?action=%2Bhostile.action",
            # role, action, object type and id, request id and details; the email column
            [HOSTILE_EMAIL, "+hostile.action", "=type", "-1+1", "@request", "=field=x"],
        ),
        "/reports/completion.csv": (f"/reports/completion.csv?{PERIOD}&court={court.code}", [HOSTILE_CODE]),
        "/outcomes/return.csv": (f"/outcomes/return.csv?{PERIOD}&court={court.code}", [HOSTILE_TEXT]),
        "/outcomes/return.xlsx": (f"/outcomes/return.xlsx?{PERIOD}&court={court.code}", [HOSTILE_TEXT]),
    }
    api = {
        "GET /api/v1/reports/outcomes": [
            f"/api/v1/reports/outcomes?from=2026-11-01&to=2026-11-30&court={court.code}&format={kind}"
            for kind in ("csv", "xlsx")
        ],
    }
    assert _export_routes(app) == set(fetches) | set(api), "an export this test does not fetch"
    log_in_as(client, hostile["manager"])
    for path, expected in fetches.values():
        _assert_safe(client.get(path), expected)
    for paths in api.values():
        for path in paths:
            response = client.get(path, headers={"Authorization": f"Bearer {hostile['token']}"})
            _assert_safe(response, [HOSTILE_TEXT])

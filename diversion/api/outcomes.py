"""API: the funded-outcome figures (GET /reports/outcomes), the funder return's indicators as JSON, CSV or XLSX, with
small numbers suppressed unless ``suppress=false``; over the manager's schemes, or the one named by ``scheme``."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from diversion.api import bp
from diversion.api.parsing import Query
from diversion.api.reports import period_of, require_together, scope_body
from diversion.exports import download
from diversion.organisations.models import SLUG_MAX
from diversion.outcomes import exports, returns, services
from diversion.permissions import current_actor, requires
from diversion.reports import services as report_services
from diversion.reports.scope import ReportChoice, choose

FORMATS = ("json", "csv", "xlsx")
SUPPRESS = {"true": True, "false": False}


def outcomes_query() -> tuple[report_services.Period, str | None, str | None, str, bool]:
    """The period (``from`` and ``to`` together, or the current quarter), the court code, the scheme's short name,
    the format and whether to suppress small numbers. Unreadable values are malformed (400); a backwards or too long
    period is 422."""
    query = Query()
    start, end = query.day("from"), query.day("to")
    court = query.text("court", max_length=16)
    scheme = query.text("scheme", max_length=SLUG_MAX)
    require_together(query)
    answer_format = query.args.get("format") or "json"
    if answer_format not in FORMATS:
        query.malformed("format", "Must be json, csv or xlsx")
    suppress = query.args.get("suppress") or "true"
    if suppress not in SUPPRESS:
        query.malformed("suppress", "Must be true or false")
    query.done()
    return period_of(start, end), court, scheme, answer_format, SUPPRESS[suppress]


def outcomes_body(report: returns.FunderReturn, court_code: str | None, choice: ReportChoice) -> dict[str, Any]:
    """The return in the API's shape: each indicator with its definition and its rows (the total first)."""
    return {
        "from": report.period.start.isoformat(),
        "to": report.period.end.isoformat(),
        "court": court_code,
        **scope_body(choice),
        "suppressed": report.is_suppressed,
        "suppression": returns.SUPPRESSION_TEXT if report.is_suppressed else None,
        "indicators": [
            {
                "key": item.indicator.key,
                "name": item.indicator.name,
                "definition": item.indicator.definition,
                "format": item.indicator.format,
                "by": item.indicator.by,
                "reference": item.indicator.reference,
                "rows": [
                    {
                        "group": cell.group,
                        "value": cell.value,
                        "numerator": cell.numerator,
                        "denominator": cell.denominator,
                    }
                    for cell in item.cells
                ],
            }
            for item in report.figures
        ],
    }


@bp.route("/reports/outcomes", methods=["GET"])
@requires("outcome_reports")
def outcomes_report() -> Any:
    period, court_code, scheme, answer_format, suppress = outcomes_query()
    actor = current_actor()
    choice = choose(actor, scheme)
    court = report_services.report_court(court_code, actor)
    scope = services.scope_of(period, court, None, choice.counted)
    report = returns.funder_return(period, scope, suppressed=suppress)
    code = court.code if court else None
    if answer_format == "json":
        return jsonify(outcomes_body(report, code, choice))
    name = f"outcomes-{period.start.isoformat()}-to-{period.end.isoformat()}"
    if choice.slug:
        name += f"-{choice.slug}"
    court_name = court.name if court else None
    if answer_format == "csv":
        return download(exports.return_csv(report, court_name, None, choice.label), f"{name}.csv")
    return download(exports.return_xlsx(report, court_name, None, choice.label), f"{name}.xlsx")

"""API: the completion report (GET /reports/completion), the same figures as the report page, over the cases the
caller may see (``diversion.reports.scope``), narrowed to one of a manager's schemes with ``scheme``."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import jsonify

from diversion.api import bp
from diversion.api.parsing import Query
from diversion.organisations.models import SLUG_MAX
from diversion.permissions import current_actor, requires
from diversion.reports import services
from diversion.reports.scope import ReportChoice, choose

TOGETHER = "Give from and to together"


def require_together(query: Query) -> None:
    """``from`` and ``to`` come both or neither. One alone is readable but breaks that rule (422), as ``to`` before
    ``from`` does: the OpenAPI document cannot say that two parameters go together, so a request the document allows
    is never refused as malformed (400) for it (docs/api.md, "Errors")."""
    given = [name for name in ("from", "to") if query.args.get(name)]
    if len(given) == 1:
        query.problems.invalid["to" if given == ["from"] else "from"] = TOGETHER


def period_of(start: date | None, end: date | None) -> services.Period:
    """The period asked for (checked: ``to`` before ``from`` or over ten years is 422), or the current quarter."""
    return services.check_period(start, end) if start and end else services.default_period()


def completion_query() -> tuple[services.Period, str | None, str | None]:
    """The period (``from`` and ``to``, both or neither: the current quarter by default), the court code and the
    scheme's short name asked for. Unreadable dates are malformed (400); only one of them, ``to`` before ``from``, or
    a period over ten years, breaks a rule (422)."""
    query = Query()
    start, end = query.day("from"), query.day("to")
    court = query.text("court", max_length=16)
    scheme = query.text("scheme", max_length=SLUG_MAX)
    require_together(query)
    query.done()
    return period_of(start, end), court, scheme


def scope_body(choice: ReportChoice) -> dict[str, Any]:
    """What a report counts, as the API names it: the scheme asked for (null for all the caller's schemes, and for
    court and CPS users, whose reports are by court) and the scope's name (null for court and CPS users)."""
    return {"scheme": choice.slug, "scope": choice.label}


def _figures_body(figures: services.Figures) -> dict[str, Any]:
    interval = figures.completion.reported_interval
    return {
        **{key: figures.count(key) for key, _, _ in services.FIGURES},
        "completion_rate": figures.completion.reported,
        "completion_rate_ci95": list(interval) if interval else None,
        "opt_in_rate": figures.opt_in.reported,
    }


def completion_body(report: services.CompletionReport) -> dict[str, Any]:
    """The report in docs/api.md's shape: counts, rates as fractions (3 places; null when the denominator is 0); and
    when it counts several schemes, each scheme's figures in ``by_scheme`` (empty otherwise)."""
    return {
        "from": report.period.start.isoformat(),
        "to": report.period.end.isoformat(),
        "court": report.court_code,
        **(scope_body(report.choice) if report.choice else {"scheme": None, "scope": None}),
        **_figures_body(report.figures),
        "definition": services.DEFINITION,
        "by_scheme": [
            {"scheme": scheme.slug, "name": scheme.name, **_figures_body(figures)}
            for scheme, figures in report.by_scheme
        ],
    }


@bp.route("/reports/completion", methods=["GET"])
@requires("completion_reports")
def completion_report() -> Any:
    period, court_code, scheme = completion_query()
    actor = current_actor()
    choice = choose(actor, scheme)
    court = services.report_court(court_code, actor)
    return jsonify(completion_body(services.completion_report(period, court, choice)))

"""The completion report page, its chart (SVG) and its CSV export: the same filters, the same figures."""

from __future__ import annotations

import re
from typing import Any

from flask import Response, abort, render_template, request, url_for

from diversion.admin.services import list_courts
from diversion.courts.models import Court
from diversion.dates import today
from diversion.errors import ValidationFailed
from diversion.exports import download
from diversion.forms import apply_errors
from diversion.permissions import court_scope, requires
from diversion.reports import bp, charts, services
from diversion.reports.forms import PERIOD_KINDS, CompletionForm


def _filters() -> tuple[CompletionForm, Court | None, services.Period | None]:
    """The filters as asked for, the court (a court user's own; 404 when they name another) and the period, or None
    for the period when the form has problems (shown in its error summary)."""
    scope = court_scope()
    fixed_court = services.report_court(request.args.get("court"), scope) if scope is not None else None
    form = CompletionForm(request.args or None, today=today(), courts=None if scope is not None else list_courts())
    if request.args and not form.validate():
        return form, fixed_court, None
    court = fixed_court if scope is not None else services.report_court(form.court_code(), None)
    try:
        period = form.chosen_period()
    except ValidationFailed as error:
        apply_errors(form, error, "end")
        return form, court, None
    return form, court, period


def _chart_alt(report: services.CompletionReport) -> str:
    figures = report.figures
    return (
        f"Bar chart of finished cases by month, {report.period.label}, {report.court_label}: "
        f"{figures.completed} completed, {figures.not_completed} not completed and {figures.withdrawn} withdrawn "
        "in all. The table beside it gives each month's figures."
    )


def _page(form: CompletionForm, court: Court | None, **context: Any) -> Any:
    return render_template(
        "reports/completion.html",
        form=form,
        court=court,
        fixed_court=court_scope() is not None,
        figures=services.FIGURES,
        completion_rate_text=services.COMPLETION_RATE_TEXT,
        opt_in_rate_text=services.OPT_IN_RATE_TEXT,
        general_text=services.GENERAL_TEXT,
        period_kinds=PERIOD_KINDS,
        # Changing the kind of period keeps the court.
        kind_link_args={"court": form.court_code()} if form.court_code() else {},
        **context,
    )


@bp.route("/reports/completion")
@requires("completion_reports")
def completion() -> Any:
    form, court, period = _filters()
    if period is None:
        return _page(form, court, report=None)
    report = services.completion_report(period, court)
    args = CompletionForm.link_args(period, report.court_code)
    return _page(
        form,
        court,
        report=report,
        months=services.months_of(period, court),
        chart_url=url_for("reports.completion_chart", **args),
        chart_alt=_chart_alt(report),
        csv_url=url_for("reports.completion_csv", **args),
    )


@bp.route("/reports/completion/chart.svg")
@requires("completion_reports")
def completion_chart() -> Any:
    _, court, period = _filters()
    if period is None:
        abort(400)
    months = services.months_of(period, court)
    title = f"Finished cases by month, {period.label}, {court.name if court else 'all courts'}"
    return Response(charts.completion_chart_svg(months, title), mimetype="image/svg+xml")


@bp.route("/reports/completion.csv")
@requires("completion_reports")
def completion_csv() -> Any:
    _, court, period = _filters()
    if period is None:
        abort(400)
    report = services.completion_report(period, court)
    court_part = (re.sub(r"[^A-Za-z0-9-]", "", report.court_code) or "court") if report.court_code else "all-courts"
    name = f"completion-{period.start.isoformat()}-to-{period.end.isoformat()}-{court_part}"
    return download(services.completion_csv(report), f"{name}.csv")

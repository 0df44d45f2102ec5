"""The completion report page, its chart (SVG) and its CSV export: the same filters, the same figures.

Every figure counts only the cases the signed-in user may see (``diversion.reports.scope``): a manager's schemes
(one of them when she chooses), a court user's court, a CPS user's courts."""

from __future__ import annotations

import re
from typing import Any

from flask import Response, abort, render_template, request, url_for
from flask_babel import gettext as _

from diversion.auth.models import Role
from diversion.courts.models import Court
from diversion.dates import today
from diversion.errors import ValidationFailed
from diversion.exports import download
from diversion.forms import apply_errors
from diversion.permissions import current_actor, requires
from diversion.reports import bp, charts, services
from diversion.reports.forms import PERIOD_KINDS, CompletionForm
from diversion.reports.scope import ReportChoice, choose, report_courts


def _filters() -> tuple[CompletionForm, ReportChoice, Court | None, services.Period | None]:
    """The filters as asked for, what the report counts (404 for a scheme that is not hers), the court (a court
    user's own; 404 when they name another) and the period, or None for the period when the form has problems
    (shown in its error summary)."""
    actor = current_actor()
    choice = choose(actor, request.args.get("scheme"))
    courts = report_courts(actor)
    fixed_court = services.report_court(request.args.get("court"), actor) if courts is None else None
    form = CompletionForm(request.args or None, today=today(), courts=courts, choice=choice)
    if request.args and not form.validate():
        return form, choice, fixed_court, None
    court = fixed_court if courts is None else services.report_court(form.court_code(), actor)
    try:
        period = form.chosen_period()
    except ValidationFailed as error:
        apply_errors(form, error, "end")
        return form, choice, court, None
    return form, choice, court, period


def _caption(report: services.CompletionReport) -> str:
    parts = [report.period.label, report.court_label]
    shown_scope = report.choice.shown_label if report.choice else None
    if shown_scope:
        parts.append(shown_scope)
    return ", ".join(parts)


def _chart_alt(report: services.CompletionReport) -> str:
    figures = report.figures
    return _(
        "Bar chart of finished cases by month, %(caption)s: %(completed)d completed, %(not_completed)d not completed "
        "and %(withdrawn)d withdrawn in all. The table beside it gives each month's figures.",
        caption=_caption(report),
        completed=figures.completed,
        not_completed=figures.not_completed,
        withdrawn=figures.withdrawn,
    )


def _page(form: CompletionForm, choice: ReportChoice, court: Court | None, **context: Any) -> Any:
    kind_args = {"court": form.court_code()} if form.court_code() else {}
    return render_template(
        "reports/completion.html",
        form=form,
        court=court,
        choice=choice,
        # A court user's report is always her own court's (report_courts).
        fixed_court=current_actor().role == Role.COURT,
        figures=services.shown_figures(),
        completion_rate_text=_(services.COMPLETION_RATE_TEXT),
        opt_in_rate_text=_(services.OPT_IN_RATE_TEXT),
        general_text=_(services.GENERAL_TEXT),
        period_kinds=PERIOD_KINDS,
        # Changing the kind of period keeps the court and the scheme.
        kind_link_args={**kind_args, **choice.link_args()},
        **context,
    )


@bp.route("/reports/completion")
@requires("completion_reports")
def completion() -> Any:
    form, choice, court, period = _filters()
    if period is None:
        return _page(form, choice, court, report=None)
    report = services.completion_report(period, court, choice)
    args = CompletionForm.link_args(period, report.court_code, report.scheme_slug)
    return _page(
        form,
        choice,
        court,
        report=report,
        caption=_caption(report),
        scheme_links={
            scheme.slug: url_for(
                "reports.completion", **CompletionForm.link_args(period, report.court_code, scheme.slug)
            )
            for scheme, _ in report.by_scheme
        },
        months=services.months_of(period, court, choice),
        chart_url=url_for("reports.completion_chart", **args),
        chart_alt=_chart_alt(report),
        csv_url=url_for("reports.completion_csv", **args),
    )


@bp.route("/reports/completion/chart.svg")
@requires("completion_reports")
def completion_chart() -> Any:
    _form, choice, court, period = _filters()
    if period is None:
        abort(400)
    months = services.months_of(period, court, choice)
    place = ", ".join(part for part in (court.name if court else _("all courts"), choice.shown_label) if part)
    title = _("Finished cases by month, %(period)s, %(place)s", period=period.label, place=place)
    return Response(charts.completion_chart_svg(months, title), mimetype="image/svg+xml")


@bp.route("/reports/completion.csv")
@requires("completion_reports")
def completion_csv() -> Any:
    _form, choice, court, period = _filters()
    if period is None:
        abort(400)
    report = services.completion_report(period, court, choice)
    court_part = (re.sub(r"[^A-Za-z0-9-]", "", report.court_code) or "court") if report.court_code else "all-courts"
    name = f"completion-{period.start.isoformat()}-to-{period.end.isoformat()}-{court_part}"
    if report.scheme_slug:
        name += f"-{report.scheme_slug}"
    return download(services.completion_csv(report), f"{name}.csv")

"""The managers' outcome pages: the dashboard with its trend charts, and the drill-down to the cases behind a
figure. The funder return and its exports are in ``return_views``."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, render_template, request, url_for

from diversion.admin.services import list_courts
from diversion.assessments.models import DOMAIN_LABELS
from diversion.dates import today
from diversion.errors import NotFound, ValidationFailed
from diversion.forms import apply_errors
from diversion.outcomes import bp, charts, services
from diversion.outcomes.forms import OutcomesForm
from diversion.permissions import current_actor, requires
from diversion.referrals.models import STATE_LABELS
from diversion.reports import services as report_services
from diversion.reports.forms import PERIOD_KINDS

MEASURE_KEYS = tuple(services.MEASURES)
# How anything that leaves the organisation names the one support worker a report is filtered to.
ONE_WORKER = "One support worker"


def filters() -> tuple[OutcomesForm, services.Scope | None, dict[str, Any]]:
    """The filters as asked for: the form, the scope (None when the form has problems, shown in its error
    summary) and what describes it (period, court, worker, and the query string that asks for it again)."""
    form = OutcomesForm(request.args or None, today=today(), courts=list_courts(), workers=services.support_workers())
    if request.args and not form.validate():
        return form, None, {}
    try:
        period = form.chosen_period()
        court = report_services.report_court(form.court_code(), None)
        worker = services.report_worker(form.worker_id())
    except (ValidationFailed, NotFound) as error:
        apply_errors(form, error, "end")
        return form, None, {}
    args = OutcomesForm.link_args(period, court.code if court else None)
    if worker is not None:
        args["worker"] = str(worker.id)
    place = f"{period.label}, {court.name if court else 'all courts'}"
    about = {
        "period": period,
        "court": court,
        "worker": worker,
        "args": args,
        "label": place + (f", {worker.display_name}" if worker else ""),
        # What leaves the organisation (the printable return, the exports) names no member of staff.
        "export_label": place + (f", {ONE_WORKER.lower()}" if worker else ""),
    }
    return form, services.scope_of(period, court, worker), about


def _page(template: str, form: OutcomesForm, **context: Any) -> Any:
    return render_template(
        template,
        form=form,
        period_kinds=PERIOD_KINDS,
        measures=services.MEASURES,
        domain_labels=DOMAIN_LABELS,
        **context,
    )


@bp.route("/outcomes")
@requires("outcome_reports")
def dashboard() -> Any:
    form, scope, about = filters()
    if scope is None:
        return _page("outcomes/dashboard.html", form, figures=None, about=about)
    period = about["period"]
    months = services.months_of(period, scope)
    referred = services.referrals_by_month(period, scope)
    return _page(
        "outcomes/dashboard.html",
        form,
        figures=services.outcome_figures(scope),
        about=about,
        months=months,
        referred=[(f"{report_services.MonthFigures(y, m, 0, 0, 0).label}", count) for y, m, count in referred],
        referrals_chart=url_for("outcomes.chart", kind="referrals", **about["args"]),
        rate_chart=url_for("outcomes.chart", kind="completion-rate", **about["args"]),
    )


@bp.route("/outcomes/charts/<any(referrals, 'completion-rate'):kind>.svg")
@requires("outcome_reports")
def chart(kind: str) -> Any:
    _, scope, about = filters()
    if scope is None:
        abort(400)
    period = about["period"]
    if kind == "referrals":
        months = [
            (report_services.MonthFigures(y, m, 0, 0, 0).short_label, count)
            for y, m, count in services.referrals_by_month(period, scope)
        ]
        svg = charts.referrals_chart_svg(months, f"Referrals by month, {about['label']}")
    else:
        svg = charts.completion_rate_chart_svg(
            services.months_of(period, scope),
            services.REFERENCE_COMPLETION_RATE,
            f"Completion rate by month, {about['label']}",
        )
    return Response(svg, mimetype="image/svg+xml")


@bp.route(f"/outcomes/cases/<any({', '.join(MEASURE_KEYS)}):measure>")
@requires("outcome_reports")
def cases(measure: str) -> Any:
    form, scope, about = filters()
    if scope is None:
        return _page("outcomes/cases.html", form, rows=None, measure=services.MEASURES[measure], about=about)
    by, value = request.args.get("by"), request.args.get("group")
    group = (by, value) if by and value else None
    try:
        rows, total = services.cases_behind(measure, scope, current_actor(), group)
    except NotFound:
        abort(404)
    return _page(
        "outcomes/cases.html",
        form,
        rows=rows,
        total=total,
        limit=services.DRILL_DOWN_LIMIT,
        measure=services.MEASURES[measure],
        group=group,
        group_label=services.GROUP_LABELS.get(by or "", {}).get(value or "", value),
        about=about,
        state_labels={state.value: label for state, label in STATE_LABELS.items()},
        back=url_for("outcomes.dashboard", **about["args"]),
    )

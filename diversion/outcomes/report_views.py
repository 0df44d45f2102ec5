"""The managers' outcome pages: the dashboard with its trend charts, and the drill-down to the cases behind a
figure. The funder return and its exports are in ``return_views``."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Response, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

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
from diversion.reports.scope import ReportChoice, choose, report_courts

MEASURE_KEYS = tuple(services.MEASURES)
# The rows of the dashboard's table by scheme: a measure's key (a count, linked to its cases), a rate of
# OutcomeFigures, or the median.
ROLL_UP = (
    (_l("Referrals"), "referrals"),
    (_l("Women referred"), "women_referred"),
    (_l("Opted in"), "opted_in"),
    (_l("Declined"), "declined"),
    (_l("Opt-in rate"), "opt_in"),
    (_l("Completed"), "completed"),
    (_l("Finished"), "finished"),
    (_l("Completion rate"), "completion"),
    (_l("Appointments with an outcome"), "appointments_with_outcome"),
    (_l("Did not attend"), "did_not_attend"),
    (_l("Non-attendance rate"), "non_attendance"),
    (_l("Median days from referral to completion"), "median"),
    (_l("Onward referrals made"), "onward_made"),
    (_l("Onward referrals taken up"), "onward_taken_up"),
    (_l("Women with a safeguarding flag raised"), "safeguarding"),
    (_l("Cases reviewed"), "reviewed_cases"),
)
# How anything that leaves the organisation names the one support worker a report is filtered to (the exports' English;
# the printable return shows it in the language of the page).
ONE_WORKER = "One support worker"


def filters() -> tuple[OutcomesForm, services.Scope | None, dict[str, Any]]:
    """The filters as asked for: the form, the scope (None when the form has problems, shown in its error
    summary) and what describes it (period, court, worker, the schemes counted, and the query string that asks for
    it again). A scheme that is not one of the manager's answers 404 (diversion/reports/scope.py)."""
    actor = current_actor()
    choice = choose(actor, request.args.get("scheme"))
    courts = report_courts(actor) or []
    form = OutcomesForm(
        request.args or None,
        today=today(),
        courts=courts,
        choice=choice,
        workers=services.support_workers(choice.counted),
    )
    if request.args and not form.validate():
        return form, None, {"choice": choice}
    try:
        period = form.chosen_period()
        court = report_services.report_court(form.court_code(), actor)
        worker = services.report_worker(form.worker_id(), choice.counted)
    except (ValidationFailed, NotFound) as error:
        apply_errors(form, error, "end")
        return form, None, {"choice": choice}
    args = OutcomesForm.link_args(period, court.code if court else None, choice.slug)
    if worker is not None:
        args["worker"] = str(worker.id)
    place = ", ".join((period.label, court.name if court else _("all courts")))
    scope_label = choice.shown_label or ""
    about = {
        "period": period,
        "court": court,
        "worker": worker,
        "choice": choice,
        "args": args,
        # What the report counts as the page names it, and as the exports name it (in English).
        "scope_label": scope_label,
        "export_scope": choice.label or "",
        "label": f"{place}, {scope_label}" + (f", {worker.display_name}" if worker else ""),
        # What leaves the organisation (the printable return, the exports) names no member of staff.
        "export_label": f"{place}, {scope_label}" + (", " + _("one support worker") if worker else ""),
    }
    return form, services.scope_of(period, court, worker, choice.counted), about


def _page(template: str, form: OutcomesForm, **context: Any) -> Any:
    return render_template(
        template,
        form=form,
        period_kinds=PERIOD_KINDS,
        measures=services.shown_measures(),
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
    figures = services.outcome_figures(scope)
    choice: ReportChoice = about["choice"]
    columns = [
        (
            scheme.name,
            services.outcome_figures(replace(scope, counted=counted)),
            {**about["args"], "scheme": scheme.slug},
        )
        for scheme, counted in (choice.each_scheme() if choice.rolls_up else [])
    ]
    return _page(
        "outcomes/dashboard.html",
        form,
        figures=figures,
        roll_up=[*columns, (_("Total"), figures, about["args"])] if columns else None,
        roll_up_rows=ROLL_UP,
        about=about,
        months=months,
        referred=[(f"{report_services.MonthFigures(y, m, 0, 0, 0).label}", count) for y, m, count in referred],
        referrals_chart=url_for("outcomes.chart", kind="referrals", **about["args"]),
        rate_chart=url_for("outcomes.chart", kind="completion-rate", **about["args"]),
    )


@bp.route("/outcomes/charts/<any(referrals, 'completion-rate'):kind>.svg")
@requires("outcome_reports")
def chart(kind: str) -> Any:
    _form, scope, about = filters()
    if scope is None:
        abort(400)
    period = about["period"]
    if kind == "referrals":
        months = [
            (report_services.MonthFigures(y, m, 0, 0, 0).short_label, count)
            for y, m, count in services.referrals_by_month(period, scope)
        ]
        svg = charts.referrals_chart_svg(months, _("Referrals by month, %(about)s", about=about["label"]))
    else:
        svg = charts.completion_rate_chart_svg(
            services.months_of(period, scope),
            services.REFERENCE_COMPLETION_RATE,
            _("Completion rate by month, %(about)s", about=about["label"]),
        )
    return Response(svg, mimetype="image/svg+xml")


@bp.route(f"/outcomes/cases/<any({', '.join(MEASURE_KEYS)}):measure>")
@requires("outcome_reports")
def cases(measure: str) -> Any:
    form, scope, about = filters()
    if scope is None:
        return _page("outcomes/cases.html", form, rows=None, measure=services.shown_measures()[measure], about=about)
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
        measure=services.shown_measures()[measure],
        group=group,
        group_label=services.GROUP_LABELS.get(by or "", {}).get(value or "", value),
        about=about,
        state_labels={state.value: label for state, label in STATE_LABELS.items()},
        back=url_for("outcomes.dashboard", **about["args"]),
    )

"""The funder return: the page, its snapshots (keep one; run a kept one again and see what changed), and its exports
(CSV, XLSX, a printable page). Small numbers are suppressed unless ``suppress=false`` is asked for."""

from __future__ import annotations

import re
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from diversion.errors import NotFound
from diversion.exports import download
from diversion.outcomes import bp, exports, returns
from diversion.outcomes.report_views import ONE_WORKER, filters
from diversion.permissions import current_actor, requires
from diversion.reports.forms import PERIOD_KINDS


def _suppressed() -> bool:
    return request.args.get("suppress", "true").lower() != "false"


def _return(about: dict[str, Any], scope: Any) -> returns.FunderReturn:
    return returns.funder_return(about["period"], scope, suppressed=_suppressed())


def _names(about: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """The court, worker and scope as an export names them: a return leaves the organisation, so a staff member's
    name stays behind (the page itself, which stays inside, names her); the scope says which scheme, or the whole
    organisation."""
    return (
        about["court"].name if about.get("court") else None,
        ONE_WORKER if about.get("worker") else None,
        about.get("export_scope") or None,
    )


@bp.route("/outcomes/return")
@requires("outcome_reports")
def funder_return() -> Any:
    form, scope, about = filters()
    context: dict[str, Any] = {"form": form, "about": about, "period_kinds": PERIOD_KINDS, "report": None}
    if scope is not None:
        args = about["args"]
        context.update(
            report=_return(about, scope),
            group_label=exports.shown_group_label,
            indicator_words=returns.shown_indicator,
            snapshots=returns.snapshot_labels(returns.snapshots_for(current_actor(), about["period"])),
            csv_url=url_for("outcomes.funder_return_csv", **args),
            xlsx_url=url_for("outcomes.funder_return_xlsx", **args),
            print_url=url_for("outcomes.funder_return_print", **args),
            toggle_url=url_for("outcomes.funder_return", **args, **({"suppress": "false"} if _suppressed() else {})),
            snapshot_action=url_for("outcomes.save_snapshot", **args),
            suppression_text=_(returns.SUPPRESSION_TEXT),
        )
    return render_template("outcomes/return.html", **context)


@bp.route("/outcomes/return/print")
@requires("outcome_reports")
def funder_return_print() -> Any:
    _form, scope, about = filters()
    if scope is None:
        abort(400)
    return render_template(
        "outcomes/return_print.html",
        report=_return(about, scope),
        about=about,
        group_label=exports.shown_group_label,
        indicator_words=returns.shown_indicator,
        suppression_text=_(returns.SUPPRESSION_TEXT),
    )


def _file_name(about: dict[str, Any], extension: str) -> str:
    period = about["period"]
    court = about.get("court")
    court_part = (re.sub(r"[^A-Za-z0-9-]", "", court.code) or "court") if court else "all-courts"
    choice = about["choice"]
    scheme_part = f"-{choice.slug}" if choice.slug else ""
    return f"funder-return-{period.start.isoformat()}-to-{period.end.isoformat()}-{court_part}{scheme_part}.{extension}"


@bp.route("/outcomes/return.csv")
@requires("outcome_reports")
def funder_return_csv() -> Any:
    _form, scope, about = filters()
    if scope is None:
        abort(400)
    body = exports.return_csv(_return(about, scope), *_names(about))
    return download(body, _file_name(about, "csv"))


@bp.route("/outcomes/return.xlsx")
@requires("outcome_reports")
def funder_return_xlsx() -> Any:
    _form, scope, about = filters()
    if scope is None:
        abort(400)
    body = exports.return_xlsx(_return(about, scope), *_names(about))
    return download(body, _file_name(about, "xlsx"))


@bp.route("/outcomes/return/snapshots", methods=["POST"])
@requires("outcome_reports")
def save_snapshot() -> Any:
    _form, scope, about = filters()
    if scope is None:
        abort(400)
    saved = returns.save_snapshot(about["period"], scope, current_actor())
    flash(_("Snapshot kept. Open it later to run the return again and see whether anything changed."), "success")
    return redirect(url_for("outcomes.snapshot", snapshot_id=saved.id))


@bp.route("/outcomes/snapshots/<uuid:snapshot_id>")
@requires("outcome_reports")
def snapshot(snapshot_id: Any) -> Any:
    try:
        saved = returns.snapshot(snapshot_id, current_actor())
    except NotFound:
        abort(404)
    period, _scope = returns.snapshot_scope(saved)
    return render_template(
        "outcomes/snapshot.html",
        saved=saved,
        period=period,
        scope_label=returns.snapshot_label(saved),
        rerun=returns.rerun(saved, current_actor()),
        shown_name=returns.shown_name,
    )

"""The National Referral Mechanism task's page: record what was done, from the case overview (a stale save shown
beside the saved one: docs/conflicts.md)."""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from diversion import conflicts
from diversion.dates import long_date
from diversion.errors import Conflict, DomainError
from diversion.forms import apply_errors, choices
from diversion.modern_slavery import bp, services
from diversion.modern_slavery.forms import NrmForm
from diversion.modern_slavery.models import OUTCOME_LABELS, NrmDecision, NrmOutcome
from diversion.permissions import current_actor, load_case, requires
from diversion.referrals.case_page import case_page

QUESTIONS = [("outcome", _l("What was done")), ("date", _l("When it was done")), ("note", _l("Note"))]


@bp.route("/cases/<uuid:referral_id>/modern-slavery", methods=["GET", "POST"])
@requires("client_records")
def record(referral_id):
    referral = load_case(referral_id)
    task = services.task_for(referral)
    form = NrmForm()
    form.outcome.choices = choices([(outcome.value, outcome.label) for outcome in task.outcomes])
    if request.method == "GET":
        _fill(form, task.decision)
    status, comparison = 200, None
    if form.validate_on_submit():
        version = form.version.data
        resolved = conflicts.resolved_version(request.form)
        if resolved is not None and task.decision is not None and task.decision.version == resolved:
            # Save again after a conflict: only with a choice for every difference, then at the version compared.
            comparison = _compare(form, task.decision, request.form)
            if comparison.unchosen:
                status = 409
                comparison.refuse(form)
            else:
                chosen = comparison.chosen()
                form.outcome.data, form.date.data, form.note.data = chosen["outcome"], chosen["date"], chosen["note"]
                version = resolved
        if status == 200:
            try:
                services.record_nrm_outcome(
                    referral,
                    current_actor(),
                    outcome=form.outcome.data,
                    decided_on=form.date.data,
                    note=form.note.data,
                    version=version,
                )
            except Conflict:
                status = 409
                comparison = _compare(form, services.decision_of(referral), None)
                comparison.show(form)
            except DomainError as error:
                apply_errors(form, error, "outcome")
                status = 422
            else:
                flash(_("National Referral Mechanism outcome saved."), "success")
                return redirect(url_for("referrals.detail", referral_id=referral.id))
    elif form.is_submitted():
        status = 422
    page = case_page(referral, "overview", "modern_slavery/record.html", form=form, task=task, comparison=comparison)
    return page, status


def _fill(form: NrmForm, decision: NrmDecision | None) -> None:
    form.version.data = decision.version if decision is not None else 0
    if decision is None:
        return
    form.outcome.data = decision.outcome
    form.date.process(None, decision.decided_on)
    note = services.note_of(decision)
    form.note.data = note if isinstance(note, str) else ""


def _compare(form: NrmForm, saved: NrmDecision | None, formdata) -> conflicts.Comparison:
    """Her answers beside the saved outcome (someone else recorded it meanwhile)."""
    note = services.note_of(saved)
    return conflicts.compare(
        what=_("outcome"),
        questions=QUESTIONS,
        mine={"outcome": form.outcome.data, "date": form.date.data, "note": form.note.data},
        saved={
            "outcome": saved.outcome if saved else None,
            "date": saved.decided_on if saved else None,
            "note": note if isinstance(note, str) else "",
        },
        version=saved.version if saved else 0,
        shown=_shown,
        formdata=formdata,
        message=_(services.STALE),
    )


def _shown(name: str, value: str) -> str:
    if not value:
        return _("None") if name == "note" else _("Not given")
    if name == "outcome":
        try:
            return str(OUTCOME_LABELS[NrmOutcome(value)])
        except ValueError:
            return _("Not given")
    if name == "date":
        return long_date(date.fromisoformat(value))
    return value

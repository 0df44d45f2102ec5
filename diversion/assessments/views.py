"""The needs assessment of a case: read it, record it (a stale save shown beside the saved one: docs/conflicts.md)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _

from diversion import conflicts
from diversion.assessments import bp, services
from diversion.assessments.forms import AssessmentForm
from diversion.assessments.models import DOMAIN_LABELS, EXPLOITATION_INDICATORS, NEED_LEVELS, Domain
from diversion.drafts import forms as drafts
from diversion.errors import Conflict, DomainError
from diversion.forms import apply_errors
from diversion.permissions import current_actor, load_case, requires
from diversion.referrals.case_page import case_page, not_yet_page


def _case_page(referral, template: str, status: int = 200, **context):
    return case_page(referral, "assessment", template, **context), status


@bp.route("/cases/<uuid:referral_id>/assessment")
@requires("client_records")
def show(referral_id):
    referral = load_case(referral_id)
    assessment = services.assessment_of(referral)
    return _case_page(
        referral,
        "assessments/show.html",
        assessment=assessment,
        not_yet=services.not_yet(referral),
        indicators=services.indicators_of(assessment) if assessment else [],
        labels=DOMAIN_LABELS,
        need_levels=NEED_LEVELS,
        indicator_labels=EXPLOITATION_INDICATORS,
    )


@bp.route("/cases/<uuid:referral_id>/assessment/edit", methods=["GET", "POST"])
@requires("client_records")
def edit(referral_id):
    referral = load_case(referral_id)
    blocked = services.not_yet(referral)
    if blocked is not None:
        return not_yet_page(referral, "assessment", _("Needs assessment"), blocked)
    assessment = services.assessment_of(referral)
    form = AssessmentForm()
    if request.method == "GET" and assessment is not None:
        _fill(form, assessment)
    draft = drafts.offer(form, "assessment", referral.id)
    status = 200
    comparison = None
    if form.validate_on_submit():
        answers = _answers(form)
        version = form.version.data
        resolved = conflicts.resolved_version(request.form)
        saved = services.assessment_of(referral) if resolved is not None else None
        if saved is not None and saved.version == resolved:
            # Save again after a conflict: only with a choice for every difference, then at the version compared.
            comparison = _compare(answers, saved, request.form)
            if comparison.unchosen:
                status = 409
                comparison.refuse(form)
            else:
                _put(form, comparison.chosen())
                version = resolved
        if status == 200:
            domains = {
                domain.value: services.DomainInput(
                    need=form[f"{domain.value}_need"].data,
                    score=form[f"{domain.value}_score"].data,
                    notes=form[f"{domain.value}_notes"].data,
                )
                for domain in Domain
            }
            try:
                services.save_assessment(
                    referral,
                    domains,
                    current_actor(),
                    risk_notes=form.risk_notes.data,
                    indicators=form.indicators.data or [],
                    version=version,
                )
            except Conflict as error:
                # What this person typed stays on the page beside the saved answers; the form keeps the version she
                # started from, and the saved version only goes with the resolved marker (docs/conflicts.md).
                status = 409
                saved = services.assessment_of(referral)
                if saved is None:
                    apply_errors(form, error, "risk_notes")
                else:
                    _put(form, answers)
                    comparison = _compare(answers, saved, None)
                    comparison.show(form)
            except DomainError as error:
                apply_errors(form, _form_error(error), "risk_notes")
            else:
                drafts.used("assessment", referral.id)
                flash(_("Assessment saved."), "success")
                return redirect(url_for("assessments.show", referral_id=referral.id))
    return _case_page(
        referral,
        "assessments/edit.html",
        status=status,
        form=form,
        domains=list(Domain),
        labels=DOMAIN_LABELS,
        conflict=status == 409,
        comparison=comparison,
        draft=draft,
    )


def _questions() -> list[tuple[str, str]]:
    """Every answer of the form by name, with the words the comparison shows for it."""
    questions = []
    for domain in Domain:
        label = DOMAIN_LABELS[domain]
        questions += [
            (f"{domain.value}_need", _("%(domain)s: need", domain=label)),
            (f"{domain.value}_score", _("%(domain)s: wellbeing score", domain=label)),
            (f"{domain.value}_notes", _("%(domain)s: notes", domain=label)),
        ]
    return [
        *questions,
        ("indicators", _("Signs of exploitation or trafficking")),
        ("risk_notes", _("Risk notes")),
    ]


def _answers(form) -> dict:
    return {name: form[name].data for name, _ in _questions()}


def _saved(assessment) -> dict:
    values = {}
    for row in assessment.domains:
        values[f"{row.domain}_need"] = row.need_level
        values[f"{row.domain}_score"] = row.wellbeing_score
        values[f"{row.domain}_notes"] = row.notes
    values["indicators"] = services.indicators_of(assessment)
    values["risk_notes"] = assessment.risk_notes
    return values


def _shown(name: str, value) -> str:
    if name == "indicators":
        return ", ".join(str(EXPLOITATION_INDICATORS.get(code, code)) for code in value) if value else _("None ticked")
    if name.endswith("_need") and value != "":
        return _("%(level)s: %(need)s", level=value, need=NEED_LEVELS.get(int(value), "")) if value.isdigit() else value
    return value if value != "" else _("Not given")


def _compare(answers: dict, saved, formdata) -> conflicts.Comparison:
    return conflicts.compare(
        what=_("assessment"),
        questions=_questions(),
        mine=answers,
        saved=_saved(saved),
        version=saved.version,
        shown=_shown,
        formdata=formdata,
    )


def _put(form, values: dict) -> None:
    for name, value in values.items():
        form[name].data = list(value) if name == "indicators" else value


def _fill(form, assessment) -> None:
    form.version.data = str(assessment.version)
    for row in assessment.domains:
        form[f"{row.domain}_need"].data = str(row.need_level)
        form[f"{row.domain}_score"].data = str(row.wellbeing_score)
        form[f"{row.domain}_notes"].data = row.notes or ""
    form.risk_notes.data = assessment.risk_notes or ""
    form.indicators.data = services.indicators_of(assessment)


def _form_error(error: DomainError) -> DomainError:
    fields = {}
    for name, message in error.fields.items():
        parts = name.split(".")
        fields[
            f"{parts[1]}_{parts[2]}"
            if parts[0] == "domains" and len(parts) == 3
            else {"exploitation_indicators": "indicators"}.get(name, name)
        ] = message
    error.fields = fields
    return error

"""The needs assessment of a case: read it, record it."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user

from diversion.assessments import bp, services
from diversion.assessments.forms import AssessmentForm
from diversion.assessments.models import DOMAIN_LABELS, EXPLOITATION_INDICATORS, NEED_LEVELS, Domain
from diversion.errors import Conflict, DomainError
from diversion.forms import apply_errors
from diversion.permissions import load_case, requires
from diversion.referrals import services as referral_services


def _case_page(referral, template: str, status: int = 200, **context):
    from diversion.referrals.views import _case_page as case_page

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
        # No form that could not be saved: what comes first instead (a refused POST changes nothing).
        return _case_page(
            referral,
            "referrals/not_yet.html",
            status=200 if request.method == "GET" else 409,
            heading="Needs assessment",
            not_yet=blocked,
        )
    assessment = services.assessment_of(referral)
    form = AssessmentForm()
    if request.method == "GET" and assessment is not None:
        _fill(form, assessment)
    status = 200
    if form.validate_on_submit():
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
                current_user._get_current_object(),
                risk_notes=form.risk_notes.data,
                indicators=form.indicators.data or [],
                version=referral_services.parse_int(form.version.data),
            )
        except Conflict as error:
            # What this person typed stays on the page; they reconcile it with the other save.
            status = 409
            apply_errors(form, error, "risk_notes")
            form.version.data = str(services.assessment_of(referral).version)
        except DomainError as error:
            apply_errors(form, _form_error(error), "risk_notes")
        else:
            flash("Assessment saved.", "success")
            return redirect(url_for("assessments.show", referral_id=referral.id))
    return _case_page(
        referral,
        "assessments/edit.html",
        status=status,
        form=form,
        domains=list(Domain),
        labels=DOMAIN_LABELS,
        conflict=status == 409,
    )


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

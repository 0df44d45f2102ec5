"""Follow-up reviews on a case (support workers), and the managers' outcome pages (see ``report_views``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from diversion import conflicts
from diversion.assessments.models import DOMAIN_LABELS, NEED_LEVELS, Domain
from diversion.dates import long_date
from diversion.drafts import forms as drafts
from diversion.errors import Conflict, DomainError, NotFound
from diversion.extensions import db
from diversion.forms import apply_errors
from diversion.idempotency.forms import already_saved, held
from diversion.outcomes import bp, reviews
from diversion.outcomes import equality as equality_services
from diversion.outcomes.forms import EthnicityForm, ReviewForm
from diversion.permissions import current_actor, load_case, requires
from diversion.referrals.case_page import case_page, not_yet_page


def _case_page(referral: Any, template: str, status: int = 200, **context: Any) -> Any:
    return case_page(referral, "reviews", template, **context), status


def _load_review(referral: Any, review_id: Any) -> Any:
    try:
        return reviews.review_of(referral, review_id)
    except NotFound:
        abort(404)


@bp.route("/cases/<uuid:referral_id>/reviews")
@requires("client_records")
def review_list(referral_id: Any) -> Any:
    referral = load_case(referral_id)
    found, has_assessment = reviews.reviews_with_changes(referral)
    return _case_page(
        referral,
        "outcomes/reviews.html",
        reviews=found,
        has_assessment=has_assessment,
        labels=DOMAIN_LABELS,
    )


def _input(form: Any) -> reviews.ReviewInput:
    return reviews.ReviewInput(
        reviewed_on=form.reviewed_on.data,
        needs={domain.value: form[f"{domain.value}_need"].data for domain in Domain},
        scores={domain.value: form[f"{domain.value}_score"].data for domain in Domain},
        notes=form.notes.data,
    )


def _form_error(error: DomainError) -> DomainError:
    fields = {}
    for name, message in error.fields.items():
        parts = name.split(".")
        fields[f"{parts[1]}_{parts[2]}" if parts[0] == "domains" and len(parts) == 3 else name] = message
    error.fields = fields
    return error


def _form_page(
    referral: Any, form: Any, draft: Any, review: Any = None, status: int = 200, comparison: Any = None
) -> Any:
    return _case_page(
        referral,
        "outcomes/review_form.html",
        status=status,
        form=form,
        review=review,
        comparison=comparison,
        domains=list(Domain),
        labels=DOMAIN_LABELS,
        need_levels=NEED_LEVELS,
        draft=draft,
    )


@bp.route("/cases/<uuid:referral_id>/reviews/new", methods=["GET", "POST"])
@requires("client_records")
def new_review(referral_id: Any) -> Any:
    referral = load_case(referral_id)
    blocked = reviews.not_yet(referral)
    if blocked is not None:
        return not_yet_page(referral, "reviews", _("Record a review"), blocked)
    form = ReviewForm()
    if (saved := already_saved(form)) is not None:
        return saved  # the same form posted again: nothing more is saved
    draft = drafts.offer(form, "new-review", referral.id)
    if form.validate_on_submit():
        try:
            with held(form) as one_time:
                reviews.record_review(referral, _input(form), current_actor())
                one_time.saved(url_for("outcomes.review_list", referral_id=referral.id))
        except DomainError as error:
            apply_errors(form, _form_error(error), "reviewed_on")
        else:
            drafts.used("new-review", referral.id)
            flash(_("Review saved."), "success")
            return redirect(url_for("outcomes.review_list", referral_id=referral.id))
    return _form_page(referral, form, draft)


@bp.route("/cases/<uuid:referral_id>/reviews/<uuid:review_id>/edit", methods=["GET", "POST"])
@requires("client_records")
def edit_review(referral_id: Any, review_id: Any) -> Any:
    referral = load_case(referral_id)
    review = _load_review(referral, review_id)
    form = ReviewForm()
    if request.method == "GET":
        form.version.data = str(review.version)
        form.reviewed_on.process(None, review.reviewed_on)
        form.notes.data = review.notes or ""
        for row in review.domains:
            form[f"{row.domain}_need"].data = str(row.need_level)
            form[f"{row.domain}_score"].data = str(row.wellbeing_score)
    draft = drafts.offer(form, "review", review.id)
    status = 200
    comparison = None
    if form.validate_on_submit():
        answers = _answers(form)
        version = form.version.data
        resolved = conflicts.resolved_version(request.form)
        if resolved is not None and resolved == reviews.current_version(review):
            # Save again after a conflict: only with a choice for every difference, then at the version compared.
            comparison = _compare(answers, review, resolved, request.form)
            if comparison.unchosen:
                status = 409
                comparison.refuse(form)
            else:
                _put(form, comparison.chosen())
                version = resolved
        if status == 200:
            try:
                reviews.change_review(referral, review, _input(form), version, current_actor())
            except Conflict:
                # What this person typed stays on the page beside the saved answers; the form keeps the version she
                # started from, and the saved version only goes with the resolved marker (docs/conflicts.md).
                status = 409
                _put(form, answers)
                db.session.refresh(review)
                comparison = _compare(answers, review, review.version, None)
                comparison.show(form)
            except DomainError as error:
                apply_errors(form, _form_error(error), "reviewed_on")
            else:
                drafts.used("review", review.id)
                flash(_("Review saved."), "success")
                return redirect(url_for("outcomes.review_list", referral_id=referral.id))
    return _form_page(referral, form, draft, review, status, comparison)


def _questions() -> list[tuple[str, str]]:
    """Every answer of the review form by name, with the words the comparison shows for it."""
    questions = [("reviewed_on", _("Date of the review"))]
    for domain in Domain:
        label = DOMAIN_LABELS[domain]
        questions += [
            (f"{domain.value}_need", _("%(domain)s: need", domain=label)),
            (f"{domain.value}_score", _("%(domain)s: wellbeing score", domain=label)),
        ]
    return [*questions, ("notes", _("Notes"))]


def _answers(form: Any) -> dict[str, Any]:
    return {name: form[name].data for name, _label in _questions()}


def _saved(review: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"reviewed_on": review.reviewed_on, "notes": review.notes}
    for row in review.domains:
        values[f"{row.domain}_need"] = row.need_level
        values[f"{row.domain}_score"] = row.wellbeing_score
    return values


def _shown(name: str, value: str) -> str:
    if name == "reviewed_on" and value:
        return long_date(date.fromisoformat(value))
    if name.endswith("_need") and value.isdigit():
        return f"{value}: {NEED_LEVELS.get(int(value), '')}"
    return value if value != "" else _("Not given")


def _compare(answers: dict[str, Any], review: Any, version: int, formdata: Any) -> conflicts.Comparison:
    return conflicts.compare(
        what=_("review"),
        questions=_questions(),
        mine=answers,
        saved=_saved(review),
        version=version,
        shown=_shown,
        formdata=formdata,
    )


def _put(form: Any, values: dict[str, Any]) -> None:
    for name, value in values.items():
        form[name].data = value


@bp.route("/cases/<uuid:referral_id>/equality", methods=["GET", "POST"])
@requires("client_records")
def equality(referral_id: Any) -> Any:
    referral = load_case(referral_id)
    form = EthnicityForm()
    if request.method == "GET":
        form.ethnicity.data = referral.client.ethnicity_code
    if form.validate_on_submit():
        try:
            equality_services.record_ethnicity(referral, form.ethnicity.data, current_actor())
        except DomainError as error:
            apply_errors(form, error, "ethnicity")
        else:
            flash(_("Equality monitoring saved."), "success")
            return redirect(url_for("referrals.consent", referral_id=referral.id))
    return case_page(
        referral,
        "consent",
        "outcomes/equality.html",
        form=form,
        has_consent=equality_services.has_equality_consent(referral),
    )


# The managers' pages add their routes to the blueprint when imported.
from diversion.outcomes import report_views, return_views  # noqa: E402, F401

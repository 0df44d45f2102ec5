"""Follow-up reviews: the twelve domains scored again after the assessment, with an optimistic lock on changes.

A review is recorded once the assessment is (it is the baseline distance travelled is measured from), on a date that
is not in the future and not before the assessment.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from diversion.assessments.models import Assessment, AssessmentDomain, Domain
from diversion.assessments.services import assessment_of
from diversion.audit.services import record_event
from diversion.auth.models import User
from diversion.dates import london_date, today
from diversion.db import claim_version, transaction
from diversion.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from diversion.extensions import db
from diversion.outcomes.models import Review, ReviewDomain
from diversion.referrals.models import Referral
from diversion.referrals.states import NotYet

MAX_NOTES = 2000
STALE = _l(
    "Someone else saved this review while you were working on it. "
    "Your changes are shown below: check them against theirs and save again"
)


@dataclass
class ReviewInput:
    """A review as entered: the date, each domain's need level (0-3) and wellbeing score (1-10), and notes."""

    reviewed_on: date | None
    needs: dict[str, Any]
    scores: dict[str, Any]
    notes: str | None = None


@dataclass(frozen=True)
class DomainChange:
    """One domain's wellbeing at the assessment and at a review."""

    domain: Domain
    assessed: int | None
    reviewed: int

    @property
    def change(self) -> int | None:
        """Points up (positive) or down since the assessment."""
        return None if self.assessed is None else self.reviewed - self.assessed


def reviews_of(referral: Referral) -> list[Review]:
    """The case's reviews, newest first, with their domains."""
    query = (
        select(Review)
        .where(Review.referral_id == referral.id)
        .options(selectinload(Review.domains))
        .order_by(Review.reviewed_on.desc(), Review.created_at.desc())
    )
    return list(db.session.scalars(query))


def review_of(referral: Referral, review_id: Any) -> Review:
    """One review of this case (NotFound for another case's)."""
    review = db.session.get(Review, review_id)
    if review is None or review.referral_id != referral.id:
        raise NotFound(_("No such review on this case"))
    return review


def _baseline(assessment: Assessment | None) -> dict[str, int]:
    """The assessment's wellbeing score by domain (the scores only: its notes are not read)."""
    if assessment is None:
        return {}
    query = select(AssessmentDomain.domain, AssessmentDomain.wellbeing_score).where(
        AssessmentDomain.assessment_id == assessment.id
    )
    return dict(db.session.execute(query).all())


def _changes(baseline: dict[str, int], review: Review) -> list[DomainChange]:
    return [DomainChange(Domain(row.domain), baseline.get(row.domain), row.wellbeing_score) for row in review.domains]


def changes_of(referral: Referral, review: Review) -> list[DomainChange]:
    """Each domain's wellbeing at the assessment beside the review's."""
    return _changes(_baseline(assessment_of(referral)), review)


def reviews_with_changes(referral: Referral) -> tuple[list[tuple[Review, list[DomainChange]]], bool]:
    """The case's reviews (newest first), each with its changes since the assessment, and whether there is an
    assessment: the assessment is read once for all of them."""
    assessment = assessment_of(referral)
    baseline = _baseline(assessment)
    return [(review, _changes(baseline, review)) for review in reviews_of(referral)], assessment is not None


def _as_int(value: Any, low: int, high: int) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    text = str(value).strip()
    if not text.isdigit():
        return None
    number = int(text)
    return number if low <= number <= high else None


def not_yet(referral: Referral) -> NotYet | None:
    """What must happen before a review can be recorded, or None when it can be: the one rule the form, the
    section's links and ``record_review`` share."""
    assessment = assessment_of(referral)
    if assessment is None or assessment.completed_at is None:
        return NotYet(
            _("Record the needs assessment before a review: it is what a review is compared with"), "assessment"
        )
    return None


def _clean(referral: Referral, data: ReviewInput) -> tuple[dict[Domain, tuple[int, int]], str | None]:
    blocked = not_yet(referral)
    if blocked is not None:
        raise InvalidTransition(blocked.reason)
    assessment = assessment_of(referral)
    errors: dict[str, str] = {}
    if data.reviewed_on is None:
        errors["reviewed_on"] = _("Enter the date of the review")
    elif data.reviewed_on > today():
        errors["reviewed_on"] = _("The date of the review must be today or in the past")
    elif data.reviewed_on < london_date(assessment.completed_at):
        errors["reviewed_on"] = _("The date of the review must be the same as or after the assessment")
    clean: dict[Domain, tuple[int, int]] = {}
    for domain in Domain:
        need = _as_int(data.needs.get(domain.value), 0, 3)
        score = _as_int(data.scores.get(domain.value), 1, 10)
        if need is None:
            errors[f"domains.{domain.value}.need"] = _(
                "Select the need level for %(domain)s", domain=str(domain.label).lower()
            )
        if score is None:
            errors[f"domains.{domain.value}.score"] = _(
                "Give a wellbeing score from 1 to 10 for %(domain)s", domain=str(domain.label).lower()
            )
        if need is not None and score is not None:
            clean[domain] = (need, score)
    if set(data.needs) - {d.value for d in Domain} or set(data.scores) - {d.value for d in Domain}:
        errors["domains"] = _("Unknown needs domain")
    notes = (data.notes or "").strip() or None
    if notes and len(notes) > MAX_NOTES:
        errors["notes"] = _("Notes must be %(limit)d characters or fewer", limit=MAX_NOTES)
    if errors:
        raise ValidationFailed(next(iter(errors.values())), errors)
    return clean, notes


def record_review(referral: Referral, data: ReviewInput, actor: User) -> Review:
    """Record a new follow-up review of all twelve domains."""
    clean, notes = _clean(referral, data)
    with transaction():
        review = Review(id=uuid.uuid4(), client_id=referral.client_id, referral_id=referral.id)
        review.reviewed_on = data.reviewed_on  # type: ignore[assignment]
        review.recorded_by_id = actor.id
        review.notes = notes
        for position, domain in enumerate(Domain):
            need, score = clean[domain]
            review.domains.append(
                ReviewDomain(domain=domain.value, position=position, need_level=need, wellbeing_score=score)
            )
        db.session.add(review)
        db.session.flush()
        record_event(
            "review.recorded",
            object_type="review",
            object_id=review.id,
            case_id=referral.id,
            details={"version": review.version},
            actor=actor,
        )
    return review


def change_review(referral: Referral, review: Review, data: ReviewInput, version: int | None, actor: User) -> Review:
    """Change a review; a stale version (someone saved it since it was read) is refused with 409, nothing saved."""
    clean, notes = _clean(referral, data)
    if version != review.version:
        raise Conflict(STALE)
    with transaction():
        claim_version(review, version, STALE)
        review.reviewed_on = data.reviewed_on  # type: ignore[assignment]
        review.notes = notes
        rows = {row.domain: row for row in review.domains}
        for domain in Domain:
            rows[domain.value].need_level, rows[domain.value].wellbeing_score = clean[domain]
        db.session.flush()
        record_event(
            "review.changed",
            object_type="review",
            object_id=review.id,
            case_id=referral.id,
            details={"version": review.version},
            actor=actor,
        )
    return review


def current_version(review: Review) -> int:
    """The review's version as saved now (after a 409, the one to save against next)."""
    return int(db.session.execute(select(Review.version).where(Review.id == review.id)).scalar_one())

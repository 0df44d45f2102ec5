"""The forms that keep drafts, and for each: who may keep one, whose key protects it, and where the form is.

Each resolver checks access as the form's own view does (the same rule, the same scoped loader), so a draft can only
be kept of a form its author could save (docs/drafts.md). Saving or discarding a draft answers nothing of the case,
so the loader is told no read is shown (``shown=False``): the form's own page audits the read of her record.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import abort, url_for
from flask_login import current_user

from diversion.permissions import load_case, load_or_404, user_allows


@dataclass(frozen=True)
class Place:
    """One form a draft belongs to."""

    kind: str
    target: str
    client_id: uuid.UUID | None
    form_class: type[Any]
    form_url: str
    exclude: frozenset[str] = field(default_factory=frozenset)

    def field_names(self) -> list[str]:
        form = self.form_class(formdata=None, meta={"csrf": False})
        return [item.name for item in form]


def _require(rule: str) -> None:
    if not user_allows(current_user, rule):
        abort(403)


def _id(target: str) -> uuid.UUID:
    try:
        return uuid.UUID(target)
    except ValueError:
        abort(404)


def _open(referral: Any, not_yet: Callable[[Any], Any]) -> None:
    # A form that cannot be saved yet keeps no draft either (docs/not-yet.md).
    if not_yet(referral) is not None:
        abort(409)


def _new_referral(target: str) -> Place:
    from diversion.referrals.forms import ReferralForm

    _require("make_referral")
    if target != "new":
        abort(404)
    # Whether she is someone referred before is asked again after the details are checked: it is not kept.
    return Place("new-referral", "new", None, ReferralForm, url_for("referrals.new"), frozenset({"link"}))


def _on_case(kind: str, endpoint: str, target: str, form_class: type[Any], not_yet: Callable[[Any], Any]) -> Place:
    """A form about a case: a support record, opened through the scoped case loader, and only once it can be saved."""
    _require("client_records")
    referral = load_case(_id(target), shown=False)
    _open(referral, not_yet)
    return Place(kind, str(referral.id), referral.client_id, form_class, url_for(endpoint, referral_id=referral.id))


def _assessment(target: str) -> Place:
    from diversion.assessments import services
    from diversion.assessments.forms import AssessmentForm

    return _on_case("assessment", "assessments.edit", target, AssessmentForm, services.not_yet)


def _plan(target: str) -> Place:
    from diversion.care_plans import services
    from diversion.care_plans.forms import CarePlanForm

    return _on_case("plan", "care_plans.edit", target, CarePlanForm, services.not_yet)


def _new_review(target: str) -> Place:
    from diversion.outcomes import reviews
    from diversion.outcomes.forms import ReviewForm

    return _on_case("new-review", "outcomes.new_review", target, ReviewForm, reviews.not_yet)


def _review(target: str) -> Place:
    from diversion.outcomes.forms import ReviewForm
    from diversion.outcomes.models import Review

    _require("client_records")
    review = load_or_404(Review, _id(target))
    referral = load_case(review.referral_id, shown=False)
    url = url_for("outcomes.edit_review", referral_id=referral.id, review_id=review.id)
    return Place("review", str(review.id), referral.client_id, ReviewForm, url)


def _outcome(target: str) -> Place:
    from diversion.appointments.forms import OutcomeForm
    from diversion.appointments.models import Appointment

    _require("client_records")
    appointment = load_or_404(Appointment, _id(target))
    referral = load_case(appointment.referral_id, shown=False)
    url = url_for("appointments.outcome", appointment_id=appointment.id)
    return Place("outcome", str(appointment.id), referral.client_id, OutcomeForm, url)


RESOLVERS: dict[str, Callable[[str], Place]] = {
    "new-referral": _new_referral,
    "assessment": _assessment,
    "plan": _plan,
    "new-review": _new_review,
    "review": _review,
    "outcome": _outcome,
}


def resolve(kind: str, target: str) -> Place:
    """The form a draft request is about, after the checks its own view makes; 404, 403 or 409 otherwise."""
    resolver = RESOLVERS.get(kind)
    if resolver is None:
        abort(404)
    return resolver(target)

"""Recording the Care Action Plan: goals by domain, actions, onward referrals, and her agreement, which completes
the case when every step of the programme is done. Saved under an optimistic lock."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from diversion.assessments.models import Domain
from diversion.audit.services import record_event
from diversion.auth.models import User
from diversion.care_plans.models import (
    ACTION_OWNERS,
    ACTION_STATUSES,
    ONWARD_STATUSES,
    CarePlan,
    CarePlanAction,
    CarePlanGoal,
    OnwardReferral,
    Service,
)
from diversion.db import claim_version, transaction, utcnow
from diversion.errors import Conflict, InvalidTransition, ValidationFailed
from diversion.extensions import db
from diversion.i18n import N_
from diversion.referrals.models import Referral, State
from diversion.referrals.programme import programme_for
from diversion.referrals.states import NotYet, closed_case, evaluate_progress, step_progress

MAX_TEXT = 1000
MAX_GOALS = 12
MAX_ACTIONS = 10
STALE = N_(
    "Someone else saved this plan while you were working on it. "
    "Your changes are shown below: check them against theirs and save again"
)


@dataclass
class ActionInput:
    """A step towards a goal."""

    text: str
    owner: str = "client"
    due_date: date | None = None
    status: str = "to_do"


@dataclass
class GoalInput:
    """A goal in a needs domain, with its actions."""

    domain: str
    text: str
    actions: list[ActionInput] = field(default_factory=list)


@dataclass
class OnwardInput:
    """A referral on to another service."""

    service: str
    status: str = "suggested"


def plan_of(referral: Referral) -> CarePlan | None:
    """The case's plan, if one has been saved."""
    return db.session.scalars(select(CarePlan).where(CarePlan.referral_id == referral.id)).first()


def plan_is_agreed(referral: Referral) -> bool:
    """True once she has agreed the plan."""
    plan = plan_of(referral)
    return plan is not None and plan.is_agreed


def _plan_step_number(referral: Referral) -> int | None:
    return next((step.number for step in programme_for(referral).steps if step.produces == "care_plan"), None)


def _validate(goals: list[GoalInput], onward: list[OnwardInput], agreed: bool, notes: str | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if len(goals) > MAX_GOALS:
        errors["goals"] = _("A plan has at most %(max)s goals", max=MAX_GOALS)
    if agreed and not goals:
        errors["goals"] = _("Add at least one goal before recording her agreement")
    domains = {domain.value for domain in Domain}
    for g, goal in enumerate(goals):
        if goal.domain not in domains:
            errors[f"goals.{g}.domain"] = _("Select the needs domain of goal %(goal)s", goal=g + 1)
        if not (goal.text or "").strip():
            errors[f"goals.{g}.text"] = _("Enter goal %(goal)s", goal=g + 1)
        elif len(goal.text) > MAX_TEXT:
            errors[f"goals.{g}.text"] = _("Goal %(goal)s must be %(max)s characters or fewer", goal=g + 1, max=MAX_TEXT)
        if len(goal.actions) > MAX_ACTIONS:
            errors[f"goals.{g}.actions"] = _("A goal has at most %(max)s actions", max=MAX_ACTIONS)
        for a, action in enumerate(goal.actions):
            where = f"goals.{g}.actions.{a}"
            if not (action.text or "").strip():
                errors[f"{where}.text"] = _("Enter action %(action)s of goal %(goal)s", action=a + 1, goal=g + 1)
            elif len(action.text) > MAX_TEXT:
                errors[f"{where}.text"] = _(
                    "Action %(action)s of goal %(goal)s must be %(max)s characters or fewer",
                    action=a + 1,
                    goal=g + 1,
                    max=MAX_TEXT,
                )
            if action.owner not in ACTION_OWNERS:
                errors[f"{where}.owner"] = _(
                    "Select who does action %(action)s of goal %(goal)s", action=a + 1, goal=g + 1
                )
            if action.status not in ACTION_STATUSES:
                errors[f"{where}.status"] = _(
                    "Select the status of action %(action)s of goal %(goal)s", action=a + 1, goal=g + 1
                )
    services = {service.value for service in Service}
    for o, item in enumerate(onward):
        if item.service not in services:
            errors[f"onward_referrals.{o}.service"] = _(
                "Select the service of onward referral %(number)s", number=o + 1
            )
        if item.status not in ONWARD_STATUSES:
            errors[f"onward_referrals.{o}.status"] = _("Select the status of onward referral %(number)s", number=o + 1)
    if notes and len(notes) > MAX_TEXT * 5:
        errors["notes"] = _("Notes must be %(max)s characters or fewer", max=MAX_TEXT * 5)
    return errors


def _check(
    referral: Referral,
    goals: list[GoalInput],
    onward: list[OnwardInput],
    agreed: bool,
    notes: str | None,
    version: int | None,
) -> tuple[CarePlan | None, bool]:
    """Refuse what the save would refuse; the plan saved so far and whether this save records her agreement."""
    from diversion.appointments.reads import attended_numbers

    blocked = not_yet(referral)
    if blocked is not None:
        raise InvalidTransition(blocked.reason)
    errors = _validate(goals, onward, agreed, notes)
    if errors:
        raise ValidationFailed(next(iter(errors.values())), errors)
    existing = plan_of(referral)
    if existing is not None and version != existing.version:
        raise Conflict(_(STALE))
    newly_agreed = agreed and not (existing is not None and existing.is_agreed)
    step = _plan_step_number(referral)
    if newly_agreed and step is not None and step not in attended_numbers(referral):
        raise InvalidTransition(
            _("Record that she attended appointment %(number)s before recording her agreement", number=step)
        )
    if existing is not None and existing.is_agreed and not agreed:
        raise InvalidTransition(_("Her agreement to the plan has been recorded and cannot be taken back here"))
    return existing, newly_agreed


def save_completes_case(
    referral: Referral,
    goals: list[GoalInput],
    onward: list[OnwardInput],
    *,
    agreed: bool = False,
    notes: str | None = None,
    version: int | None = None,
) -> bool:
    """True when this save would complete the case (her agreement recorded with every other step done), so the
    page asks to confirm first; raises what the save would raise. Saves nothing."""
    _, newly_agreed = _check(referral, goals, onward, agreed, notes, version)
    if not newly_agreed or referral.state_enum not in (State.OPTED_IN, State.ASSESSED):
        return False
    return all(
        item.attended and (item.produced or item.step.produces == "care_plan") for item in step_progress(referral)
    )


def not_yet(referral: Referral) -> NotYet | None:
    """What must happen before the plan can be saved, or None when it can be: the one rule the form, the section's
    links and ``save_care_plan`` share. (Recording her agreement has a rule of its own, checked on saving.)"""
    if referral.state_enum is State.REFERRED:
        return NotYet(
            _(
                "Record her consent to support and to sharing first: the Care Action Plan is made with her once she "
                "has opted in"
            ),
            "consent",
        )
    if referral.state_enum not in (State.OPTED_IN, State.ASSESSED, State.COMPLETED):
        return closed_case(referral, _("the Care Action Plan can no longer be made or changed"))
    return None


def save_care_plan(
    referral: Referral,
    goals: list[GoalInput],
    onward: list[OnwardInput],
    actor: User,
    *,
    agreed: bool = False,
    notes: str | None = None,
    version: int | None = None,
) -> CarePlan:
    """Save the plan; with ``agreed`` (after the plan's appointment is attended) the case may complete.
    A stale version is refused with 409 and nothing saved."""
    existing, newly_agreed = _check(referral, goals, onward, agreed, notes, version)
    with _stale_on_duplicate(), transaction():
        plan = existing or CarePlan(id=uuid.uuid4(), client_id=referral.client_id, referral_id=referral.id)
        if existing is None:
            db.session.add(plan)
            db.session.flush()
        else:
            claim_version(plan, version, _(STALE))
        _replace_goals(plan, goals)
        _replace_onward(plan, onward)
        plan.notes = (notes or "").strip() or None
        if newly_agreed:
            plan.is_agreed, plan.agreed_at, plan.agreed_by_id = True, utcnow(), actor.id
        db.session.flush()
        record_event(
            "care_plan.agreed" if newly_agreed else "care_plan.saved",
            object_type="care_plan",
            object_id=plan.id,
            case_id=referral.id,
            details={"version": plan.version, "goals": len(goals), "onward_referrals": len(onward)},
            actor=actor,
        )
        evaluate_progress(referral, actor=actor)
    return plan


@contextmanager
def _stale_on_duplicate() -> Iterator[None]:
    """Two first saves at the same moment: the unique case id lets one in, and the other gets 409."""
    try:
        yield
    except IntegrityError:
        raise Conflict(_(STALE)) from None


def _replace_goals(plan: CarePlan, goals: list[GoalInput]) -> None:
    plan.goals.clear()
    db.session.flush()
    for g, goal in enumerate(goals):
        row = CarePlanGoal(id=uuid.uuid4(), client_id=plan.client_id, plan_id=plan.id, domain=goal.domain, position=g)
        row.text = goal.text.strip()
        for a, action in enumerate(goal.actions):
            item = CarePlanAction(
                id=uuid.uuid4(),
                client_id=plan.client_id,
                goal_id=row.id,
                position=a,
                owner=action.owner,
                due_date=action.due_date,
                status=action.status,
            )
            item.text = action.text.strip()
            row.actions.append(item)
        plan.goals.append(row)


def _replace_onward(plan: CarePlan, onward: list[OnwardInput]) -> None:
    before = {(item.service, item.status): item.status_changed_at for item in plan.onward_referrals}
    plan.onward_referrals.clear()
    db.session.flush()
    now = utcnow()
    for o, item in enumerate(onward):
        plan.onward_referrals.append(
            OnwardReferral(
                plan_id=plan.id,
                position=o,
                service=item.service,
                status=item.status,
                status_changed_at=before.get((item.service, item.status)) or now,
            )
        )

"""The case state machine: the one place a case changes state, and the rules of progress.

Every change goes through ``change_state``, which refuses a transition the rules do not allow with a clear
InvalidTransition, writes the audit event, and sends ``final_state_reached`` (diversion/signals.py: the outcome
notice) in the same transaction. ``evaluate_progress`` computes completion from the programme: it is never typed in.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from typing import Any

from blinker import Namespace
from flask_babel import gettext as _
from sqlalchemy import bindparam, exists, select

from diversion.appointments.reads import appointments_of, attended_among, current_among
from diversion.audit.services import record_event
from diversion.dates import today
from diversion.db import utcnow
from diversion.errors import InvalidTransition
from diversion.extensions import db
from diversion.referrals.models import OPEN_STATES, Referral, State
from diversion.referrals.programme import Programme, Step, programme_for
from diversion.signals import final_state_reached

# (from, to) -> the reason code recorded in the audit trail.
TRANSITIONS: dict[tuple[State, State], str] = {
    (State.REFERRED, State.DECLINED): "consent_refused",
    (State.REFERRED, State.OPTED_IN): "consent_given",
    (State.OPTED_IN, State.ASSESSED): "first_step_done",
    (State.ASSESSED, State.COMPLETED): "all_steps_done",
    # A one-step programme completes straight from OPTED_IN.
    (State.OPTED_IN, State.COMPLETED): "all_steps_done",
    **{(state, State.NOT_COMPLETED): "return_date_passed" for state in OPEN_STATES},
    **{(state, State.WITHDRAWN): "withdrawn" for state in OPEN_STATES},
}

# Sent with the referral (and ``actor``) after every change of state, a reversal included, inside the same
# transaction: the webhooks' outbox listens (docs/webhooks.md).
state_changed = Namespace().signal("referral.state_changed")


def can_change(referral: Referral, to: State) -> bool:
    """True when the rules allow the case to move to ``to`` now."""
    return (referral.state_enum, to) in TRANSITIONS


def change_state(referral: Referral, to: State, *, actor: Any = None, on: date | None = None) -> None:
    """Move a case to a new state (flush only), or raise InvalidTransition saying why not."""
    current = referral.state_enum
    reason = TRANSITIONS.get((current, to))
    if reason is None:
        raise InvalidTransition(
            _("A case that is %(state)s cannot become %(to)s", state=current.label.lower(), to=to.label.lower())
        )
    referral.state = to.value
    referral.version += 1
    # Court dates are London dates: just after midnight in summer, UTC is still on the day before.
    if to is State.OPTED_IN:
        referral.consent_date = on or today()
    if to.is_final:
        referral.outcome_date = on or today()
        referral.final_at = utcnow()
    record_event(
        "referral.state_changed",
        object_type="referral",
        object_id=referral.id,
        case_id=referral.id,
        details={"from": current.value, "to": to.value, "reason": reason},
        actor=actor,
    )
    state_changed.send(referral, actor=actor)
    if to.is_final:
        final_state_reached.send(referral, actor=actor)


# Final states a manager may reverse within the configured days (docs/reversals.md).
REVERSIBLE_STATES = frozenset({State.DECLINED, State.WITHDRAWN})


def state_before_final(referral: Referral) -> State | None:
    """The state a final case was in before its last change, read from the audit trail's state history (the
    ``referral.state_changed`` event that brought it to its present state); None when none is recorded."""
    from diversion.audit.models import AuditEvent

    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.case_id == referral.id, AuditEvent.action == "referral.state_changed")
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).all()
    if not events or not events[0].details or events[0].details.get("to") != referral.state:
        return None
    try:
        return State(events[0].details.get("from"))
    except ValueError:
        return None


def reverse_final_state(referral: Referral, to: State, *, actor: Any = None) -> None:
    """Put a declined or withdrawn case back in the open state it was in before (flush only): the one change of
    state that leaves a final state. The caller (referrals.reversals.reverse_decision) checks who, when and why."""
    current = referral.state_enum
    if current not in REVERSIBLE_STATES or to.is_final:
        raise InvalidTransition(
            _("A case that is %(state)s cannot become %(to)s", state=current.label.lower(), to=to.label.lower())
        )
    referral.state = to.value
    referral.version += 1
    referral.outcome_date = None
    referral.final_at = None
    record_event(
        "referral.state_changed",
        object_type="referral",
        object_id=referral.id,
        case_id=referral.id,
        details={"from": current.value, "to": to.value, "reason": "decision_reversed"},
        actor=actor,
    )
    state_changed.send(referral, actor=actor)


@dataclass(frozen=True)
class StepProgress:
    """How far a case has got with one step of the programme."""

    step: Step
    attended: bool
    produced: bool

    @property
    def is_done(self) -> bool:
        """Attended, and what the step must produce is recorded."""
        return self.attended and self.produced


@dataclass(frozen=True)
class _Facts:
    """What a case's progress is worked out from."""

    appointments: list[Any]  # every appointment, superseded ones too, by number then time
    assessment_complete: bool
    plan_agreed: bool


def _facts(referral: Referral) -> _Facts:
    """The case's appointments and whether its assessment is complete and its plan agreed: two statements."""
    assessment_complete, plan_agreed = db.session.execute(_products_query(), {"referral_id": referral.id}).one()
    return _Facts(appointments_of(referral), bool(assessment_complete), bool(plan_agreed))


@functools.cache
def _products_query() -> Any:
    """Whether the case's assessment is complete and its plan agreed, in one statement built once."""
    from diversion.assessments.models import Assessment
    from diversion.care_plans.models import CarePlan

    referral_id = bindparam("referral_id")
    # A case has at most one assessment and one plan (unique per referral).
    complete = exists().where(Assessment.referral_id == referral_id, Assessment.completed_at.is_not(None))
    agreed = exists().where(CarePlan.referral_id == referral_id, CarePlan.is_agreed.is_(True))
    return select(complete, agreed)


def _progress(referral: Referral, facts: _Facts, prog: Programme | None = None) -> list[StepProgress]:
    prog = prog or programme_for(referral)
    attended = attended_among(facts.appointments, referral.return_date)
    products = {"assessment": facts.assessment_complete, "care_plan": facts.plan_agreed, None: True}
    return [StepProgress(step, step.number in attended, products[step.produces]) for step in prog.steps]


def step_progress(referral: Referral, prog: Programme | None = None) -> list[StepProgress]:
    """Each step's progress, from the case's appointments, assessment and plan."""
    return _progress(referral, _facts(referral), prog)


def evaluate_progress(referral: Referral, *, actor: Any = None) -> State:
    """Move an open case on as far as its recorded progress allows; returns the state it is in."""
    if referral.state_enum not in (State.OPTED_IN, State.ASSESSED):
        return referral.state_enum
    progress = step_progress(referral)
    if all(item.is_done for item in progress):
        if referral.state_enum is State.OPTED_IN and len(progress) > 1:
            change_state(referral, State.ASSESSED, actor=actor)
        change_state(referral, State.COMPLETED, actor=actor)
    elif progress[0].is_done and referral.state_enum is State.OPTED_IN:
        change_state(referral, State.ASSESSED, actor=actor)
    return referral.state_enum


@dataclass(frozen=True)
class NotYet:
    """Why a section's form cannot be saved yet, and where what comes first is done: "consent", "appointments" or
    "assessment" (a section of the case), or None when nothing will make it possible (a closed case)."""

    reason: str
    first: str | None = None


def closed_case(referral: Referral, what: str) -> NotYet:
    """A closed case's refusal: "The case is withdrawn: <what>"."""
    return NotYet(_("The case is %(state)s: %(what)s", state=referral.state_enum.label.lower(), what=what))


@dataclass(frozen=True)
class NextAction:
    """What a case needs next: a code the case page turns into words and a link, and the step it is about; with
    what remains of the case's programme before it completes, and how many appointments that programme has (the
    version the case started under, so the page never assumes two)."""

    code: str
    number: int | None = None
    appointment_id: Any = None
    remaining: tuple[StepProgress, ...] = ()
    appointments: int = 0


def next_action(referral: Referral) -> NextAction:
    """The next thing to do on a case, from its state and the first step not yet done."""
    state = referral.state_enum
    if state.is_final:
        return NextAction("none")
    if state is State.REFERRED:
        steps = programme_for(referral).steps
        untouched = tuple(StepProgress(step, attended=False, produced=False) for step in steps)
        return NextAction("record_consent", remaining=untouched, appointments=len(steps))
    facts = _facts(referral)
    appointments = current_among(facts.appointments)
    progress = _progress(referral, facts)
    remaining = tuple(item for item in progress if not item.is_done)
    left = {"remaining": remaining, "appointments": len(progress)}
    for item in remaining:
        number = item.step.number
        if not item.attended:
            booked = [a for a in appointments if a.number == number and a.outcome is None]
            if not booked:
                return NextAction("book", number, **left)
            if booked[0].starts_at <= utcnow():
                return NextAction("record_outcome", number, booked[0].id, **left)
            return NextAction("wait", number, booked[0].id, **left)
        if item.step.produces == "assessment":
            return NextAction("record_assessment", number, **left)
        if item.step.produces == "care_plan":
            return NextAction("agree_plan", number, **left)
    return NextAction("none", **left)

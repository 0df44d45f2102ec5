"""The Care Action Plan: agreement after appointment 2 is attended, at least one goal, validation with field paths,
completion of the case, no taking agreement back, onward referrals' status dates, and the optimistic lock."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import update

from diversion.care_plans import services as plan_services
from diversion.care_plans.models import CarePlan, CarePlanAction, CarePlanGoal, OnwardReferral
from diversion.care_plans.services import ActionInput, GoalInput, OnwardInput, plan_is_agreed, plan_of
from diversion.care_plans.services import save_care_plan as save
from diversion.errors import Conflict, InvalidTransition, ValidationFailed
from diversion.extensions import db
from diversion.referrals.models import FINAL_STATES, Referral, State
from tests.factories import (
    attend,
    audit_events,
    book,
    create_referral,
    create_user,
    last_audit_id,
    raw_column,
    row_counts,
    save_full_assessment,
)

LONG_AGO = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def worker(app_ctx):
    return create_user(role="worker")


@pytest.fixture
def assessed(worker):
    """Assessed at appointment 1; appointment 2 not yet booked."""
    return create_referral(state=State.ASSESSED, worker=worker)


@pytest.fixture
def case(assessed, worker):
    """Assessed, and appointment 2 attended: ready for her agreement."""
    attend(appointment=book(referral=assessed, worker=worker, number=2), worker=worker)
    return assessed


def goals(text: str = "Find somewhere safe to live", *, domain: str = "accommodation") -> list[GoalInput]:
    return [GoalInput(domain, text, [ActionInput("Call the housing team", "worker", date(2026, 12, 10))])]


def refuse(error, referral, worker, goal_list, onward=(), **kwargs):
    """Save what must be refused: the error, and nothing stored or changed."""
    counts = row_counts()
    before = (referral.state, referral.version)
    with pytest.raises(error) as caught:
        save(referral, list(goal_list), list(onward), worker, **kwargs)
    assert row_counts() == counts
    assert (referral.state, referral.version) == before
    return caught.value


def stored(referral: Referral) -> dict:
    """What the database holds for the case's plan, read afresh."""
    db.session.expire_all()
    plan = plan_of(referral)
    return {
        "version": plan.version,
        "agreed": plan.is_agreed,
        "notes": plan.notes,
        "goals": [
            (goal.domain, goal.text, [(action.text, action.owner, action.status) for action in goal.actions])
            for goal in plan.goals
        ],
        "onward": [(item.service, item.status) for item in plan.onward_referrals],
    }


# --- when, and completion ---


def test_a_draft_can_be_saved_before_appointment_2(assessed, worker) -> None:
    plan = save(assessed, goals(), [OnwardInput("housing")], worker)
    assert not plan.is_agreed
    assert plan.version == 1
    assert assessed.state == State.ASSESSED
    assert stored(assessed)["onward"] == [("housing", "suggested")]


def test_agreement_is_refused_before_appointment_2_is_attended(assessed, worker) -> None:
    error = refuse(InvalidTransition, assessed, worker, goals(), agreed=True)
    assert "appointment 2" in error.message
    second = book(referral=assessed, worker=worker, number=2)
    refuse(InvalidTransition, assessed, worker, goals(), agreed=True)
    attend(appointment=second, worker=worker, outcome="cancelled_by_client")
    refuse(InvalidTransition, assessed, worker, goals(), agreed=True)
    assert not plan_is_agreed(assessed)


def test_a_draft_saved_earlier_cannot_be_agreed_before_appointment_2(assessed, worker) -> None:
    save(assessed, goals(), [], worker)
    refuse(InvalidTransition, assessed, worker, goals(), agreed=True, version=1)
    assert stored(assessed)["agreed"] is False


@pytest.mark.parametrize("state", [State.REFERRED, *sorted(FINAL_STATES - {State.COMPLETED})])
def test_no_plan_before_opting_in_or_after_the_case_closed(worker, state: State) -> None:
    referral = create_referral(state=state, worker=worker)
    refuse(InvalidTransition, referral, worker, goals())


def test_the_agreed_plan_completes_the_case(case, worker) -> None:
    mark = last_audit_id()
    plan = save(case, goals(), [OnwardInput("drug_treatment", "made")], worker, agreed=True)
    assert plan.is_agreed
    assert plan.agreed_by_id == worker.id
    assert plan.agreed_at is not None
    assert case.state == State.COMPLETED
    assert case.outcome_date is not None
    events = audit_events(after=mark)
    assert [event.action for event in events] == ["care_plan.agreed", "referral.state_changed", "notice.created"]
    assert events[0].details == {"version": 1, "goals": 1, "onward_referrals": 1}
    assert events[0].case_id == case.id
    assert events[1].details == {"from": "ASSESSED", "to": "COMPLETED", "reason": "all_steps_done"}


def test_agreement_needs_at_least_one_goal(case, worker) -> None:
    error = refuse(ValidationFailed, case, worker, [], agreed=True)
    assert set(error.fields) == {"goals"}
    assert case.state == State.ASSESSED
    # A draft with no goals yet is fine.
    save(case, [], [], worker)
    assert case.state == State.ASSESSED


def test_agreement_cannot_be_taken_back(case, worker) -> None:
    save(case, goals(), [], worker, agreed=True)
    error = refuse(InvalidTransition, case, worker, goals("Changed"), agreed=False, version=1)
    assert "cannot be taken back" in error.message
    assert stored(case)["agreed"] is True
    assert case.state == State.COMPLETED


def test_an_agreed_plan_can_still_be_updated(case, worker) -> None:
    """Actions move on after the case completes: the plan stays agreed and the case completed."""
    save(case, goals(), [], worker, agreed=True)
    mark = last_audit_id()
    plan = save(case, goals("Keep her tenancy"), [OnwardInput("housing", "accepted")], worker, agreed=True, version=1)
    assert plan.version == 2
    assert case.state == State.COMPLETED
    assert [event.action for event in audit_events(after=mark)] == ["care_plan.saved"]


# --- validation, with field paths ---


@pytest.mark.parametrize(
    ("goal_list", "onward", "fields"),
    [
        ([GoalInput("astrology", "A goal")], [], {"goals.0.domain"}),
        ([GoalInput("accommodation", "")], [], {"goals.0.text"}),
        ([GoalInput("accommodation", "   ")], [], {"goals.0.text"}),
        ([GoalInput("accommodation", "x" * 1001)], [], {"goals.0.text"}),
        ([GoalInput("drugs", "Fine"), GoalInput("nope", "")], [], {"goals.1.domain", "goals.1.text"}),
        ([GoalInput("drugs", "Fine", [ActionInput("")])], [], {"goals.0.actions.0.text"}),
        ([GoalInput("drugs", "Fine", [ActionInput("x" * 1001)])], [], {"goals.0.actions.0.text"}),
        ([GoalInput("drugs", "Fine", [ActionInput("Go", owner="police")])], [], {"goals.0.actions.0.owner"}),
        ([GoalInput("drugs", "Fine", [ActionInput("Go", status="maybe")])], [], {"goals.0.actions.0.status"}),
        (
            [GoalInput("drugs", "Fine", [ActionInput("Go"), ActionInput("", owner="x", status="y")])],
            [],
            {"goals.0.actions.1.text", "goals.0.actions.1.owner", "goals.0.actions.1.status"},
        ),
        ([GoalInput("drugs", "Fine", [ActionInput("Go")] * 11)], [], {"goals.0.actions"}),
        ([GoalInput("drugs", "Fine")] * 13, [], {"goals"}),
        ([], [OnwardInput("astrology")], {"onward_referrals.0.service"}),
        ([], [OnwardInput("housing", "pending")], {"onward_referrals.0.status"}),
        (
            [],
            [OnwardInput("gp"), OnwardInput("spa", "nope")],
            {"onward_referrals.1.service", "onward_referrals.1.status"},
        ),
    ],
)
def test_goals_actions_and_onward_referrals_are_validated_with_field_paths(
    case, worker, goal_list, onward, fields
) -> None:
    error = refuse(ValidationFailed, case, worker, goal_list, onward)
    assert set(error.fields) == fields


def test_notes_are_bounded(case, worker) -> None:
    error = refuse(ValidationFailed, case, worker, goals(), notes="x" * 5001)
    assert set(error.fields) == {"notes"}


def test_every_owner_status_and_service_code_is_accepted(case, worker) -> None:
    from diversion.care_plans.models import ACTION_OWNERS, ACTION_STATUSES, ONWARD_STATUSES, Service

    actions = [
        ActionInput(f"Step {owner} {status}", owner, None, status)
        for owner in ACTION_OWNERS
        for status in ACTION_STATUSES
    ][:10]
    onward = [OnwardInput(service.value, status) for service in Service for status in ONWARD_STATUSES]
    save(case, [GoalInput("exiting", "Leave the street", actions)], onward, worker)
    assert len(stored(case)["onward"]) == len(Service) * len(ONWARD_STATUSES)


# --- encryption at rest ---


def test_goal_and_action_text_and_notes_are_stored_encrypted(case, worker) -> None:
    plan = save(
        case,
        [GoalInput("safety", "Get away from her pimp", [ActionInput("Refuge referral via IDVA")])],
        [],
        worker,
        notes="She keeps a second phone hidden",
    )
    goal = plan.goals[0]
    for model, column, row_id, plaintext in [
        (CarePlanGoal, "text", goal.id, b"pimp"),
        (CarePlanAction, "text", goal.actions[0].id, b"Refuge"),
        (CarePlan, "notes", plan.id, b"second phone"),
    ]:
        value = raw_column(model=model, column=column, row_id=row_id)
        assert isinstance(value, bytes)
        assert plaintext not in value, column
    assert stored(case)["goals"] == [
        ("safety", "Get away from her pimp", [("Refuge referral via IDVA", "client", "to_do")])
    ]
    assert stored(case)["notes"] == "She keeps a second phone hidden"


# --- onward referrals: when their status changed ---


def _age_onward_referrals(plan_id) -> None:
    db.session.execute(
        update(OnwardReferral).where(OnwardReferral.plan_id == plan_id).values(status_changed_at=LONG_AGO)
    )
    db.session.commit()


def _changed_at(referral: Referral) -> dict[str, datetime]:
    db.session.expire_all()
    return {item.service: item.status_changed_at for item in plan_of(referral).onward_referrals}


def test_onward_status_date_is_kept_when_unchanged_and_moves_when_the_status_changes(case, worker) -> None:
    plan = save(case, goals(), [OnwardInput("housing", "made"), OnwardInput("gp", "suggested")], worker)
    assert all(value is not None for value in _changed_at(case).values())
    _age_onward_referrals(plan.id)
    save(case, goals(), [OnwardInput("housing", "made"), OnwardInput("gp", "made")], worker, version=1)
    changed = _changed_at(case)
    assert changed["housing"] == LONG_AGO
    assert changed["gp"] > LONG_AGO
    # Reordered, the unchanged one still keeps its date.
    _age_onward_referrals(plan.id)
    save(case, goals(), [OnwardInput("gp", "made"), OnwardInput("housing", "accepted")], worker, version=2)
    changed = _changed_at(case)
    assert changed["gp"] == LONG_AGO
    assert changed["housing"] > LONG_AGO


# --- the optimistic lock ---


def test_two_concurrent_edits_the_second_gets_409_and_nothing_of_the_first_is_lost(case, worker) -> None:
    colleague = create_user(role="worker")
    save(case, goals("First draft"), [OnwardInput("housing")], worker)
    read_by_both = plan_of(case).version
    save(
        case,
        goals("Worker's goal") + goals("Second goal", domain="drugs"),
        [OnwardInput("housing", "made"), OnwardInput("drug_treatment")],
        worker,
        notes="Worker's notes",
        version=read_by_both,
    )
    after_first = stored(case)
    counts = row_counts()
    with pytest.raises(Conflict) as caught:
        save(case, goals("Colleague's goal"), [], colleague, notes="Colleague's", agreed=True, version=read_by_both)
    assert caught.value.status == 409
    assert stored(case) == after_first
    assert [goal[1] for goal in after_first["goals"]] == ["Worker's goal", "Second goal"]
    assert after_first["onward"] == [("housing", "made"), ("drug_treatment", "suggested")]
    assert after_first["notes"] == "Worker's notes"
    assert after_first["version"] == 2
    assert row_counts() == counts
    assert case.state == State.ASSESSED


@pytest.mark.parametrize("version", [None, 0, 2])
def test_an_edit_without_the_current_version_is_stale(case, worker, version) -> None:
    save(case, goals(), [], worker)
    error = refuse(Conflict, case, worker, goals("Other"), version=version)
    assert error.status == 409
    assert stored(case)["goals"][0][1] == "Find somewhere safe to live"


def interleave(monkeypatch, other_save) -> None:
    """Run another user's whole save after this one has checked its version and before it writes: two requests
    at the same moment, in one connection."""
    original = plan_services.transaction
    pending = [other_save]

    @contextmanager
    def racing():
        while pending:
            pending.pop()()
        with original() as session:
            yield session

    monkeypatch.setattr(plan_services, "transaction", racing)


def test_two_saves_at_the_same_moment_the_second_gets_409_and_the_first_is_kept(case, worker, monkeypatch) -> None:
    colleague = create_user(role="worker")
    save(case, goals("First draft"), [], worker)
    interleave(
        monkeypatch,
        lambda: save(case, goals("Worker's goal"), [OnwardInput("gp", "made")], worker, notes="Worker's", version=1),
    )
    with pytest.raises(Conflict):
        save(case, goals("Colleague's goal"), [], colleague, notes="Colleague's", version=1)
    kept = stored(case)
    assert kept["version"] == 2
    assert [goal[1] for goal in kept["goals"]] == ["Worker's goal"]
    assert kept["onward"] == [("gp", "made")]
    assert kept["notes"] == "Worker's"


def test_two_first_saves_at_the_same_moment_the_second_gets_409(case, worker, monkeypatch) -> None:
    colleague = create_user(role="worker")
    interleave(monkeypatch, lambda: save(case, goals("Worker's goal"), [], worker))
    with pytest.raises(Conflict):
        save(case, goals("Colleague's goal"), [], colleague)
    kept = stored(case)
    assert (kept["version"], [goal[1] for goal in kept["goals"]]) == (1, ["Worker's goal"])
    assert db.session.query(CarePlan).filter(CarePlan.referral_id == case.id).count() == 1


def test_the_plan_does_not_need_the_assessment_first_but_completion_does(worker) -> None:
    """Progress is computed from the programme: a plan agreed before the assessment is saved completes the case
    only once the assessment is recorded too."""
    referral = create_referral(state=State.OPTED_IN, worker=worker)
    attend(appointment=book(referral=referral, worker=worker, number=1), worker=worker)
    attend(appointment=book(referral=referral, worker=worker, number=2), worker=worker)
    save(referral, goals(), [], worker, agreed=True)
    assert referral.state == State.OPTED_IN
    save_full_assessment(referral=referral, worker=worker)
    assert referral.state == State.COMPLETED
    moves = [event.details["to"] for event in audit_events(case_id=referral.id, action="referral.state_changed")]
    assert moves == ["OPTED_IN", "ASSESSED", "COMPLETED"]

"""Outcomes: only once the time has come, valid codes, appointment 2 not attended before appointment 1, none on a
rebooked appointment or a closed case; and the worklist of unresolved appointments."""

from __future__ import annotations

from datetime import timedelta

import pytest

from diversion.appointments.models import Appointment, Outcome
from diversion.appointments.reads import attended_numbers
from diversion.appointments.services import record_outcome, unresolved_appointments
from diversion.dates import london_date
from diversion.db import utcnow
from diversion.errors import InvalidTransition, ValidationFailed
from diversion.extensions import db
from diversion.referrals.models import FINAL_STATES, State
from diversion.referrals.readjournment import change_return_date
from diversion.referrals.sweep import sweep_passed_return_dates
from diversion.referrals.withdrawal import withdraw
from tests.factories import (
    attend,
    audit_events,
    book,
    create_referral,
    create_user,
    last_audit_id,
    raw_column,
    save_agreed_plan,
    save_full_assessment,
)
from tests.factories import row_counts as counts_of


@pytest.fixture
def worker(app_ctx):
    return create_user(role="worker")


@pytest.fixture
def case(worker):
    return create_referral(state=State.OPTED_IN, worker=worker)


def snapshot(appointment: Appointment) -> tuple:
    return (
        appointment.outcome,
        appointment.outcome_recorded_at,
        appointment.outcome_recorded_by_id,
        appointment.notes,
    )


def refuse(error, appointment, outcome, worker, notes=None):
    before, counts = snapshot(appointment), counts_of()
    with pytest.raises(error) as caught:
        record_outcome(appointment, outcome, worker, notes)
    assert snapshot(appointment) == before
    assert counts_of() == counts
    return caught.value


@pytest.mark.parametrize("outcome", [outcome.value for outcome in Outcome])
def test_every_outcome_code_is_recorded_and_audited(case, worker, outcome: str) -> None:
    appointment = book(referral=case, worker=worker, number=1)
    recorder = create_user(role="manager")
    mark = last_audit_id()
    record_outcome(appointment, outcome, recorder)
    assert appointment.outcome == outcome
    assert appointment.outcome_recorded_by_id == recorder.id
    assert abs(appointment.outcome_recorded_at - utcnow()) < timedelta(minutes=1)
    event = audit_events(after=mark)[0]
    assert (event.action, event.object_id, event.case_id) == (
        "appointment.outcome_recorded",
        str(appointment.id),
        case.id,
    )
    assert event.details == {"outcome": outcome, "number": 1}
    assert event.actor_id == recorder.id


def test_a_corrected_outcome_is_audited_as_a_correction(case, worker) -> None:
    appointment = attend(appointment=book(referral=case, worker=worker, number=1), worker=worker)
    mark = last_audit_id()
    record_outcome(appointment, "attended_late", worker)
    [event] = audit_events(after=mark)
    assert event.action == "appointment.outcome_corrected"
    assert event.details == {"outcome": "attended_late", "number": 1}


@pytest.mark.parametrize("outcome", ["came", "", None, "ATTENDED", "no_show"])
def test_an_unknown_outcome_is_refused(case, worker, outcome) -> None:
    appointment = book(referral=case, worker=worker, number=1)
    error = refuse(ValidationFailed, appointment, outcome, worker)
    assert set(error.fields) == {"outcome"}


def test_no_outcome_for_a_time_still_to_come(case, worker) -> None:
    appointment = book(referral=case, worker=worker, number=1, starts_at=utcnow() + timedelta(hours=2))
    for outcome in Outcome:
        error = refuse(InvalidTransition, appointment, outcome, worker)
        assert "time has come" in error.message
    assert appointment.outcome is None


def test_an_outcome_can_be_recorded_the_moment_the_time_comes(case, worker) -> None:
    appointment = book(referral=case, worker=worker, number=1, starts_at=utcnow() - timedelta(seconds=1))
    record_outcome(appointment, "did_not_attend", worker)
    assert appointment.outcome == "did_not_attend"


def test_attendance_notes_are_stored_encrypted(case, worker) -> None:
    appointment = book(referral=case, worker=worker, number=1)
    record_outcome(appointment, "attended", worker, "  Arrived with a black eye; says she fell.  ")
    assert appointment.notes == "Arrived with a black eye; says she fell."
    stored = raw_column(model=Appointment, column="notes", row_id=appointment.id)
    assert isinstance(stored, bytes)
    assert b"black eye" not in stored


def test_notes_are_bounded(case, worker) -> None:
    appointment = book(referral=case, worker=worker, number=1)
    error = refuse(ValidationFailed, appointment, "attended", worker, "x" * 5001)
    assert set(error.fields) == {"notes"}


def test_appointment_2_cannot_be_attended_before_appointment_1(case, worker) -> None:
    first = attend(appointment=book(referral=case, worker=worker, number=1), worker=worker)
    second = book(referral=case, worker=worker, number=2)
    # Appointment 1's outcome is corrected after appointment 2 was booked: she did not come after all.
    record_outcome(first, "did_not_attend", worker)
    assert attended_numbers(case) == set()
    for outcome in ("attended", "attended_late"):
        error = refuse(InvalidTransition, second, outcome, worker)
        assert "appointment 1" in error.message
    # Not attending appointment 2 can still be recorded.
    record_outcome(second, "did_not_attend", worker)
    assert second.outcome == "did_not_attend"


def test_appointment_2_can_be_attended_once_appointment_1_is(case, worker) -> None:
    attend(appointment=book(referral=case, worker=worker, number=1), worker=worker, outcome="attended_late")
    second = attend(appointment=book(referral=case, worker=worker, number=2), worker=worker)
    assert second.outcome == "attended"
    assert attended_numbers(case) == {1, 2}


@pytest.mark.parametrize("outcome", [outcome.value for outcome in Outcome])
def test_no_outcome_on_a_rebooked_appointment(case, worker, outcome: str) -> None:
    old = book(referral=case, worker=worker, number=1)
    book(
        referral=case,
        worker=worker,
        number=1,
        starts_at=old.starts_at + timedelta(hours=4),
        supersedes_id=old.id,
        rebook_reason="She asked to come later",
    )
    error = refuse(InvalidTransition, old, outcome, worker)
    assert "rebooked" in error.message


@pytest.mark.parametrize("state", sorted(FINAL_STATES - {State.DECLINED}))
def test_no_outcome_once_the_case_is_closed(worker, state: State) -> None:
    referral = create_referral(state=State.OPTED_IN, worker=worker)
    appointment = book(referral=referral, worker=worker, number=1)
    if state is State.COMPLETED:
        attend(appointment=appointment, worker=worker)
        save_full_assessment(referral=referral, worker=worker)
        attend(appointment=book(referral=referral, worker=worker, number=2), worker=worker)
        save_agreed_plan(referral=referral, worker=worker)
    elif state is State.WITHDRAWN:
        withdraw(referral, "She moved away.", worker)
    else:
        sweep_passed_return_dates(referral.return_date + timedelta(days=1))
    assert referral.state == state
    error = refuse(InvalidTransition, appointment, "did_not_attend", worker)
    assert "closed" in error.message


def test_attending_appointment_1_alone_does_not_move_the_case(case, worker) -> None:
    attend(appointment=book(referral=case, worker=worker, number=1), worker=worker)
    assert case.state == State.OPTED_IN
    assert attended_numbers(case) == {1}


def test_an_attendance_on_or_after_the_return_date_does_not_count(case, worker) -> None:
    appointment = attend(appointment=book(referral=case, worker=worker, number=1), worker=worker)
    # The court later brought the return date forward to the day of the appointment.
    change_return_date(
        case,
        london_date(appointment.starts_at),
        "Listed earlier by the court.",
        case.version,
        worker,
        override_reason="A weekend court sat that day.",
    )
    assert attended_numbers(case) == set()


# --- the worklist ---


def test_unresolved_lists_past_appointments_without_an_outcome_on_open_cases(worker) -> None:
    case = create_referral(state=State.OPTED_IN, worker=worker)
    colleague = create_user(role="worker")
    unresolved = book(referral=case, worker=worker, number=1, starts_at=utcnow() - timedelta(days=2))

    future_case = create_referral(state=State.OPTED_IN, worker=worker)
    book(referral=future_case, worker=worker, number=1, starts_at=utcnow() + timedelta(days=2))

    resolved_case = create_referral(state=State.OPTED_IN, worker=worker)
    attend(appointment=book(referral=resolved_case, worker=worker, number=1), worker=worker, outcome="did_not_attend")

    rebooked_case = create_referral(state=State.OPTED_IN, worker=colleague)
    superseded = book(referral=rebooked_case, worker=colleague, number=1, starts_at=utcnow() - timedelta(days=3))
    replacement = book(
        referral=rebooked_case,
        worker=colleague,
        number=1,
        starts_at=utcnow() - timedelta(days=1),
        supersedes_id=superseded.id,
        rebook_reason="Moved by phone",
    )

    closed_case = create_referral(state=State.OPTED_IN, worker=worker)
    book(referral=closed_case, worker=worker, number=1, starts_at=utcnow() - timedelta(days=2))
    withdraw(closed_case, "She moved away.", worker)

    assert [item.id for item in unresolved_appointments()] == [unresolved.id, replacement.id]
    assert [item.id for item in unresolved_appointments(worker.id)] == [unresolved.id]
    assert [item.id for item in unresolved_appointments(colleague.id)] == [replacement.id]
    record_outcome(unresolved, "attended", worker)
    assert [item.id for item in unresolved_appointments()] == [replacement.id]


def test_the_system_never_records_a_non_attendance_by_itself(case, worker) -> None:
    appointment = book(referral=case, worker=worker, number=1, starts_at=utcnow() - timedelta(days=10))
    sweep_passed_return_dates()
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).outcome is None
    assert [item.id for item in unresolved_appointments()] == [appointment.id]

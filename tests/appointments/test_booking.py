"""Booking: consent first, before the return date (a London date), in the programme's order, one open booking per
number, rebooking with history, and the warnings (weekend, bank holiday, clash) that need a reason."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from diversion.appointments.models import Appointment
from diversion.appointments.reads import appointments_of, current_appointments
from diversion.appointments.services import NeedsOverride, booking_warnings
from diversion.dates import from_london
from diversion.db import utcnow
from diversion.errors import InvalidTransition, ValidationFailed
from diversion.extensions import db
from diversion.referrals.models import FINAL_STATES, Referral, State
from tests.factories import attend, audit_events, book, create_referral, create_user, last_audit_id, row_counts

# Each test starts on Tuesday 1 December 2026, with the case open from 1 November 2026 to 15 January 2027: the
# factory's appointments (56 hours ago and so on) fall before the Wednesday the tests book.
pytestmark = pytest.mark.clock("2026-12-01 10:00")
FIRST_HEARING = date(2026, 11, 1)
RETURN_DATE = date(2027, 1, 15)
WEDNESDAY = date(2026, 12, 2)
CLASH = "The worker already has an appointment at that time."


def london(day: date, hour: int, minute: int = 0) -> datetime:
    return from_london(day, time(hour, minute))


@pytest.fixture
def worker(app_ctx):
    return create_user(role="worker")


@pytest.fixture
def case(worker):
    """An opted-in case open from before today until after the New Year of 2027."""
    return create_referral(
        state=State.OPTED_IN, worker=worker, first_hearing_date=FIRST_HEARING, return_date=RETURN_DATE
    )


def refuse(error, referral, worker, **booking):
    """Book what must be refused: the error, and nothing stored."""
    counts = row_counts()
    with pytest.raises(error) as caught:
        book(referral=referral, worker=worker, **booking)
    assert row_counts() == counts
    return caught.value


# --- consent, state and the programme's order ---


def test_booking_before_consent_is_refused(worker) -> None:
    referral = create_referral(state=State.REFERRED, worker=worker)
    error = refuse(InvalidTransition, referral, worker, number=1)
    assert "consent" in error.message


def test_booking_after_only_support_is_given_is_refused(worker) -> None:
    from diversion.referrals.consent import record_consent

    referral = create_referral(state=State.REFERRED, worker=worker)
    record_consent(referral, "support", True, worker)
    refuse(InvalidTransition, referral, worker, number=1)


@pytest.mark.parametrize("state", sorted(FINAL_STATES))
def test_a_final_case_takes_no_appointments(worker, state: State) -> None:
    referral = create_referral(state=state, worker=worker)
    refuse(InvalidTransition, referral, worker, number=1, starts_at=utcnow() - timedelta(hours=1))


def test_a_booked_appointment_is_stored_and_audited(case, worker) -> None:
    mark = last_audit_id()
    appointment = book(
        referral=case,
        worker=worker,
        number=1,
        starts_at=london(WEDNESDAY, 10),
        duration_minutes=45,
        location="  Drop-in centre  ",
        override_reason=None,
    )
    assert (appointment.referral_id, appointment.client_id, appointment.number) == (case.id, case.client_id, 1)
    assert appointment.starts_at == datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    assert appointment.ends_at == datetime(2026, 12, 2, 10, 45, tzinfo=UTC)
    assert appointment.legacy_location is None  # the plaintext column is never written any more
    assert (appointment.elsewhere, appointment.worker_id, appointment.booked_by_id) == (
        "Drop-in centre",
        worker.id,
        worker.id,
    )
    assert appointment.outcome is None
    assert appointment.override_reason is None
    [event] = audit_events(after=mark)
    assert (event.action, event.object_id, event.case_id) == ("appointment.booked", str(appointment.id), case.id)
    assert event.details == {"number": 1, "overridden": False}
    assert event.actor_id == worker.id


def test_number_2_before_number_1_is_attended_is_refused(case, worker) -> None:
    refuse(InvalidTransition, case, worker, number=2, starts_at=london(WEDNESDAY, 14))
    first = book(referral=case, worker=worker, number=1)
    error = refuse(InvalidTransition, case, worker, number=2, starts_at=london(WEDNESDAY, 14))
    assert "appointment 1 is attended" in error.message
    attend(appointment=first, worker=worker, outcome="did_not_attend")
    refuse(InvalidTransition, case, worker, number=2, starts_at=london(WEDNESDAY, 14))


@pytest.mark.parametrize("outcome", ["attended", "attended_late"])
def test_number_2_can_be_booked_once_number_1_is_attended(case, worker, outcome: str) -> None:
    attend(appointment=book(referral=case, worker=worker, number=1), worker=worker, outcome=outcome)
    second = book(referral=case, worker=worker, number=2, starts_at=london(WEDNESDAY, 14), override_reason=None)
    assert second.number == 2


def test_number_2_must_come_after_the_attended_number_1(case, worker) -> None:
    first = book(referral=case, worker=worker, number=1)
    attend(appointment=first, worker=worker)
    error = refuse(ValidationFailed, case, worker, number=2, starts_at=first.starts_at - timedelta(hours=1))
    assert error.fields == {"starts_at": "Appointment 2 must be after appointment 1, which she attended"}
    assert book(referral=case, worker=worker, number=2, starts_at=first.starts_at + timedelta(hours=2)).number == 2


@pytest.mark.parametrize("number", [0, 3, -1])
def test_a_number_outside_the_programme_is_refused(case, worker, number: int) -> None:
    error = refuse(ValidationFailed, case, worker, number=number, starts_at=london(WEDNESDAY, 10))
    assert "number" in error.fields


def test_an_attended_number_is_not_booked_again(case, worker) -> None:
    attend(appointment=book(referral=case, worker=worker, number=1), worker=worker)
    error = refuse(InvalidTransition, case, worker, number=1, starts_at=london(WEDNESDAY, 10))
    assert "already attended" in error.message


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"starts_at": None}, "starts_at"),
        ({"duration_minutes": 4}, "duration_minutes"),
        ({"duration_minutes": 481}, "duration_minutes"),
        ({"location": "x" * 121}, "location"),
    ],
)
def test_booking_details_are_validated(case, worker, change: dict, field: str) -> None:
    booking = {"number": 1, "starts_at": london(WEDNESDAY, 10)} | change
    if booking["starts_at"] is None:
        # The factory fills in a time when none is given: build the input by hand.
        from diversion.appointments.services import BookingInput, book_appointment

        counts = row_counts()
        with pytest.raises(ValidationFailed) as caught:
            book_appointment(case, BookingInput(number=1, starts_at=None), worker)
        assert row_counts() == counts
        error = caught.value
    else:
        error = refuse(ValidationFailed, case, worker, **booking)
    assert set(error.fields) == {field}


def test_the_worker_must_be_an_active_support_worker(case, worker) -> None:
    clerk = create_user(role="court")
    error = refuse(ValidationFailed, case, worker, number=1, starts_at=london(WEDNESDAY, 10), worker_id=clerk.id)
    assert set(error.fields) == {"worker_id"}
    colleague = create_user(role="worker")
    appointment = book(referral=case, worker=worker, number=1, starts_at=london(WEDNESDAY, 10), worker_id=colleague.id)
    assert appointment.worker_id == colleague.id


# --- the return date, in London ---


def test_booking_on_or_after_the_return_date_is_refused(case, worker) -> None:
    for moment in (london(RETURN_DATE, 9), london(RETURN_DATE, 0, 0), london(RETURN_DATE + timedelta(days=3), 10)):
        error = refuse(ValidationFailed, case, worker, number=1, starts_at=moment)
        assert set(error.fields) == {"starts_at"}
        assert "before the return date" in error.fields["starts_at"]
    last_evening = book(
        referral=case, worker=worker, number=1, starts_at=london(RETURN_DATE - timedelta(days=1), 23, 59)
    )
    assert last_evening.number == 1


def test_in_summer_time_23_30_utc_the_day_before_is_on_the_return_date_in_london(worker) -> None:
    return_date = date(2026, 7, 15)
    referral = create_referral(
        state=State.OPTED_IN, worker=worker, first_hearing_date=date(2026, 7, 1), return_date=return_date
    )
    half_past_midnight_bst = datetime(2026, 7, 14, 23, 30, tzinfo=UTC)
    error = refuse(ValidationFailed, referral, worker, number=1, starts_at=half_past_midnight_bst)
    assert set(error.fields) == {"starts_at"}
    half_past_eleven_bst = datetime(2026, 7, 14, 22, 30, tzinfo=UTC)
    appointment = book(referral=referral, worker=worker, number=1, starts_at=half_past_eleven_bst, override_reason=None)
    assert appointment.starts_at == half_past_eleven_bst


def test_in_winter_23_30_utc_the_day_before_is_still_the_day_before(worker) -> None:
    referral = create_referral(
        state=State.OPTED_IN, worker=worker, first_hearing_date=date(2026, 12, 1), return_date=date(2026, 12, 15)
    )
    appointment = book(
        referral=referral,
        worker=worker,
        number=1,
        starts_at=datetime(2026, 12, 14, 23, 30, tzinfo=UTC),
        override_reason=None,
    )
    assert appointment.number == 1


def test_a_time_that_has_passed_can_be_booked(worker) -> None:
    referral = create_referral(state=State.OPTED_IN, worker=worker)
    past = utcnow() - timedelta(days=5)
    appointment = book(referral=referral, worker=worker, number=1, starts_at=past)
    assert appointment.starts_at == past
    assert appointment.starts_at < utcnow()


# --- one open booking per number; rebooking keeps the history ---


@pytest.mark.parametrize("outcome", ["did_not_attend", "cancelled_by_client", "cancelled_by_service"])
def test_after_a_missed_or_cancelled_appointment_a_new_booking_must_be_a_rebooking(case, worker, outcome) -> None:
    missed = attend(appointment=book(referral=case, worker=worker, number=1), worker=worker, outcome=outcome)
    error = refuse(InvalidTransition, case, worker, number=1, starts_at=london(WEDNESDAY, 10))
    assert "Rebook" in error.message
    new = book(
        referral=case,
        worker=worker,
        number=1,
        starts_at=london(WEDNESDAY, 10),
        supersedes_id=missed.id,
        rebook_reason="She was unwell",
    )
    assert new.supersedes_id == missed.id


def test_a_second_booking_of_the_same_number_while_the_first_is_open_is_refused(case, worker) -> None:
    book(referral=case, worker=worker, number=1, starts_at=london(WEDNESDAY, 10))
    error = refuse(InvalidTransition, case, worker, number=1, starts_at=london(WEDNESDAY + timedelta(days=1), 10))
    assert "Rebook" in error.message


@pytest.mark.parametrize("outcome", [None, "did_not_attend", "cancelled_by_client", "cancelled_by_service"])
def test_rebooking_links_to_the_one_it_supersedes_and_keeps_both(case, worker, outcome) -> None:
    old = book(referral=case, worker=worker, number=1)
    if outcome:
        attend(appointment=old, worker=worker, outcome=outcome)
    mark = last_audit_id()
    new = book(
        referral=case,
        worker=worker,
        number=1,
        starts_at=london(WEDNESDAY + timedelta(days=7), 10),
        supersedes_id=old.id,
        rebook_reason="She was in hospital",
    )
    assert new.supersedes_id == old.id
    assert new.rebook_reason == "She was in hospital"
    assert [item.id for item in appointments_of(case)] == [old.id, new.id]
    assert [item.id for item in current_appointments(case)] == [new.id]
    assert db.session.get(Appointment, old.id).outcome == outcome
    [event] = audit_events(after=mark)
    assert (event.action, event.object_id) == ("appointment.rebooked", str(new.id))


def test_rebooking_an_attended_appointment_is_refused(case, worker) -> None:
    old = attend(appointment=book(referral=case, worker=worker, number=1), worker=worker)
    refuse(
        InvalidTransition,
        case,
        worker,
        number=1,
        starts_at=london(WEDNESDAY, 10),
        supersedes_id=old.id,
        rebook_reason="Wrong day",
    )


def test_an_appointment_is_rebooked_only_once(case, worker) -> None:
    old = attend(appointment=book(referral=case, worker=worker, number=1), worker=worker, outcome="did_not_attend")
    book(
        referral=case,
        worker=worker,
        number=1,
        starts_at=london(WEDNESDAY, 10),
        supersedes_id=old.id,
        rebook_reason="Did not attend",
    )
    error = refuse(
        InvalidTransition,
        case,
        worker,
        number=1,
        starts_at=london(WEDNESDAY, 14),
        supersedes_id=old.id,
        rebook_reason="Did not attend",
    )
    assert "already been rebooked" in error.message


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_rebooking_needs_a_reason(case, worker, reason) -> None:
    old = attend(appointment=book(referral=case, worker=worker, number=1), worker=worker, outcome="did_not_attend")
    error = refuse(
        ValidationFailed,
        case,
        worker,
        number=1,
        starts_at=london(WEDNESDAY, 10),
        supersedes_id=old.id,
        rebook_reason=reason,
    )
    assert set(error.fields) == {"rebook_reason"}


def test_rebooking_names_an_appointment_of_this_case_and_number(case, worker) -> None:
    import uuid

    other = create_referral(state=State.OPTED_IN, worker=worker)
    elsewhere = book(referral=other, worker=worker, number=1)
    for supersedes in (elsewhere.id, uuid.uuid4()):
        error = refuse(
            ValidationFailed,
            case,
            worker,
            number=1,
            starts_at=london(WEDNESDAY, 10),
            supersedes_id=supersedes,
            rebook_reason="Moved",
        )
        assert set(error.fields) == {"supersedes"}
    first = attend(appointment=book(referral=case, worker=worker, number=1), worker=worker)
    second = book(referral=case, worker=worker, number=2, starts_at=london(WEDNESDAY, 10))
    error = refuse(
        ValidationFailed,
        case,
        worker,
        number=2,
        starts_at=london(WEDNESDAY, 14),
        supersedes_id=first.id,
        rebook_reason="Moved",
    )
    assert set(error.fields) == {"supersedes"}
    assert second.supersedes_id is None


def test_moving_an_open_appointment_by_half_an_hour_does_not_clash_with_itself(case, worker) -> None:
    old = book(referral=case, worker=worker, number=1, starts_at=london(WEDNESDAY, 10), override_reason=None)
    new = book(
        referral=case,
        worker=worker,
        number=1,
        starts_at=london(WEDNESDAY, 10, 30),
        supersedes_id=old.id,
        rebook_reason="She asked for later",
        override_reason=None,
    )
    assert new.override_reason is None


# --- warnings that need a reason ---


@pytest.mark.parametrize(
    ("day", "words"),
    [
        (date(2026, 12, 5), "Saturday is a weekend day"),
        (date(2026, 12, 6), "Sunday is a weekend day"),
        (date(2026, 12, 25), "bank holiday"),
        (date(2026, 12, 28), "bank holiday"),
        (date(2027, 1, 1), "bank holiday"),
    ],
)
def test_weekends_and_bank_holidays_need_an_override_reason(case, worker, day: date, words: str) -> None:
    error = refuse(NeedsOverride, case, worker, number=1, starts_at=london(day, 11), override_reason=None)
    assert error.status == 422
    assert set(error.fields) == {"override_reason"}
    assert words in error.message
    assert refuse(NeedsOverride, case, worker, number=1, starts_at=london(day, 11), override_reason="   ")
    mark = last_audit_id()
    appointment = book(
        referral=case, worker=worker, number=1, starts_at=london(day, 11), override_reason="Only day she can come"
    )
    assert appointment.override_reason == "Only day she can come"
    [event] = audit_events(after=mark)
    assert event.details == {"number": 1, "overridden": True}


def test_a_weekend_is_judged_by_the_london_date(case, worker) -> None:
    """00:30 on Saturday in London in summer is Friday 23:30 UTC."""
    referral = create_referral(
        state=State.OPTED_IN, worker=worker, first_hearing_date=date(2026, 7, 1), return_date=date(2026, 7, 31)
    )
    error = refuse(
        NeedsOverride,
        referral,
        worker,
        number=1,
        starts_at=datetime(2026, 7, 17, 23, 30, tzinfo=UTC),
        override_reason=None,
    )
    assert "Saturday" in error.message


def test_a_working_day_needs_no_reason(case, worker) -> None:
    appointment = book(referral=case, worker=worker, number=1, starts_at=london(WEDNESDAY, 10), override_reason=None)
    assert appointment.override_reason is None


def test_a_clash_with_the_same_workers_booking_needs_an_override_reason(case, worker) -> None:
    other_case = create_referral(
        state=State.OPTED_IN, worker=worker, first_hearing_date=FIRST_HEARING, return_date=RETURN_DATE
    )
    book(referral=other_case, worker=worker, number=1, starts_at=london(WEDNESDAY, 10), override_reason=None)
    for start in (london(WEDNESDAY, 10), london(WEDNESDAY, 10, 30), london(WEDNESDAY, 9, 30)):
        error = refuse(NeedsOverride, case, worker, number=1, starts_at=start, override_reason=None)
        assert "already has an appointment" in error.message
        assert set(error.fields) == {"override_reason"}
    appointment = book(
        referral=case,
        worker=worker,
        number=1,
        starts_at=london(WEDNESDAY, 10, 30),
        override_reason="Colleague covers the first half hour",
    )
    assert appointment.override_reason == "Colleague covers the first half hour"


def test_a_long_booking_earlier_in_the_day_clashes(case, worker) -> None:
    other_case = create_referral(
        state=State.OPTED_IN, worker=worker, first_hearing_date=FIRST_HEARING, return_date=RETURN_DATE
    )
    book(
        referral=other_case,
        worker=worker,
        number=1,
        starts_at=london(WEDNESDAY, 9),
        duration_minutes=240,
        override_reason=None,
    )
    refuse(NeedsOverride, case, worker, number=1, starts_at=london(WEDNESDAY, 12, 30), override_reason=None)


def test_adjacent_bookings_and_other_workers_do_not_clash(case, worker) -> None:
    other_case = create_referral(
        state=State.OPTED_IN, worker=worker, first_hearing_date=FIRST_HEARING, return_date=RETURN_DATE
    )
    book(referral=other_case, worker=worker, number=1, starts_at=london(WEDNESDAY, 10), override_reason=None)
    before = book(referral=case, worker=worker, number=1, starts_at=london(WEDNESDAY, 9), override_reason=None)
    assert before.override_reason is None
    third_case = create_referral(
        state=State.OPTED_IN, worker=worker, first_hearing_date=FIRST_HEARING, return_date=RETURN_DATE
    )
    after = book(referral=third_case, worker=worker, number=1, starts_at=london(WEDNESDAY, 11), override_reason=None)
    assert after.override_reason is None
    colleague = create_user(role="worker")
    fourth_case = create_referral(
        state=State.OPTED_IN, worker=colleague, first_hearing_date=FIRST_HEARING, return_date=RETURN_DATE
    )
    same_time = book(
        referral=fourth_case, worker=colleague, number=1, starts_at=london(WEDNESDAY, 10), override_reason=None
    )
    assert same_time.worker_id == colleague.id


def test_a_missed_or_rebooked_appointment_does_not_clash(worker) -> None:
    first_case = create_referral(state=State.OPTED_IN, worker=worker)
    when = utcnow() - timedelta(days=2)
    missed = book(referral=first_case, worker=worker, number=1, starts_at=when)
    assert CLASH in booking_warnings(when, 60, worker.id)
    attend(appointment=missed, worker=worker, outcome="did_not_attend")
    assert CLASH not in booking_warnings(when, 60, worker.id)
    rebooked = book(
        referral=first_case,
        worker=worker,
        number=1,
        starts_at=when + timedelta(hours=3),
        supersedes_id=missed.id,
        rebook_reason="Did not attend",
    )
    open_and_moved = book(
        referral=create_referral(state=State.OPTED_IN, worker=worker),
        worker=worker,
        number=1,
        starts_at=when + timedelta(hours=6),
    )
    assert CLASH in booking_warnings(open_and_moved.starts_at, 60, worker.id)
    book(
        referral=db.session.get(Referral, open_and_moved.referral_id),
        worker=worker,
        number=1,
        starts_at=when + timedelta(days=1),
        supersedes_id=open_and_moved.id,
        rebook_reason="Moved",
    )
    assert CLASH not in booking_warnings(open_and_moved.starts_at, 60, worker.id)
    assert CLASH in booking_warnings(rebooked.starts_at, 60, worker.id)

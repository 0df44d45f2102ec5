"""Client reminders: consent, safe contact, lead times, quiet hours, cancellation on change, STOP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from diversion.clients.contact import QuietHours, SafeContact
from diversion.clients.preferences import set_quiet_hours
from diversion.dates import LONDON
from diversion.db import transaction, utcnow
from diversion.extensions import db
from diversion.notifications import services
from diversion.notifications.reminders import LeadTime, plan_reminders, quiet_hours_of
from diversion.organisations.services import new_programme_version
from diversion.referrals.consent import has_consent, record_consent
from diversion.referrals.models import State
from diversion.referrals.programme import programme_with_appointments
from diversion.referrals.withdrawal import withdraw
from tests.factories import attend, audit_events, book, create_court, create_scheme, create_user, main_scheme
from tests.notifications.helpers import london, messages, outbox_for, reminder_case


@pytest.fixture
def worker(app_ctx):
    return create_user(role="worker")


def planned_before(starts_at: datetime) -> datetime:
    """A sweep two days before the appointment, when every default reminder is still to come."""
    return starts_at.astimezone(UTC) - timedelta(days=2)


# --- lead times ---


def test_default_lead_times_are_the_day_before_at_ten_and_two_hours_before(worker) -> None:
    referral, appointment = reminder_case(worker=worker, starts_at=london(3, 14, 30))
    assert plan_reminders(planned_before(appointment.starts_at)) == 2
    day_before, two_hours = messages(appointment_id=appointment.id)
    assert day_before.lead == "1d@10:00"
    assert day_before.due_at.astimezone(LONDON) == london(2, 10)
    assert two_hours.lead == "2h"
    assert two_hours.due_at == appointment.starts_at - timedelta(hours=2)
    assert {day_before.channel, two_hours.channel} == {"sms"}
    assert day_before.recipient == referral.client.phone
    assert day_before.status == two_hours.status == "queued"
    # Planning again adds nothing: one reminder per appointment and lead time, ever.
    assert plan_reminders(planned_before(appointment.starts_at)) == 0
    assert len(messages(appointment_id=appointment.id)) == 2


def test_lead_times_are_the_schemes_programmes(app_ctx) -> None:
    """Each scheme sets its own lead times (docs/organisations.md, "Programmes")."""
    scheme = create_scheme(
        settings={**programme_with_appointments("Evening", 2), "reminder_lead_times": ["2d@18:15", "45m"]}
    )
    court = create_court(schemes=[scheme])
    worker = create_user(role="worker", schemes=[scheme])
    _, appointment = reminder_case(worker=worker, court=court, starts_at=london(4, 11))
    plan_reminders(appointment.starts_at - timedelta(days=3))
    leads = {item.lead: item.due_at for item in messages(appointment_id=appointment.id)}
    assert leads == {
        "2d@18:15": london(2, 18, 15).astimezone(UTC),
        "45m": appointment.starts_at - timedelta(minutes=45),
    }


def test_a_case_keeps_the_lead_times_of_the_version_it_started_under(worker, app_ctx) -> None:
    """The scheme changes its lead times: a case already started keeps its version's, a case taken after gets the
    new ones."""
    before, first = reminder_case(worker=worker, starts_at=london(4, 14))
    new_programme_version(main_scheme(), {"reminder_lead_times": ["3d@09:30"]}, create_user(role="manager"))
    after, second = reminder_case(worker=worker, starts_at=london(4, 15))
    assert before.programme_version_id != after.programme_version_id
    # The planner looks as far ahead as any version's earliest reminder (three days before, here).
    plan_reminders(london(1, 9).astimezone(UTC))
    assert [item.lead for item in messages(appointment_id=first.id)] == ["1d@10:00", "2h"]
    assert [item.lead for item in messages(appointment_id=second.id)] == ["3d@09:30"]
    assert messages(appointment_id=second.id)[0].due_at == london(1, 9, 30).astimezone(UTC)


def test_a_scheme_without_lead_times_sends_no_reminders(app_ctx) -> None:
    scheme = create_scheme(settings={**programme_with_appointments("Quiet", 2), "reminder_lead_times": []})
    court = create_court(schemes=[scheme])
    worker = create_user(role="worker", schemes=[scheme])
    _, appointment = reminder_case(worker=worker, court=court)
    assert plan_reminders(planned_before(appointment.starts_at)) == 0


def test_lead_times_across_the_clock_change_keep_london_wall_time() -> None:
    # The clocks go back on 25 October 2026: 10:00 London is 09:00 UTC on the 24th and 10:00 UTC on the 26th.
    assert LeadTime.parse("1d@10:00").due_at(datetime(2026, 10, 25, 12, tzinfo=UTC)) == datetime(
        2026, 10, 24, 9, tzinfo=UTC
    )
    assert LeadTime.parse("1d@10:00").due_at(datetime(2026, 10, 27, 12, tzinfo=UTC)) == datetime(
        2026, 10, 26, 10, tzinfo=UTC
    )
    for bad in ("1d", "2x", "d@10:00", "1d@1000", ""):
        with pytest.raises(ValueError, match="lead time"):
            LeadTime.parse(bad)


def test_a_reminder_whose_time_has_long_passed_is_not_sent_late(worker) -> None:
    _, appointment = reminder_case(worker=worker, starts_at=london(3, 14))
    # Booked (or first seen) at 3pm the day before: the 10am reminder is gone, the two-hour one still comes.
    plan_reminders(london(2, 15).astimezone(UTC))
    assert [item.lead for item in messages(appointment_id=appointment.id)] == ["2h"]


# --- consent and safe contact ---


def test_no_reminder_without_consent_to_reminders(worker) -> None:
    _, appointment = reminder_case(worker=worker, consent=False)
    assert plan_reminders(planned_before(appointment.starts_at)) == 0
    assert messages(appointment_id=appointment.id) == []


@pytest.mark.parametrize("may_text", [False, None])
def test_no_reminder_unless_a_contact_is_marked_safe(worker, may_text) -> None:
    _, appointment = reminder_case(worker=worker, may_text=may_text)
    assert plan_reminders(planned_before(appointment.starts_at)) == 0


def test_email_is_used_when_only_email_is_marked_safe(worker) -> None:
    _, appointment = reminder_case(worker=worker, may_text=False, may_email=True, email="her@example.org")
    plan_reminders(planned_before(appointment.starts_at))
    reminders = messages(appointment_id=appointment.id)
    assert {item.channel for item in reminders} == {"email"}
    assert {item.recipient for item in reminders} == {"her@example.org"}
    assert reminders[0].subject == "Appointment reminder"


def test_withdrawn_consent_stops_a_queued_reminder_when_it_is_due(worker) -> None:
    referral, appointment = reminder_case(worker=worker)
    plan_reminders(planned_before(appointment.starts_at))
    first = messages(appointment_id=appointment.id)[0]
    record_consent(referral, "reminders", False, worker)
    assert services.deliver(first.id, first.due_at) == "cancelled"
    db.session.refresh(first)
    assert (first.status, first.reason) == ("cancelled", "no_consent")
    assert outbox_for([first.id]) == []


def test_a_due_reminder_is_sent_with_safe_wording(worker) -> None:
    _, appointment = reminder_case(worker=worker, starts_at=london(3, 14, 30))
    plan_reminders(planned_before(appointment.starts_at))
    first = messages(appointment_id=appointment.id)[0]
    assert services.deliver(first.id, first.due_at) == "sent"
    [line] = outbox_for([first.id])
    day = london(3, 14, 30)
    assert line["body"] == (
        f"Reminder: you have an appointment on {day:%A} {day.day} {day:%B} at 2:30pm. "
        "Reply STOP to stop these reminders."
    )
    assert line["channel"] == "sms"


# --- quiet hours ---


def test_quiet_hours_parse_and_wrap_past_midnight() -> None:
    quiet = QuietHours.parse("20:00-10:00")
    assert str(quiet) == "20:00-10:00"
    assert quiet.contains(london(1, 21))
    assert quiet.contains(london(1, 9, 59))
    assert not quiet.contains(london(1, 10))
    assert not quiet.contains(london(1, 19, 59))
    assert quiet.next_safe(london(1, 21)) == london(2, 10).astimezone(UTC)
    assert quiet.next_safe(london(1, 7)) == london(1, 10).astimezone(UTC)
    day = QuietHours.parse("9:00 to 17:30")
    assert day.contains(london(1, 12))
    assert not day.contains(london(1, 18))
    for bad in ("20-10", "25:00-10:00", "10:00-10:00", "after 8pm"):
        with pytest.raises(ValueError):
            QuietHours.parse(bad)


def test_a_reminder_due_in_her_quiet_hours_moves_to_when_it_is_safe(worker) -> None:
    referral, appointment = reminder_case(worker=worker, starts_at=london(3, 14))
    set_quiet_hours(referral, "08:00", "12:30", worker)
    plan_reminders(planned_before(appointment.starts_at))
    day_before, two_hours = messages(appointment_id=appointment.id)
    assert day_before.due_at == london(2, 12, 30).astimezone(UTC)
    assert two_hours.due_at == london(3, 12, 30).astimezone(UTC)
    assert not any(QuietHours.parse("08:00-12:30").contains(item.due_at) for item in (day_before, two_hours))


def test_no_reminder_when_her_quiet_hours_leave_too_little_notice(worker) -> None:
    referral, appointment = reminder_case(worker=worker, starts_at=london(3, 11))
    set_quiet_hours(referral, "20:00", "10:45", worker)
    plan_reminders(planned_before(appointment.starts_at))
    # The day before at 10:00 moves to 10:45; two hours before (9:00) would move to 10:45, too close to 11:00.
    assert [(item.lead, item.due_at) for item in messages(appointment_id=appointment.id)] == [
        ("1d@10:00", london(2, 10, 45).astimezone(UTC))
    ]


def test_quiet_hours_recorded_after_planning_hold_the_reminder_at_send_time(worker) -> None:
    referral, appointment = reminder_case(worker=worker, starts_at=london(3, 14))
    plan_reminders(planned_before(appointment.starts_at))
    first = messages(appointment_id=appointment.id)[0]
    set_quiet_hours(referral, "09:00", "11:00", worker)
    assert services.deliver(first.id, first.due_at) == "queued"
    db.session.refresh(first)
    assert first.next_attempt_at == london(2, 11).astimezone(UTC)
    assert first.attempts == 0
    assert outbox_for([first.id]) == []
    assert services.deliver(first.id, first.next_attempt_at) == "sent"


def test_quiet_hours_are_stored_encrypted_validated_and_audited(worker) -> None:
    referral, _ = reminder_case(worker=worker)
    from diversion.clients.models import Client
    from diversion.errors import ValidationFailed
    from tests.factories import raw_column

    with pytest.raises(ValidationFailed) as caught:
        set_quiet_hours(referral, "evenings", "", worker)
    assert caught.value.fields == {
        "quiet_hours.from": "Enter when her quiet hours start in 24-hour time, like 21:00",
        "quiet_hours.to": "Enter when her quiet hours end, or clear both times",
    }
    set_quiet_hours(referral, "21:00", "09:00", worker)
    stored = raw_column(model=Client, column="safe_contact", row_id=referral.client_id)
    assert b"21:00" not in stored
    assert b"quiet_hours" not in stored
    assert audit_events(case_id=referral.id, action="reminders.quiet_hours_set")[-1].details == {"cleared": False}
    # Her other preferences are kept beside them.
    assert SafeContact.from_json(referral.client.safe_contact).may_text is True
    assert str(quiet_hours_of(referral.client_id)) == "21:00-09:00"
    set_quiet_hours(referral, "", "", worker)
    assert quiet_hours_of(referral.client_id) is None
    assert audit_events(case_id=referral.id, action="reminders.quiet_hours_set")[-1].details == {"cleared": True}


# --- cancellation when the appointment changes ---


def test_rebooking_cancels_the_old_appointments_reminders(worker) -> None:
    referral, appointment = reminder_case(worker=worker, starts_at=london(3, 14))
    plan_reminders(planned_before(appointment.starts_at))
    new = book(
        referral=referral,
        worker=worker,
        number=1,
        starts_at=london(5, 11),
        supersedes_id=appointment.id,
        rebook_reason="She asked to move it",
    )
    old = messages(appointment_id=appointment.id)
    assert {(item.status, item.reason) for item in old} == {("cancelled", "appointment_moved")}
    plan_reminders(planned_before(new.starts_at))
    assert {item.status for item in messages(appointment_id=new.id)} == {"queued"}


def test_an_outcome_cancels_the_appointments_reminders(worker) -> None:
    # Recorded after it happened: planned as if before, then the outcome comes in.
    starts_at = (utcnow() - timedelta(hours=1)).replace(second=0, microsecond=0)
    _, appointment = reminder_case(worker=worker, starts_at=starts_at)
    plan_reminders(starts_at - timedelta(hours=3))
    assert [item.status for item in messages(appointment_id=appointment.id)] == ["queued"]
    attend(appointment=appointment, worker=worker, outcome="did_not_attend")
    assert [(item.status, item.reason) for item in messages(appointment_id=appointment.id)] == [
        ("cancelled", "outcome_recorded")
    ]


def test_a_closed_case_cancels_its_reminders(worker) -> None:
    referral, appointment = reminder_case(worker=worker)
    plan_reminders(planned_before(appointment.starts_at))
    withdraw(referral, "She moved away.", worker)
    assert referral.state == State.WITHDRAWN
    assert {(item.status, item.reason) for item in messages(appointment_id=appointment.id)} == {
        ("cancelled", "case_closed")
    }


def test_a_reminder_too_close_to_the_start_is_cancelled_when_a_late_sweep_reaches_it(worker) -> None:
    _, appointment = reminder_case(worker=worker, starts_at=london(3, 14))
    plan_reminders(planned_before(appointment.starts_at))
    late = messages(appointment_id=appointment.id)[-1]
    assert services.deliver(late.id, appointment.starts_at - timedelta(minutes=10)) == "cancelled"
    db.session.refresh(late)
    assert late.reason == "too_late"


# --- STOP ---


def test_stop_withdraws_consent_cancels_every_queued_reminder_and_none_are_planned_again(worker) -> None:
    referral, appointment = reminder_case(worker=worker)
    plan_reminders(planned_before(appointment.starts_at))
    assert services.record_stop(referral, worker) == 2
    assert {(item.status, item.reason) for item in messages(appointment_id=appointment.id)} == {
        ("cancelled", "stop_reply")
    }
    assert has_consent(referral, "reminders") is False
    assert audit_events(case_id=referral.id, action="reminders.stop_recorded")[-1].details == {"cancelled": 2}
    with transaction():
        db.session.execute(
            db.metadata.tables["notifications"]
            .delete()
            .where(db.metadata.tables["notifications"].c.appointment_id == appointment.id)
        )
    assert plan_reminders(planned_before(appointment.starts_at)) == 0

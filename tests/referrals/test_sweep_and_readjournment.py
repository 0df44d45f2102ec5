"""The daily sweep of passed return dates, and re-adjournment (a new return date, with a reason, audited)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from diversion.dates import today
from diversion.errors import Conflict, InvalidTransition, ValidationFailed
from diversion.extensions import db
from diversion.referrals import readjournment
from diversion.referrals.consent import record_consent
from diversion.referrals.models import FINAL_STATES, Referral, ReturnDateChange, State
from diversion.referrals.sweep import sweep_passed_return_dates
from tests.factories import audit_events, create_referral, create_user, last_audit_id, raw_column, row_counts

# Each test starts on Tuesday 1 December 2026: the case opened a month before and returns ten days after.
pytestmark = pytest.mark.clock("2026-12-01 10:00")
FIRST_HEARING = date(2026, 11, 1)
RETURN_DATE = date(2026, 12, 11)


def changes_of(referral: Referral) -> list[ReturnDateChange]:
    return list(db.session.scalars(select(ReturnDateChange).where(ReturnDateChange.referral_id == referral.id)))


def snapshot(referral: Referral) -> tuple:
    return (referral.state, referral.version, referral.return_date, referral.outcome_date, referral.final_at)


# --- the sweep ---


@pytest.mark.parametrize("state", [State.REFERRED, State.OPTED_IN, State.ASSESSED])
def test_an_open_case_whose_return_date_has_passed_is_not_completed_on_that_date(app_ctx, state: State) -> None:
    referral = create_referral(state=state, first_hearing_date=FIRST_HEARING, return_date=RETURN_DATE)
    mark = last_audit_id()
    assert sweep_passed_return_dates(RETURN_DATE + timedelta(days=1)) == 1
    assert referral.state == State.NOT_COMPLETED
    assert referral.outcome_date == RETURN_DATE
    assert referral.final_at is not None
    [event] = audit_events(after=mark, action="referral.state_changed")
    assert event.action == "referral.state_changed"
    assert event.details == {"from": state.value, "to": "NOT_COMPLETED", "reason": "return_date_passed"}
    assert event.actor_id is None
    assert event.case_id == referral.id


def test_on_the_return_date_itself_the_case_stays_open(app_ctx) -> None:
    referral = create_referral(state=State.OPTED_IN, first_hearing_date=FIRST_HEARING, return_date=RETURN_DATE)
    before = snapshot(referral)
    assert sweep_passed_return_dates(RETURN_DATE) == 0
    assert sweep_passed_return_dates(RETURN_DATE - timedelta(days=5)) == 0
    assert snapshot(referral) == before


def test_only_cases_whose_date_passed_move_and_final_cases_are_untouched(app_ctx) -> None:
    worker = create_user(role="worker")
    dates = {"first_hearing_date": FIRST_HEARING, "return_date": RETURN_DATE}
    # The finals first: the factory reaches NOT_COMPLETED by running the sweep.
    finals = [create_referral(state=state, worker=worker, **dates) for state in sorted(FINAL_STATES)]
    passed = create_referral(state=State.OPTED_IN, worker=worker, **dates)
    passed_referred = create_referral(state=State.REFERRED, worker=worker, **dates)
    later = create_referral(
        state=State.OPTED_IN,
        worker=worker,
        first_hearing_date=FIRST_HEARING,
        return_date=RETURN_DATE + timedelta(days=1),
    )
    final_before = [snapshot(referral) for referral in finals]
    later_before = snapshot(later)
    mark = last_audit_id()
    assert sweep_passed_return_dates(RETURN_DATE + timedelta(days=1)) == 2
    assert passed.state == passed_referred.state == State.NOT_COMPLETED
    assert snapshot(later) == later_before
    assert [snapshot(referral) for referral in finals] == final_before
    assert {event.case_id for event in audit_events(after=mark)} == {passed.id, passed_referred.id}


def test_running_the_sweep_again_changes_nothing_more(app_ctx) -> None:
    worker = create_user(role="worker")
    referrals = [
        create_referral(state=state, worker=worker, first_hearing_date=FIRST_HEARING, return_date=RETURN_DATE)
        for state in (State.REFERRED, State.OPTED_IN, State.ASSESSED)
    ]
    assert sweep_passed_return_dates(RETURN_DATE + timedelta(days=3)) == 3
    after_first = [snapshot(referral) for referral in referrals]
    counts = row_counts()
    assert sweep_passed_return_dates(RETURN_DATE + timedelta(days=3)) == 0
    assert sweep_passed_return_dates(RETURN_DATE + timedelta(days=30)) == 0
    assert [snapshot(referral) for referral in referrals] == after_first
    assert row_counts() == counts
    assert {referral.outcome_date for referral in referrals} == {RETURN_DATE}


def test_the_sweep_defaults_to_today(app_ctx) -> None:
    passed = create_referral(
        state=State.OPTED_IN, first_hearing_date=today() - timedelta(days=20), return_date=today() - timedelta(days=1)
    )
    due_today = create_referral(
        state=State.OPTED_IN, first_hearing_date=today() - timedelta(days=20), return_date=today()
    )
    assert sweep_passed_return_dates() == 1
    assert passed.state == State.NOT_COMPLETED
    assert due_today.state == State.OPTED_IN


# --- re-adjournment ---


def test_the_return_date_moves_with_a_reason_recorded_and_audited(app_ctx) -> None:
    worker = create_user(role="worker")
    referral = create_referral(
        state=State.OPTED_IN, worker=worker, first_hearing_date=FIRST_HEARING, return_date=RETURN_DATE
    )
    manager = create_user(role="manager")
    version = referral.version
    mark = last_audit_id()
    # Thursday 24 December 2026: a working day (a weekend or bank holiday would need a reason).
    new_date = RETURN_DATE + timedelta(days=13)
    readjournment.change_return_date(
        referral, new_date, "  Court list moved: the bench was unavailable.  ", version, manager
    )
    assert referral.return_date == new_date
    assert referral.version == version + 1
    assert referral.state == State.OPTED_IN
    [change] = changes_of(referral)
    assert (change.from_date, change.to_date, change.changed_by_id) == (RETURN_DATE, new_date, manager.id)
    assert change.client_id == referral.client_id
    assert change.reason == "Court list moved: the bench was unavailable."
    stored = raw_column(model=ReturnDateChange, column="reason", row_id=change.id)
    assert isinstance(stored, bytes)
    assert b"bench" not in stored
    [event] = audit_events(after=mark)
    assert event.action == "referral.return_date_changed"
    assert event.details == {"from": RETURN_DATE.isoformat(), "to": new_date.isoformat()}
    assert (event.actor_id, event.case_id) == (manager.id, referral.id)


def test_the_return_date_can_move_earlier_and_the_sweep_follows_it(app_ctx) -> None:
    worker = create_user(role="worker")
    referral = create_referral(
        state=State.OPTED_IN, worker=worker, first_hearing_date=FIRST_HEARING, return_date=RETURN_DATE
    )
    earlier = RETURN_DATE - timedelta(days=7)
    readjournment.change_return_date(
        referral, earlier, "Listed earlier at the court's request.", referral.version, worker
    )
    assert sweep_passed_return_dates(earlier + timedelta(days=1)) == 1
    assert referral.outcome_date == earlier


@pytest.mark.parametrize(
    ("new_date", "reason", "fields"),
    [
        (RETURN_DATE + timedelta(days=7), "", {"reason"}),
        (RETURN_DATE + timedelta(days=7), "   ", {"reason"}),
        (RETURN_DATE + timedelta(days=7), None, {"reason"}),
        (RETURN_DATE + timedelta(days=7), "x" * 2001, {"reason"}),
        (FIRST_HEARING, "Adjourned.", {"return_date"}),
        (FIRST_HEARING - timedelta(days=1), "Adjourned.", {"return_date"}),
        (RETURN_DATE, "Adjourned.", {"return_date"}),
        (None, "Adjourned.", {"return_date"}),
        (None, "", {"return_date", "reason"}),
    ],
)
def test_a_re_adjournment_needs_a_reason_and_a_date_after_the_first_hearing(app_ctx, new_date, reason, fields) -> None:
    worker = create_user(role="worker")
    referral = create_referral(
        state=State.OPTED_IN, worker=worker, first_hearing_date=FIRST_HEARING, return_date=RETURN_DATE
    )
    before = snapshot(referral)
    counts = row_counts()
    with pytest.raises(ValidationFailed) as caught:
        readjournment.change_return_date(referral, new_date, reason, referral.version, worker)
    assert set(caught.value.fields) == fields
    assert snapshot(referral) == before
    assert row_counts() == counts


def test_a_stale_version_is_refused_and_nothing_changes(app_ctx) -> None:
    worker = create_user(role="worker")
    referral = create_referral(
        state=State.OPTED_IN, worker=worker, first_hearing_date=FIRST_HEARING, return_date=RETURN_DATE
    )
    read_by_both = referral.version
    first = RETURN_DATE + timedelta(days=7)
    readjournment.change_return_date(referral, first, "Adjourned for a week.", read_by_both, worker)
    before = snapshot(referral)
    counts = row_counts()
    with pytest.raises(Conflict) as caught:
        readjournment.change_return_date(referral, RETURN_DATE + timedelta(days=28), "Adjourned.", read_by_both, worker)
    assert caught.value.status == 409
    assert snapshot(referral) == before
    assert referral.return_date == first
    assert row_counts() == counts
    assert [(change.from_date, change.to_date) for change in changes_of(referral)] == [(RETURN_DATE, first)]


def test_any_change_of_the_case_makes_an_earlier_read_stale(app_ctx) -> None:
    worker = create_user(role="worker")
    referral = create_referral(worker=worker, first_hearing_date=FIRST_HEARING, return_date=RETURN_DATE)
    read = referral.version
    record_consent(referral, "support", True, worker)
    record_consent(referral, "share_with_court_cps", True, worker)
    with pytest.raises(Conflict):
        readjournment.change_return_date(referral, RETURN_DATE + timedelta(days=7), "Adjourned.", read, worker)
    assert referral.return_date == RETURN_DATE


@pytest.mark.parametrize("state", sorted(FINAL_STATES))
def test_the_return_date_of_a_final_case_cannot_change(app_ctx, state: State) -> None:
    worker = create_user(role="worker")
    referral = create_referral(state=state, worker=worker, first_hearing_date=FIRST_HEARING, return_date=RETURN_DATE)
    before = snapshot(referral)
    counts = row_counts()
    with pytest.raises(InvalidTransition):
        readjournment.change_return_date(
            referral, RETURN_DATE + timedelta(days=7), "Adjourned.", referral.version, worker
        )
    assert snapshot(referral) == before
    assert row_counts() == counts


def test_two_changes_at_the_same_moment_the_second_gets_409(app_ctx, monkeypatch) -> None:
    """The other worker's change lands after this one's version check and before its write: the claim in the
    UPDATE refuses it, so the first change is kept whole."""
    from contextlib import contextmanager

    worker = create_user(role="worker")
    referral = create_referral(
        state=State.OPTED_IN, worker=worker, first_hearing_date=FIRST_HEARING, return_date=RETURN_DATE
    )
    read_by_both = referral.version
    first = RETURN_DATE + timedelta(days=7)
    original = readjournment.transaction
    pending = [lambda: readjournment.change_return_date(referral, first, "Adjourned for a week.", read_by_both, worker)]

    @contextmanager
    def racing():
        while pending:
            pending.pop()()
        with original() as session:
            yield session

    monkeypatch.setattr(readjournment, "transaction", racing)
    with pytest.raises(Conflict):
        readjournment.change_return_date(referral, RETURN_DATE + timedelta(days=28), "Adjourned.", read_by_both, worker)
    db.session.expire_all()
    assert referral.return_date == first
    assert [(change.from_date, change.to_date) for change in changes_of(referral)] == [(RETURN_DATE, first)]

"""The state machine: every allowed transition, every refused one, the audit trail, final states and their hooks;
and withdrawal."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from diversion import dates
from diversion.dates import today
from diversion.db import transaction, utcnow
from diversion.errors import InvalidTransition, ValidationFailed
from diversion.referrals import states
from diversion.referrals.consent import record_consent
from diversion.referrals.models import FINAL_STATES, OPEN_STATES, Referral, State
from diversion.referrals.states import TRANSITIONS, can_change, change_state
from diversion.referrals.sweep import sweep_passed_return_dates
from diversion.referrals.withdrawal import withdraw
from diversion.signals import final_state_reached
from tests.factories import (
    attend,
    audit_events,
    book,
    create_referral,
    create_user,
    last_audit_id,
    raw_column,
    row_counts,
    save_agreed_plan,
)

ALLOWED = sorted(TRANSITIONS, key=lambda pair: (pair[0].value, pair[1].value))
REFUSED = sorted(
    ((a, b) for a in State for b in State if (a, b) not in TRANSITIONS), key=lambda pair: (pair[0].value, pair[1].value)
)


def pair_id(pair: tuple[State, State]) -> str:
    return f"{pair[0].value}->{pair[1].value}"


@pytest.fixture
def final_hook():
    """A hook on final states that records its calls; removed afterwards."""
    calls: list[tuple] = []

    def hook(referral: Referral, actor) -> None:
        calls.append((referral.id, referral.state, actor.id if actor is not None else None))

    final_state_reached.connect(hook)
    try:
        yield calls
    finally:
        final_state_reached.disconnect(hook)


def snapshot(referral: Referral) -> tuple:
    return (
        referral.state,
        referral.version,
        referral.consent_date,
        referral.outcome_date,
        referral.final_at,
        referral.withdrawal_reason,
    )


# --- the table of transitions ---


def test_the_table_matches_the_design() -> None:
    expected = {
        (State.REFERRED, State.DECLINED),
        (State.REFERRED, State.OPTED_IN),
        (State.OPTED_IN, State.ASSESSED),
        (State.ASSESSED, State.COMPLETED),
        (State.OPTED_IN, State.COMPLETED),
        *((state, State.NOT_COMPLETED) for state in OPEN_STATES),
        *((state, State.WITHDRAWN) for state in OPEN_STATES),
    }
    assert set(TRANSITIONS) == expected
    assert not any(source in FINAL_STATES for source, _ in TRANSITIONS)


@pytest.mark.parametrize("pair", ALLOWED, ids=pair_id)
def test_every_allowed_transition_moves_the_case_and_is_audited(app_ctx, final_hook, pair) -> None:
    source, target = pair
    worker = create_user(role="worker")
    referral = create_referral(state=source, worker=worker)
    actor = create_user(role="manager")
    version = referral.version
    mark = last_audit_id()
    final_hook.clear()
    assert can_change(referral, target)
    with transaction():
        change_state(referral, target, actor=actor)
    assert referral.state == target
    assert referral.version == version + 1
    [event] = audit_events(after=mark, action="referral.state_changed")
    assert event.action == "referral.state_changed"
    assert event.details == {"from": source.value, "to": target.value, "reason": TRANSITIONS[pair]}
    assert event.actor_id == actor.id
    assert event.actor_role == "manager"
    assert event.case_id == referral.id
    assert event.object_type == "referral"
    assert event.object_id == str(referral.id)
    if target.is_final:
        assert referral.outcome_date == today()
        assert referral.final_at is not None
        assert abs(referral.final_at - utcnow()) < timedelta(minutes=1)
        assert final_hook == [(referral.id, target.value, actor.id)]
    else:
        assert referral.outcome_date is None
        assert referral.final_at is None
        assert final_hook == []


@pytest.mark.parametrize("pair", REFUSED, ids=pair_id)
def test_every_other_transition_is_refused_clearly_and_changes_nothing(app_ctx, final_hook, pair) -> None:
    source, target = pair
    worker = create_user(role="worker")
    referral = create_referral(state=source, worker=worker)
    before = snapshot(referral)
    counts = row_counts()
    final_hook.clear()
    assert not can_change(referral, target)
    with pytest.raises(InvalidTransition) as caught, transaction():
        change_state(referral, target, actor=worker)
    message = caught.value.message
    assert message == f"A case that is {source.label.lower()} cannot become {target.label.lower()}"
    assert caught.value.status == 422
    assert caught.value.code == "invalid_transition"
    assert snapshot(referral) == before
    assert row_counts() == counts
    assert final_hook == []


@pytest.mark.parametrize(
    "pair",
    [
        (State.COMPLETED, State.WITHDRAWN),
        (State.DECLINED, State.OPTED_IN),
        (State.NOT_COMPLETED, State.COMPLETED),
        (State.REFERRED, State.ASSESSED),
        (State.REFERRED, State.COMPLETED),
        (State.WITHDRAWN, State.NOT_COMPLETED),
    ],
    ids=pair_id,
)
def test_the_issues_examples_of_refused_transitions(app_ctx, pair) -> None:
    source, target = pair
    referral = create_referral(state=source)
    with pytest.raises(InvalidTransition, match=f"{source.label.lower()} cannot become {target.label.lower()}"):
        change_state(referral, target)
    assert referral.state == source


def test_a_change_on_a_given_day_uses_that_day(app_ctx) -> None:
    referral = create_referral(state=State.OPTED_IN)
    with transaction():
        change_state(referral, State.NOT_COMPLETED, on=date(2026, 3, 2))
    assert referral.outcome_date == date(2026, 3, 2)


@pytest.mark.parametrize(("target", "field"), [(State.OPTED_IN, "consent_date"), (State.DECLINED, "outcome_date")])
def test_dates_of_a_change_are_london_dates(app_ctx, monkeypatch, target: State, field: str) -> None:
    """Half past midnight in London in summer is still the day before in UTC: the case's dates are London's."""
    referral = create_referral()
    moment = datetime(2026, 7, 14, 23, 30, tzinfo=UTC)
    monkeypatch.setattr(dates, "utcnow", lambda: moment)
    monkeypatch.setattr(states, "utcnow", lambda: moment, raising=False)
    with transaction():
        change_state(referral, target)
    assert getattr(referral, field) == date(2026, 7, 15)


# --- final states through the services ---


def _decline(referral, worker):
    record_consent(referral, "support", False, worker)


def _withdraw(referral, worker):
    withdraw(referral, "She has moved to another city.", worker)


def _withdraw_consent(referral, worker):
    record_consent(referral, "share_with_court_cps", False, worker)


def _sweep(referral, worker):
    sweep_passed_return_dates(referral.return_date + timedelta(days=1))


def _complete(referral, worker):
    attend(appointment=book(referral=referral, worker=worker, number=2), worker=worker)
    save_agreed_plan(referral=referral, worker=worker)


@pytest.mark.parametrize(
    ("start", "act", "final", "by_worker"),
    [
        (State.REFERRED, _decline, State.DECLINED, True),
        (State.OPTED_IN, _withdraw, State.WITHDRAWN, True),
        (State.ASSESSED, _withdraw_consent, State.WITHDRAWN, True),
        (State.ASSESSED, _sweep, State.NOT_COMPLETED, False),
        (State.ASSESSED, _complete, State.COMPLETED, True),
    ],
    ids=["declined", "withdrawn", "consent-withdrawn", "not-completed", "completed"],
)
def test_each_final_state_runs_the_hooks_once(app_ctx, final_hook, start, act, final, by_worker) -> None:
    worker = create_user(role="worker")
    referral = create_referral(state=start, worker=worker)
    final_hook.clear()
    act(referral, worker)
    assert referral.state == final
    assert final_hook == [(referral.id, final.value, worker.id if by_worker else None)]
    assert referral.outcome_date is not None
    assert referral.final_at is not None
    moves = [event.details for event in audit_events(case_id=referral.id, action="referral.state_changed")]
    assert moves[-1]["to"] == final.value
    assert [move["to"] for move in moves].count(final.value) == 1


def test_a_failing_hook_undoes_the_change_of_state(app_ctx) -> None:
    """The hooks (the outcome notice) run in the same transaction: no final state without its notice."""
    worker = create_user(role="worker")
    referral = create_referral(state=State.OPTED_IN, worker=worker)
    before = snapshot(referral)
    counts = row_counts()

    def broken(referral, actor):
        raise RuntimeError("notice store unavailable")

    final_state_reached.connect(broken)
    try:
        with pytest.raises(RuntimeError):
            withdraw(referral, "She moved away.", worker)
    finally:
        final_state_reached.disconnect(broken)
    assert snapshot(referral) == before
    assert row_counts() == counts


# --- withdrawal ---


@pytest.mark.parametrize("state", [State.REFERRED, State.OPTED_IN, State.ASSESSED])
def test_withdrawal_from_any_open_state(app_ctx, state: State) -> None:
    worker = create_user(role="worker")
    referral = create_referral(state=state, worker=worker)
    withdraw(referral, "  She no longer wants support.  ", worker)
    assert referral.state == State.WITHDRAWN
    assert referral.withdrawal_reason == "She no longer wants support."
    assert referral.outcome_date == today()
    [event] = audit_events(case_id=referral.id, action="referral.state_changed")[-1:]
    assert event.details == {"from": state.value, "to": "WITHDRAWN", "reason": "withdrawn"}


@pytest.mark.parametrize("reason", ["", "   ", None, "x" * 2001])
def test_withdrawal_needs_a_reason(app_ctx, reason) -> None:
    worker = create_user(role="worker")
    referral = create_referral(state=State.OPTED_IN, worker=worker)
    before = snapshot(referral)
    counts = row_counts()
    with pytest.raises(ValidationFailed) as caught:
        withdraw(referral, reason, worker)
    assert set(caught.value.fields) == {"reason"}
    assert snapshot(referral) == before
    assert row_counts() == counts


@pytest.mark.parametrize("state", sorted(FINAL_STATES))
def test_withdrawal_of_a_final_case_is_refused(app_ctx, state: State) -> None:
    worker = create_user(role="worker")
    referral = create_referral(state=state, worker=worker)
    before = snapshot(referral)
    counts = row_counts()
    with pytest.raises(InvalidTransition, match="cannot be withdrawn"):
        withdraw(referral, "She moved away.", worker)
    assert snapshot(referral) == before
    assert row_counts() == counts


def test_the_withdrawal_reason_is_stored_encrypted(app_ctx) -> None:
    worker = create_user(role="worker")
    referral = create_referral(state=State.OPTED_IN, worker=worker)
    withdraw(referral, "Her partner threatened her.", worker)
    stored = raw_column(model=Referral, column="withdrawal_reason", row_id=referral.id)
    assert isinstance(stored, bytes)
    assert b"threatened" not in stored
    assert b"partner" not in stored
    assert referral.withdrawal_reason == "Her partner threatened her."

"""The consent ledger: one line per purpose given, refused or withdrawn, and the state of the case following it."""

from __future__ import annotations

import pytest

from diversion.dates import today
from diversion.errors import InvalidTransition, ValidationFailed
from diversion.referrals.consent import consent_ledger, current_consents, has_consent, record_consent
from diversion.referrals.models import Consent, ConsentPurpose, State
from tests.factories import audit_events, create_referral, create_user, last_audit_id, row_counts

SUPPORT, SHARE = ConsentPurpose.SUPPORT, ConsentPurpose.SHARE_WITH_COURT_CPS


def ledger(referral) -> list[tuple[str, bool, bool]]:
    """The case's ledger as (purpose, given, withdrawn) lines, oldest first."""
    return [(line.purpose, line.is_given, line.withdrawn_at is not None) for line in consent_ledger(referral)]


def test_support_and_sharing_given_opt_her_in(app_ctx) -> None:
    worker = create_user(role="worker")
    referral = create_referral(worker=worker)
    record_consent(referral, SUPPORT, True, worker)
    assert referral.state == State.REFERRED
    assert referral.consent_date is None
    record_consent(referral, SHARE, True, worker)
    assert referral.state == State.OPTED_IN
    assert referral.consent_date == today()
    assert has_consent(referral, SUPPORT)
    assert has_consent(referral, SHARE)


def test_sharing_first_then_support_opts_her_in_too(app_ctx) -> None:
    worker = create_user(role="worker")
    referral = create_referral(worker=worker)
    record_consent(referral, "share_with_court_cps", True, worker)
    assert referral.state == State.REFERRED
    record_consent(referral, "support", True, worker)
    assert referral.state == State.OPTED_IN


@pytest.mark.parametrize("purpose", [SUPPORT, SHARE])
def test_refusing_support_or_sharing_while_referred_declines(app_ctx, purpose: ConsentPurpose) -> None:
    worker = create_user(role="worker")
    referral = create_referral(worker=worker)
    record_consent(referral, purpose, False, worker)
    assert referral.state == State.DECLINED
    assert referral.outcome_date == today()
    assert referral.consent_date is None
    assert ledger(referral) == [(purpose.value, False, False)]


def test_refusing_sharing_after_giving_support_declines(app_ctx) -> None:
    worker = create_user(role="worker")
    referral = create_referral(worker=worker)
    record_consent(referral, SUPPORT, True, worker)
    record_consent(referral, SHARE, False, worker)
    assert referral.state == State.DECLINED
    assert not has_consent(referral, SHARE)


@pytest.mark.parametrize("state", [State.OPTED_IN, State.ASSESSED])
@pytest.mark.parametrize("purpose", [SUPPORT, SHARE])
def test_withdrawing_support_or_sharing_later_withdraws_her(app_ctx, state: State, purpose: ConsentPurpose) -> None:
    worker = create_user(role="worker")
    referral = create_referral(state=state, worker=worker)
    other_worker = create_user(role="worker")
    given = current_consents(referral)[purpose]
    assert given.is_current
    line = record_consent(referral, purpose, False, other_worker)
    assert referral.state == State.WITHDRAWN
    assert referral.outcome_date == today()
    # The given line is marked withdrawn, by whom and when; a new refusal line is added; nothing is rewritten.
    assert given.withdrawn_at is not None
    assert given.withdrawn_by_id == other_worker.id
    assert given.is_given
    assert line.id != given.id
    assert (line.is_given, line.recorded_by_id, line.recorded_at) == (False, other_worker.id, given.withdrawn_at)
    assert not has_consent(referral, purpose)
    assert ledger(referral) == [
        ("support", True, purpose is SUPPORT),
        ("share_with_court_cps", True, purpose is SHARE),
        (purpose.value, False, False),
    ]


def test_each_line_keeps_purpose_date_wording_and_recorder(app_ctx) -> None:
    worker = create_user(role="worker")
    manager = create_user(role="manager")
    referral = create_referral(worker=worker)
    record_consent(referral, SUPPORT, True, worker, wording_version="2026-1")
    record_consent(referral, SHARE, True, manager)
    record_consent(referral, "reminders", False, manager)
    lines = consent_ledger(referral)
    assert [(line.purpose, line.wording_version, line.recorded_by_id) for line in lines] == [
        ("support", "2026-1", worker.id),
        ("share_with_court_cps", "2026-1", manager.id),
        ("reminders", "2026-1", manager.id),
    ]
    assert all(line.recorded_at is not None and line.withdrawn_at is None for line in lines)
    assert all(line.referral_id == referral.id for line in lines)


@pytest.mark.parametrize("state", [State.REFERRED, State.OPTED_IN, State.ASSESSED, State.COMPLETED, State.DECLINED])
@pytest.mark.parametrize("purpose", [ConsentPurpose.REMINDERS, ConsentPurpose.EQUALITY_MONITORING])
def test_reminders_and_equality_monitoring_never_change_the_state(app_ctx, state: State, purpose) -> None:
    worker = create_user(role="worker")
    referral = create_referral(state=state, worker=worker)
    version = referral.version
    mark = last_audit_id()
    record_consent(referral, purpose, True, worker)
    assert has_consent(referral, purpose)
    record_consent(referral, purpose, False, worker)
    assert referral.state == state
    assert referral.version == version
    assert not has_consent(referral, purpose)
    assert [event.action for event in audit_events(after=mark)] == ["consent.recorded", "consent.recorded"]


@pytest.mark.parametrize("state", [State.DECLINED, State.COMPLETED, State.NOT_COMPLETED, State.WITHDRAWN])
@pytest.mark.parametrize("purpose", [SUPPORT, SHARE])
def test_diversion_consent_cannot_be_given_on_a_final_case(app_ctx, state: State, purpose: ConsentPurpose) -> None:
    worker = create_user(role="worker")
    referral = create_referral(state=state, worker=worker)
    before = row_counts()
    with pytest.raises(InvalidTransition) as caught:
        record_consent(referral, purpose, True, worker)
    assert state.label.lower() in caught.value.message
    assert row_counts() == before
    assert referral.state == state


def test_a_refusal_on_a_final_case_is_recorded_but_moves_nothing(app_ctx) -> None:
    """She may still withdraw a consent once her case is over (e.g. sharing after completion)."""
    worker = create_user(role="worker")
    referral = create_referral(state=State.COMPLETED, worker=worker)
    outcome_date = referral.outcome_date
    record_consent(referral, SHARE, False, worker)
    assert referral.state == State.COMPLETED
    assert referral.outcome_date == outcome_date
    assert not has_consent(referral, SHARE)


@pytest.mark.parametrize("purpose", ["marketing", "", "SUPPORT", None])
def test_an_unknown_purpose_is_refused(app_ctx, purpose) -> None:
    worker = create_user(role="worker")
    referral = create_referral(worker=worker)
    before = row_counts()
    with pytest.raises(ValidationFailed) as caught:
        record_consent(referral, purpose, True, worker)
    assert set(caught.value.fields) == {"purpose"}
    assert row_counts() == before
    assert referral.state == State.REFERRED


def test_every_consent_is_audited_with_the_case_and_no_values(app_ctx) -> None:
    worker = create_user(role="worker")
    referral = create_referral(worker=worker)
    record_consent(referral, SUPPORT, True, worker, wording_version="2026-1")
    record_consent(referral, "reminders", True, worker)
    record_consent(referral, SHARE, True, worker)
    record_consent(referral, SUPPORT, False, worker)
    events = audit_events(case_id=referral.id, action="consent.recorded")
    assert [event.details for event in events] == [
        {"purpose": "support", "given": True, "withdrawal": False},
        {"purpose": "reminders", "given": True, "withdrawal": False},
        {"purpose": "share_with_court_cps", "given": True, "withdrawal": False},
        {"purpose": "support", "given": False, "withdrawal": True},
    ]
    assert all(event.object_id == str(referral.id) and event.actor_id == worker.id for event in events)
    assert [event.details["to"] for event in audit_events(case_id=referral.id, action="referral.state_changed")] == [
        "OPTED_IN",
        "WITHDRAWN",
    ]


def test_a_consent_line_is_stored_against_the_case(app_ctx) -> None:
    worker = create_user(role="worker")
    referral = create_referral(worker=worker)
    line = record_consent(referral, SUPPORT, True, worker)
    assert isinstance(line, Consent)
    assert current_consents(referral)[SUPPORT].id == line.id
    assert current_consents(referral)[SHARE] is None

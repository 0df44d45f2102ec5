"""Retention: clients fall due their cases' programme's number of years after their last case ended (the longest of
them, each case by the version it started under); a legal hold pauses it; a dry run erases nobody; a run erases by
crypto-shredding and keeps what reports count; each run is audited."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from diversion.audit.models import AuditEvent
from diversion.clients.models import Client
from diversion.crypto.fields import ERASED
from diversion.dates import today
from diversion.errors import Conflict
from diversion.extensions import db
from diversion.keyring import keystore
from diversion.organisations.services import new_programme_version
from diversion.privacy.retention import add_years, retention_status, run_retention, set_legal_hold
from diversion.referrals.models import Referral
from diversion.referrals.programme import programme_with_appointments
from diversion.reports.services import check_period, completion_report
from tests.factories import audit_events, create_court, create_referral, create_scheme, create_user, main_scheme


def _due_ids(on: date) -> set:
    return {item.client_id for item in retention_status(on).due}


def test_add_years_keeps_the_day_and_moves_29_february() -> None:
    assert add_years(date(2020, 3, 1), 6) == date(2026, 3, 1)
    assert add_years(date(2024, 2, 29), 6) == date(2030, 2, 28)
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)


def test_a_client_falls_due_six_years_after_her_last_case_ended(app_ctx) -> None:
    referral = create_referral(state="WITHDRAWN")
    ended = referral.outcome_date
    assert ended == today()
    assert referral.client_id not in _due_ids(add_years(ended, 6) - timedelta(days=1))
    assert referral.client_id in _due_ids(add_years(ended, 6))


def test_an_open_case_or_a_later_case_keeps_her(app_ctx) -> None:
    worker = create_user(role="worker")
    ended = create_referral(state="WITHDRAWN", worker=worker)
    create_referral(state="OPTED_IN", worker=worker, link_client_id=ended.client_id, family_name=None)
    later = add_years(today(), 10)
    assert ended.client_id not in _due_ids(later)
    declined = create_referral(state="DECLINED")
    assert declined.client_id in _due_ids(add_years(declined.outcome_date, 6))


def test_the_last_of_several_final_cases_starts_the_period(app_ctx) -> None:
    worker = create_user(role="worker")
    first = create_referral(state="WITHDRAWN", worker=worker)
    second = create_referral(state="WITHDRAWN", worker=worker)
    with db.session.begin_nested():
        second.client_id = first.client_id
        first.outcome_date = today() - timedelta(days=400)
    assert first.client_id in _due_ids(add_years(today(), 6))
    assert first.client_id not in _due_ids(add_years(today(), 6) - timedelta(days=1))


def _scheme_case(years: int, *, client_id=None, state: str = "WITHDRAWN"):
    """A case of a new scheme whose programme keeps a record ``years`` years (her earlier client record, if given)."""
    scheme = create_scheme(settings={**programme_with_appointments("Kept", 2), "retention_years": years})
    worker = create_user(role="worker", schemes=[scheme])
    court = create_court(schemes=[scheme])
    if client_id is None:
        return create_referral(state=state, worker=worker, court=court)
    return create_referral(state=state, worker=worker, court=court, link_client_id=client_id, family_name=None)


def test_the_period_is_her_schemes_programmes(app_ctx) -> None:
    referral = _scheme_case(3)
    assert referral.client_id not in _due_ids(add_years(today(), 3) - timedelta(days=1))
    assert referral.client_id in _due_ids(add_years(today(), 3))
    [item] = [item for item in retention_status(add_years(today(), 3)).due if item.client_id == referral.client_id]
    assert item.years == 3


def test_cases_in_several_schemes_keep_her_for_the_longest_period(app_ctx) -> None:
    short = _scheme_case(3)
    _scheme_case(9, client_id=short.client_id)
    assert short.client_id not in _due_ids(add_years(today(), 8))
    assert short.client_id in _due_ids(add_years(today(), 9))


def test_a_change_of_period_leaves_a_case_on_its_version(app_ctx) -> None:
    """The scheme shortens its period: a case started before keeps hers for the period it started under; a case
    taken after the change is kept for the new one."""
    manager = create_user(role="manager")
    before = create_referral(state="OPTED_IN")
    new_programme_version(main_scheme(), {"retention_years": 2}, manager)
    after = create_referral(state="OPTED_IN")
    for referral in (before, after):
        with db.session.begin_nested():
            referral.state = "WITHDRAWN"
            referral.outcome_date = today()
    assert after.client_id in _due_ids(add_years(today(), 2))
    assert before.client_id not in _due_ids(add_years(today(), 2))
    assert before.client_id in _due_ids(add_years(today(), 6))


def test_a_legal_hold_pauses_retention_until_released(app_ctx) -> None:
    manager = create_user(role="manager")
    referral = create_referral(state="WITHDRAWN")
    client = referral.client
    later = add_years(today(), 6)
    set_legal_hold(client, True, manager)
    status = retention_status(later)
    assert client.id not in {item.client_id for item in status.due}
    assert client.id in {item.client_id for item in status.held}
    run = run_retention(later)
    assert str(client.id) not in run.erased
    assert db.session.get(Client, client.id).erased_at is None
    with pytest.raises(Conflict):
        set_legal_hold(client, True, manager)
    set_legal_hold(client, False, manager)
    assert [event.action for event in audit_events(action="client.legal_hold_set")] == ["client.legal_hold_set"]
    assert audit_events(action="client.legal_hold_released")[0].actor_id == manager.id
    assert str(client.id) in run_retention(later).erased


def test_a_dry_run_erases_nobody_and_is_audited(app_ctx) -> None:
    referral = create_referral(state="WITHDRAWN")
    later = add_years(today(), 6)
    run = run_retention(later, dry_run=True)
    assert run.due >= 1
    assert run.erased == []
    client = db.session.get(Client, referral.client_id)
    assert client.erased_at is None
    assert keystore().get_many([client.id])
    event = audit_events(action="retention.run")[-1]
    assert event.details["dry_run"] is True
    assert event.details["due"] == run.due
    assert event.details["erased"] == 0


def test_a_run_shreds_her_and_keeps_the_counts_reports_need(app_ctx) -> None:
    kept = create_referral(state="COMPLETED")
    gone = create_referral(state="WITHDRAWN")
    period = check_period(today() - timedelta(days=60), today() + timedelta(days=1))
    before = completion_report(period, None).figures
    later = add_years(today(), 6)
    run = run_retention(later)
    assert str(gone.client_id) in run.erased
    assert str(kept.client_id) in run.erased  # both ended today: both due six years on
    db.session.expire_all()
    client = db.session.get(Client, gone.client_id)
    assert client.erased_at is not None
    assert client.given_name is ERASED
    assert str(client.id) in keystore().shredded_client_ids()
    referral = db.session.get(Referral, gone.id)
    assert (referral.state, referral.outcome_date) == ("WITHDRAWN", today())
    assert completion_report(period, None).figures == before
    erased = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "client.erased", AuditEvent.object_id == str(gone.client_id))
    ).one()
    assert erased.details["reason"] == "retention"
    run_event = audit_events(action="retention.run")[-1]
    assert run_event.details["dry_run"] is False
    assert run_event.details["erased"] == len(run.erased)
    # A second run finds nobody left to erase.
    assert run_retention(later).erased == []


def test_the_retention_command(app, app_ctx) -> None:
    referral = create_referral(state="WITHDRAWN")
    later = add_years(today(), 6).isoformat()
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["retention", "run", "--dry-run", "--today", later])
    assert dry.exit_code == 0, dry.output
    assert "clients due for erasure" in dry.output
    assert db.session.get(Client, referral.client_id).erased_at is None
    real = runner.invoke(args=["retention", "run", "--today", later])
    assert real.exit_code == 0, real.output
    assert f"Client {referral.client_id} erased (retention)." in real.output
    db.session.expire_all()
    assert db.session.get(Client, referral.client_id).erased_at is not None
    bad = runner.invoke(args=["retention", "run", "--today", "31-12-2030"])
    assert bad.exit_code == 2

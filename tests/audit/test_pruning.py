"""Deleting audit events past their retention period from the start of the chain, which stays verifiable from a
signed starting point: deleting more, or moving the start, still shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from diversion.audit import services as audit_services
from diversion.audit.models import AuditEvent, AuditHead
from diversion.audit.services import HEAD_ID, prune_before, record_event, verify_chain
from diversion.dates import today
from diversion.db import transaction, utcnow
from diversion.extensions import db
from diversion.privacy.retention import add_years, run_retention
from tests.factories import create_referral

LONG_AGO = datetime(2015, 3, 1, 12, 0, tzinfo=UTC)


def _ids() -> list[int]:
    return list(db.session.scalars(sa.select(AuditEvent.id).order_by(AuditEvent.id)))


def _write(count: int, monkeypatch=None, at: datetime | None = None) -> list[int]:
    if at is not None:
        monkeypatch.setattr(audit_services, "utcnow", lambda: at)
    with transaction():
        written = [record_event("test.event", object_type="test", object_id=n).id for n in range(count)]
    if at is not None:
        monkeypatch.setattr(audit_services, "utcnow", utcnow)
    return written


def _start_afresh() -> None:
    """Everything written so far goes, so the test controls which events are old."""
    with transaction():
        prune_before(utcnow() + timedelta(days=1))
    assert _ids() == []
    assert verify_chain().ok


def test_only_the_old_events_at_the_start_go_and_the_chain_still_verifies(app_ctx, monkeypatch) -> None:
    _write(2)
    _start_afresh()
    old = _write(3, monkeypatch, LONG_AGO)
    kept = _write(2)
    with transaction():
        deleted = prune_before(datetime(2020, 1, 1, tzinfo=UTC))
    assert deleted == 3
    assert _ids() == kept
    head = db.session.get(AuditHead, HEAD_ID)
    assert head.first_seq == kept[0] == old[-1] + 1
    report = verify_chain()
    assert report.ok, report
    assert report.checked == 2
    # New events follow on as before.
    _write(1)
    assert verify_chain().ok


def test_nothing_newer_than_the_cutoff_goes_even_when_an_old_event_follows_it(app_ctx, monkeypatch) -> None:
    _start_afresh()
    first = _write(1)
    _write(1, monkeypatch, LONG_AGO)  # out of time order: it stays, because a newer event comes before it
    with transaction():
        assert prune_before(datetime(2020, 1, 1, tzinfo=UTC)) == 0
    assert _ids()[0] == first[0]
    assert verify_chain().ok


def test_deleting_more_after_pruning_shows(app_ctx, monkeypatch) -> None:
    _start_afresh()
    _write(2, monkeypatch, LONG_AGO)
    kept = _write(3)
    with transaction():
        prune_before(datetime(2020, 1, 1, tzinfo=UTC))
    db.session.execute(sa.delete(AuditEvent).where(AuditEvent.id == kept[0]))
    report = verify_chain()
    assert not report.ok
    assert report.bad_event_id == kept[0]


def test_moving_the_start_without_the_key_shows(app_ctx, monkeypatch) -> None:
    _start_afresh()
    _write(2, monkeypatch, LONG_AGO)
    kept = _write(3)
    with transaction():
        prune_before(datetime(2020, 1, 1, tzinfo=UTC))
    # Someone with only the database deletes the first kept event and moves the start past it.
    first = db.session.get(AuditEvent, kept[0])
    mac = first.mac
    db.session.delete(first)
    db.session.execute(
        sa.update(AuditHead).where(AuditHead.id == HEAD_ID).values(first_seq=kept[1], first_prev_mac=mac)
    )
    db.session.expire_all()
    report = verify_chain()
    assert not report.ok
    assert report.problem == "the start of the chain was altered"


def test_the_retention_run_deletes_old_audit_events_and_a_dry_run_only_counts_them(app_ctx) -> None:
    create_referral(state="WITHDRAWN")
    later = add_years(today(), 7) + timedelta(days=2)
    before = _ids()
    dry = run_retention(later, dry_run=True)
    assert dry.audit_events == len(before)
    assert _ids()[: len(before)] == before  # nothing deleted; the run's own event was added
    run = run_retention(later)
    assert run.erased  # her erasure writes its own events, before the old ones go
    # Everything written before the cutoff went (the dry run's event and the erasure's too); the run's own stays.
    [last] = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
    assert last.action == "retention.run"
    assert run.audit_events == last.id - before[0] > len(before)
    assert last.details["audit_events"] == run.audit_events
    assert verify_chain().ok

"""The audit chain across a master-key rotation: ``keys rotate`` seals the chain under the new key, so that once the
old key is removed both ``keys verify`` and ``audit verify`` pass, and an edit made afterwards still shows."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import sqlalchemy as sa

from diversion.audit import services as audit_services
from diversion.audit.models import AuditEvent, AuditHead
from diversion.audit.services import HEAD_ID, prune_before, record_event
from diversion.crypto.keys import generate_master_key_line
from diversion.db import transaction, utcnow
from diversion.extensions import db
from tests.conftest import dispose_app
from tests.crypto_app.records import create_bulk_clients

LONG_AGO = datetime(2015, 3, 1, 12, 0, tzinfo=UTC)


def _events(app, count: int) -> None:
    with app.app_context(), transaction():
        for n in range(count):
            record_event("test.event", object_type="test", object_id=n)


def _rotated(committed_app, monkeypatch):
    """A chain written under ``old`` (its first four events long ago), more under ``new`` once that is deployed
    first, then ``keys rotate``; returns an app with only the new key."""
    old, new = generate_master_key_line("old"), generate_master_key_line("new")
    first = committed_app(keys=old)
    monkeypatch.setattr(audit_services, "utcnow", lambda: LONG_AGO)
    _events(first.app, 4)
    monkeypatch.setattr(audit_services, "utcnow", utcnow)
    with first.app.app_context():
        create_bulk_clients(3, rng=random.Random(5))
    _events(first.app, 4)
    dispose_app(first.app)
    both = committed_app(keys=f"{new},{old}", main_url=first.main_url, keys_url=first.keys_url)
    _events(both.app, 2)
    rotated = both.cli("keys", "rotate")
    assert rotated.exit_code == 0, rotated.output
    assert "Audit chain checked and sealed under new up to event" in rotated.output
    again = both.cli("keys", "rotate")
    assert again.exit_code == 0, again.output
    assert "sealed" not in again.output  # nothing left to seal: running it again adds nothing
    dispose_app(both.app)
    return committed_app(keys=new, main_url=first.main_url, keys_url=first.keys_url)


def test_after_rotation_the_old_key_can_go_and_both_verifications_pass(committed_app, monkeypatch) -> None:
    after = _rotated(committed_app, monkeypatch)
    keys = after.cli("keys", "verify")
    assert keys.exit_code == 0, keys.output
    audit = after.cli("audit", "verify")
    assert audit.exit_code == 0, audit.output
    assert "Audit chain intact" in audit.output
    with after.app.app_context():
        old_events = db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.key_id == "old"))
        assert old_events >= 4  # the old events are kept as written, not rewritten
        resealed = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "audit.resealed")).one()
        assert resealed.key_id == "new"
    # New events follow on under the new key.
    _events(after.app, 2)
    assert after.cli("audit", "verify").exit_code == 0


def test_without_the_rotation_removing_the_old_key_breaks_the_chain(committed_app) -> None:
    old, new = generate_master_key_line("old"), generate_master_key_line("new")
    first = committed_app(keys=old)
    _events(first.app, 3)
    dispose_app(first.app)
    only_new = committed_app(keys=new, main_url=first.main_url, keys_url=first.keys_url)
    result = only_new.cli("audit", "verify")
    assert result.exit_code == 1
    assert "names a key that is not configured" in result.output


def test_an_event_under_the_removed_key_edited_after_rotation_is_detected(committed_app, monkeypatch) -> None:
    after = _rotated(committed_app, monkeypatch)
    with after.app.app_context(), transaction():
        table = AuditEvent.__table__
        target = db.session.scalar(
            sa.select(sa.func.min(table.c.id)).where(table.c.key_id == "old").where(table.c.id > 1)
        )
        db.session.execute(sa.update(table).where(table.c.id == target).values(action="client.viewed"))
    result = after.cli("audit", "verify")
    assert result.exit_code == 1
    assert "do not match the seal" in result.output


def test_a_forged_mac_after_rotation_is_detected(committed_app, monkeypatch) -> None:
    after = _rotated(committed_app, monkeypatch)
    table = AuditEvent.__table__
    with after.app.app_context(), transaction():
        target = db.session.scalar(sa.select(sa.func.max(table.c.id)).where(table.c.key_id == "old"))
        db.session.execute(sa.update(table).where(table.c.id == target).values(mac="f" * 64))
    assert after.cli("audit", "verify").exit_code == 1


def test_a_moved_or_removed_seal_is_detected(committed_app, monkeypatch) -> None:
    after = _rotated(committed_app, monkeypatch)
    # The seal moved one event earlier, as someone hiding the last sealed events would.
    with after.app.app_context(), transaction():
        db.session.get(AuditHead, HEAD_ID).seal_seq -= 1
    assert after.cli("audit", "verify").exit_code == 1
    # Removing the seal leaves the old events under a key that is not configured.
    with after.app.app_context(), transaction():
        head = db.session.get(AuditHead, HEAD_ID)
        head.seal_seq = head.seal_digest = head.seal_key_id = head.seal_mac = None
    result = after.cli("audit", "verify")
    assert result.exit_code == 1
    assert "names a key that is not configured" in result.output


def test_retention_inside_the_seal_keeps_it_checkable_and_edits_still_show(committed_app, monkeypatch) -> None:
    after = _rotated(committed_app, monkeypatch)
    table = AuditEvent.__table__
    with after.app.app_context():
        sealed_to = db.session.get(AuditHead, HEAD_ID).seal_seq
        with transaction():
            assert prune_before(datetime(2020, 1, 1, tzinfo=UTC)) == 4
        head = db.session.get(AuditHead, HEAD_ID)
        assert (head.first_seq, head.seal_seq) == (5, sealed_to)
        assert head.first_digest is not None
        assert head.anchor_key_id == "new"
    verified = after.cli("audit", "verify")
    assert verified.exit_code == 0, verified.output
    # A kept event under the removed key, edited: the seal no longer matches.
    with after.app.app_context(), transaction():
        db.session.execute(sa.update(table).where(table.c.id == 5).values(object_id="99"))
    result = after.cli("audit", "verify")
    assert result.exit_code == 1
    assert "do not match the seal" in result.output

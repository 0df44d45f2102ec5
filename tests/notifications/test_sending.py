"""A message is sent with no transaction open: while the provider takes its time, the message's row is not locked,
no pooled connection is held for the sender, and a concurrent sweep neither waits nor sends the message again. The
result is recorded afterwards, and only by the sender whose claim still stands."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask_migrate import upgrade

from diversion.db import utcnow
from diversion.extensions import db
from diversion.notifications import services
from diversion.notifications.models import Notification
from diversion.notifications.providers import SendResult
from tests.conftest import build_app, dispose_app, make_environ
from tests.factories import create_user


class HangingNotifier:
    """A provider that blocks until the test lets it answer, as one waiting out its timeout would."""

    name = "outbox"

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.sent: list[str] = []

    def send(self, message: Any) -> SendResult:
        self.sent.append(message.id)
        self.started.set()
        if not self.release.wait(60):
            raise RuntimeError("the test never released the provider")
        return SendResult(f"ref-{len(self.sent)}")


def _other_connection_locks_and_updates(url: sa.URL, message_id: uuid.UUID) -> None:
    """On a connection of its own, lock the message's row and change it, giving up within two seconds of waiting."""
    if url.get_backend_name() == "sqlite":
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool, connect_args={"timeout": 2})
    else:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    table = Notification.__table__
    try:
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(sa.text("SET LOCAL lock_timeout = '2s'"))
                connection.execute(sa.select(table.c.id).where(table.c.id == message_id).with_for_update())
            moved = connection.execute(
                sa.update(table).where(table.c.id == message_id).values(updated_at=utcnow())
            ).rowcount
            assert moved == 1
    finally:
        engine.dispose()


def test_a_hanging_provider_holds_no_lock_or_connection_and_a_concurrent_sweep_neither_waits_nor_sends_twice(
    databases, master_keys, tmp_path, monkeypatch
) -> None:
    environ = make_environ(databases.new("hang"), f"sqlite:///{tmp_path / 'keys.db'}", master_keys, tmp_path)
    application = build_app(environ)
    notifier = HangingNotifier()
    monkeypatch.setattr(services, "notifier_for", lambda channel, config: notifier)
    outcome: dict[str, Any] = {}
    try:
        with application.app_context():
            upgrade()
            create_user(role="manager")
            now = utcnow()
            assert services.email_active_managers(dedupe="hang-test", subject="Test", body="Body", now=now) == 1
            message_id = db.session.scalar(sa.select(Notification.id))
            url = db.engine.url

        def sender() -> None:
            with application.app_context():
                try:
                    outcome["status"] = services.deliver(message_id, now)
                except BaseException as error:  # noqa: BLE001 - reported by the assertion below
                    outcome["error"] = error
                finally:
                    db.session.remove()

        thread = threading.Thread(target=sender)
        thread.start()
        try:
            assert notifier.started.wait(20), outcome
            with application.app_context():
                # The sender is inside the provider's call: it holds no connection from the pool ...
                assert db.engine.pool.checkedout() == 0
                # ... and the row is free: another connection locks and changes it at once.
                _other_connection_locks_and_updates(url, message_id)
                # The message shows as being sent, with the time of its claim.
                message = db.session.get(Notification, message_id)
                assert (message.status, message.claimed_at, message.attempts) == ("sending", now, 1)
                db.session.rollback()
                # A sweep now neither waits for the sender nor sends the message a second time.
                started = time.monotonic()
                report = services.send_due(now + timedelta(minutes=1))
                assert time.monotonic() - started < 5
                assert report.statuses == {}
                assert notifier.sent == [str(message_id)]
                db.session.remove()
        finally:
            notifier.release.set()
            thread.join(60)
        assert outcome == {"status": "sent"}
        with application.app_context():
            message = db.session.get(Notification, message_id)
            assert (message.status, message.provider_reference, message.claimed_at) == ("sent", "ref-1", None)
            assert notifier.sent == [str(message_id)]
    finally:
        dispose_app(application)


def test_a_result_after_the_claim_was_taken_over_is_not_recorded_over_the_new_senders(app_ctx, monkeypatch) -> None:
    """A send that outlived STALE_CLAIM: its message was put back and claimed again; the late answer changes nothing."""
    from diversion.db import transaction

    now = utcnow()
    create_user(role="manager")
    services.email_active_managers(dedupe="late-test", subject="Test", body="Body", now=now)
    message_id = db.session.scalar(sa.select(Notification.id))

    class TakenOverMeanwhile:
        name = "outbox"

        def send(self, message: Any) -> SendResult:
            later = now + services.STALE_CLAIM + timedelta(minutes=1)
            assert services.requeue_stale_claims(later) == 1
            assert services.claim(message_id, later)
            return SendResult("late")

    monkeypatch.setattr(services, "notifier_for", lambda channel, config: TakenOverMeanwhile())
    assert services.deliver(message_id, now) == "sending"
    with transaction():
        message = db.session.get(Notification, message_id)
        assert (message.status, message.attempts, message.provider_reference) == ("sending", 2, None)


def test_a_result_after_a_stale_claim_was_put_back_but_not_taken_is_recorded(app_ctx, monkeypatch) -> None:
    """The message did go: a message put back on the queue but not sent again is recorded as sent, not sent twice."""
    now = utcnow()
    create_user(role="manager")
    services.email_active_managers(dedupe="slow-test", subject="Test", body="Body", now=now)
    message_id = db.session.scalar(sa.select(Notification.id))

    class PutBackMeanwhile:
        name = "outbox"

        def send(self, message: Any) -> SendResult:
            assert services.requeue_stale_claims(now + services.STALE_CLAIM + timedelta(minutes=1)) == 1
            return SendResult("slow")

    monkeypatch.setattr(services, "notifier_for", lambda channel, config: PutBackMeanwhile())
    assert services.deliver(message_id, now) == "sent"
    db.session.expire_all()
    message = db.session.get(Notification, message_id)
    assert (message.status, message.provider_reference) == ("sent", "slow")
    assert services.due_ids(now + timedelta(hours=1)) == []

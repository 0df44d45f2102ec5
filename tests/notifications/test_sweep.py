"""The sweep sends what is due exactly once: twice in a row, two at the same moment, and through RQ on the real
Redis with a worker."""

from __future__ import annotations

import os
import re
import threading
import uuid
from datetime import UTC, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from diversion.db import utcnow
from diversion.extensions import db
from diversion.notifications.models import Notification
from diversion.notifications.services import sweep_messages
from tests.conftest import build_app, dispose_app, make_environ
from tests.factories import create_user
from tests.notifications.helpers import london, messages, outbox_for, outbox_lines, reminder_case

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def test_the_sweep_command_sends_a_due_reminder_once_and_a_second_run_sends_nothing(app, app_ctx) -> None:
    starts_at = (utcnow() + timedelta(minutes=100)).replace(second=0, microsecond=0)
    _, appointment = reminder_case(starts_at=starts_at)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["cases", "sweep"])
    assert first.exit_code == 0, first.output
    assert re.search(r"Messages: 1 reminders, \d+ digests and 0 notice emails queued; \d+ sent, 0 failed", first.stdout)
    [reminder] = messages(appointment_id=appointment.id)
    assert (reminder.lead, reminder.status) == ("2h", "sent")
    lines = len(outbox_lines())
    again = runner.invoke(args=["cases", "sweep"])
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines()[-1] == (
        "Messages: 0 reminders, 0 digests and 0 notice emails queued; 0 sent, 0 failed, 0 to try again, 0 cancelled."
    )
    assert len(outbox_lines()) == lines
    assert len(outbox_for([reminder.id])) == 1


def test_two_sweeps_at_the_same_moment_send_each_message_once(databases, master_keys, tmp_path) -> None:
    """Two processes' worth of sweeps on their own connections, racing on a committed database."""
    from flask_migrate import upgrade

    environ = make_environ(databases.new("race"), f"sqlite:///{tmp_path / 'keys.db'}", master_keys, tmp_path)
    application = build_app(environ, DIGEST_AT="10:00")
    try:
        with application.app_context():
            upgrade()
            worker = create_user(role="worker")
            create_user(role="manager")
            for _ in range(3):
                reminder_case(worker=worker, starts_at=london(3, 14))
            # The morning before: the day-before reminders are due, and the digests listing tomorrow's appointments.
            now = london(2, 10, 1).astimezone(UTC)
        barrier = threading.Barrier(2)
        reports: list[Any] = []
        errors: list[BaseException] = []

        def sweep() -> None:
            with application.app_context():
                try:
                    barrier.wait(10)
                    reports.append(sweep_messages(now))
                except BaseException as error:  # noqa: BLE001 - reported by the assertion below
                    errors.append(error)
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=sweep) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        if databases.kind == "postgresql":
            # Row locks and the unique key make the second sweep wait, then find everything done or claimed.
            assert errors == []
            assert len(reports) == 2
        else:
            # SQLite has one writer at a time: a sweep may give up with "database is locked", having sent nothing
            # twice; the next run finishes the work.
            assert all("database is locked" in str(error) for error in errors), errors
            assert len(reports) + len(errors) == 2
            with application.app_context():
                reports.append(sweep_messages(now))
        with application.app_context():
            stored = list(db.session.scalars(select(Notification)))
            # Each stored once: the day-before and two-hour reminders of three appointments, two digests.
            assert sorted((item.kind, item.lead) for item in stored) == [
                ("digest", None),
                ("digest", None),
                *[("reminder", "1d@10:00")] * 3,
                *[("reminder", "2h")] * 3,
            ]
            sent = [item for item in stored if item.status == "sent"]
            assert {(item.kind, item.lead) for item in sent} == {("digest", None), ("reminder", "1d@10:00")}
            assert len(sent) == 5
            assert {item.status for item in stored if item.lead == "2h"} == {"queued"}
            # The outbox holds each sent message exactly once.
            assert sorted(line["id"] for line in outbox_lines()) == sorted(str(item.id) for item in sent)
            assert sum(report.reminders for report in reports) == 6
            assert sum(report.digests for report in reports) == 2
            assert db.session.scalar(select(func.count()).select_from(Notification)) == 8
    finally:
        dispose_app(application)


@pytest.fixture
def redis_queue(app_ctx, monkeypatch) -> Any:
    """The machine's Redis, with a queue of this test's own. Unreachable is a failure, never a skip."""
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    connection = Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        connection.ping()
    except RedisConnectionError as error:
        pytest.fail(f"Redis at {REDIS_URL} is unreachable: {type(error).__name__}")
    name = f"test-notifications-{uuid.uuid4().hex[:12]}"
    monkeypatch.setitem(app_ctx.config, "REDIS_URL", REDIS_URL)
    monkeypatch.setitem(app_ctx.config, "RQ_QUEUE", name)
    from diversion.notifications.queueing import queue

    target = queue(connection)
    yield target
    target.delete(delete_jobs=True)
    connection.close()


def test_with_redis_the_sweep_enqueues_and_the_worker_sends(redis_queue) -> None:
    from diversion.notifications.jobs import run_worker

    # The worker sends by the real clock: the two-hour reminder of an appointment in 100 minutes is due now.
    _, appointment = reminder_case(starts_at=(utcnow() + timedelta(minutes=100)).replace(second=0, microsecond=0))
    now = utcnow()
    report = sweep_messages(now)
    [reminder] = messages(appointment_id=appointment.id)
    assert report.sent.enqueued >= 1
    assert report.line().endswith("handed to the worker.")
    assert redis_queue.count == report.sent.enqueued
    assert reminder.status == "queued"
    assert outbox_for([reminder.id]) == []
    # A second sweep before the worker runs enqueues it again; the claim still sends it once.
    sweep_messages(now)
    run_worker(burst=True)
    [reminder] = messages(appointment_id=appointment.id)
    assert reminder.status == "sent"
    assert len(outbox_for([reminder.id])) == 1
    assert redis_queue.count == 0

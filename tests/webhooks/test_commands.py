"""What sends deliveries besides the response: ``flask --app wsgi webhooks deliver``, the sweep, and, with Redis, the
worker working the jobs the commit enqueued (docs/webhooks.md, "After the commit")."""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from diversion.extensions import db
from diversion.webhooks.models import WebhookDelivery
from tests.api.conftest import case_in

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _statuses() -> list[str]:
    query = select(WebhookDelivery.status).execution_options(populate_existing=True)
    return list(db.session.scalars(query))


@pytest.mark.parametrize("command", [["webhooks", "deliver"], ["cases", "sweep"]])
def test_the_commands_send_what_is_due(app, team, as_role, receiver, command: list[str]) -> None:
    as_role("cps").post("/webhooks", {"url": receiver.url, "events": ["notice.created"]})
    case_in("WITHDRAWN", court=team.court, worker=team.worker)
    db.session.info.clear()  # what this process would have sent itself is left to the command
    runner = app.test_cli_runner()
    result = runner.invoke(args=command)
    assert result.exit_code == 0, result.output
    assert "Webhooks: 1 delivered." in result.output
    assert _statuses() == ["delivered"]
    assert [json.loads(item.body)["event"] for item in receiver.received] == ["notice.created"]
    again = runner.invoke(args=["webhooks", "deliver"])
    assert again.output.strip() == "Webhooks: none due."
    assert len(receiver.received) == 1


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
    monkeypatch.setitem(app_ctx.config, "REDIS_URL", REDIS_URL)
    monkeypatch.setitem(app_ctx.config, "RQ_QUEUE", f"test-webhooks-{uuid.uuid4().hex[:12]}")
    from diversion.notifications.queueing import queue

    target = queue(connection)
    yield target
    target.delete(delete_jobs=True)
    connection.close()


def test_with_redis_the_commit_enqueues_and_the_worker_sends_once(redis_queue, team, receiver) -> None:
    from diversion.notifications.jobs import run_worker
    from diversion.webhooks import services

    services.subscribe(team.user("cps"), receiver.url, ["notice.created", "referral.state_changed"])
    assert redis_queue.count == 0
    case_in("WITHDRAWN", court=team.court, worker=team.worker)
    queued = len(_statuses())
    assert queued == 3  # opted in, withdrawn, and the notice
    assert redis_queue.count == queued
    assert receiver.received == []
    # A sweep before the worker runs enqueues them again; each is claimed and sent once.
    assert services.send_due().enqueued == queued
    run_worker(burst=True)
    assert _statuses() == ["delivered"] * queued
    assert len(receiver.received) == queued
    assert redis_queue.count == 0

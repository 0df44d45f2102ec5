"""The job queue: with REDIS_URL set, the sweep puts one job per due message on RQ and ``make worker`` sends them.

A job carries only the message's id. The worker runs jobs in its own process with the app's context pushed (a
SimpleWorker: no fork, so database connections are never shared between processes), and each job claims its
message before sending, so a job enqueued twice still sends once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from flask import current_app


def connection() -> Any:
    """A Redis connection from REDIS_URL."""
    from redis import Redis

    return Redis.from_url(current_app.config["REDIS_URL"])


def queue(redis: Any = None) -> Any:
    """The notifications queue."""
    from rq import Queue

    return Queue(current_app.config["RQ_QUEUE"], connection=redis or connection())


def enqueue_delivery(ids: Iterable[uuid.UUID], job: str = "diversion.notifications.jobs.deliver_job") -> int:
    """Put a job for each id on the queue (by default a message's delivery job); returns how many. A job carries an
    id alone, never what is sent."""
    target = queue()
    count = 0
    for item_id in ids:
        target.enqueue_call(job, args=(str(item_id),), result_ttl=3600, failure_ttl=7 * 24 * 3600)
        count += 1
    return count


def deliver_job(notification_id: str) -> str:
    """The job: send one message (inside the worker's app context). Returns the status, never message content."""
    from diversion.extensions import db
    from diversion.notifications.services import deliver

    # The worker's session outlives a job: what an earlier job read must be read afresh.
    db.session.expire_all()
    return deliver(uuid.UUID(notification_id))


def run_worker(*, burst: bool = False) -> bool:
    """Work the notifications queue in this process, inside the current app context."""
    from rq import SimpleWorker

    redis = connection()
    worker = SimpleWorker([queue(redis)], connection=redis)
    return bool(worker.work(burst=burst, logging_level="WARNING"))

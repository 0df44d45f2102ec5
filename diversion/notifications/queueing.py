"""The RQ queue that messages and webhook deliveries go on when REDIS_URL is set (docs/notifications.md): the
connection, the queue, and putting jobs on it. The jobs themselves, which the worker runs, are in
diversion/notifications/jobs.py and diversion/webhooks/jobs.py; a job is named by its dotted path, so putting one on
the queue imports nothing of what it will run.
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

"""The RQ queue that messages and webhook deliveries go on when REDIS_URL is set (docs/notifications.md): the
connection, the queue, and putting jobs on it. The jobs themselves, which the worker runs, are in
diversion/notifications/jobs.py and diversion/webhooks/jobs.py; a job is named by its dotted path, so putting one on
the queue imports nothing of what it will run.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app

log = logging.getLogger("diversion.notifications")


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


@dataclass
class SendReport:
    """What one round of sending did: how many ended in each status, or how many were handed to the worker."""

    statuses: dict[str, int] = field(default_factory=dict)
    enqueued: int = 0

    def count(self, status: str) -> int:
        """How many ended in this status."""
        return self.statuses.get(status, 0)


def send(
    ids: Sequence[uuid.UUID], deliver: Callable[[uuid.UUID, datetime], str], now: datetime, job: str
) -> SendReport:
    """Send what is due: each id's ``job`` on the queue when REDIS_URL is set (the worker sends), otherwise, or when
    Redis is down, ``deliver`` each here and now. A job that did get queued before Redis went finds its item already
    claimed and sends nothing twice."""
    report = SendReport()
    if ids and current_app.config.get("REDIS_URL"):
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        try:
            report.enqueued = enqueue_delivery(ids, job=job)
            return report
        except (RedisConnectionError, RedisTimeoutError) as error:
            log.warning("queue unavailable, sending here", extra={"error_type": type(error).__name__})
    for item_id in ids:
        status = deliver(item_id, now)
        report.statuses[status] = report.statuses.get(status, 0) + 1
    return report

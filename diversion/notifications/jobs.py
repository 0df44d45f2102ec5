"""The jobs: with REDIS_URL set, the sweep puts one job per due message on RQ (diversion/notifications/queueing.py)
and ``make worker`` runs them, sending each message.

A job carries only the message's id. The worker runs jobs in its own process with the app's context pushed (a
SimpleWorker: no fork, so database connections are never shared between processes), and each job claims its
message before sending, so a job enqueued twice still sends once.
"""

from __future__ import annotations

import uuid

from diversion.notifications.queueing import connection, queue


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

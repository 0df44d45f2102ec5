"""The webhook delivery job (docs/webhooks.md): with REDIS_URL set, each committed delivery is one job on the
notifications queue (put there by ``enqueue_delivery`` in diversion/webhooks/services.py), which ``make worker``
already works. A job carries only the delivery's id and claims it before sending, so a job enqueued twice sends
once."""

from __future__ import annotations

import uuid


def deliver_job(delivery_id: str) -> str:
    """The job: send one delivery inside the worker's app context. Returns its status, never what it carried."""
    from diversion.extensions import db
    from diversion.webhooks.services import deliver

    db.session.expire_all()
    return deliver(uuid.UUID(delivery_id))

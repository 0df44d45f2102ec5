"""Redis down, as README.md documents it: sign-in keeps working and stays rate limited (each worker counts in its own
memory until Redis answers again), and the sweep sends due messages itself instead of queueing them. With Redis up,
the counts live in Redis, shared by every worker."""

from __future__ import annotations

from datetime import timedelta

import pytest

from diversion.db import utcnow
from diversion.extensions import limiter
from diversion.notifications.services import sweep_messages
from tests.factories import PASSWORD, create_user, csrf_token, sign_in
from tests.faults.conftest import closed_port
from tests.notifications.helpers import messages, outbox_for, reminder_case

LIMIT = 4


@pytest.fixture
def limited_app(fresh_app):
    """Build apps with a low sign-in limit; the shared limiter is put back as it was for the other tests."""
    saved = dict(vars(limiter))

    def make(storage_uri: str):
        return fresh_app(REDIS_URL=storage_uri, RATELIMIT_STORAGE_URI=storage_uri, LOGIN_RATE_LIMIT=f"{LIMIT}/minute")

    yield make
    vars(limiter).clear()
    vars(limiter).update(saved)


def _wrong_passwords(client, email: str, count: int) -> list[int]:
    token = csrf_token(client, "/sign-in")
    data = {"email": email, "password": "not the password at all", "csrf_token": token}
    return [client.post("/sign-in", data=data).status_code for _ in range(count)]


def test_with_redis_down_sign_in_works_and_is_still_limited(limited_app, app_ctx) -> None:
    app = limited_app(f"redis://127.0.0.1:{closed_port()}/0")
    user = create_user(role="worker")
    client = app.test_client()
    signed_in = sign_in(client, user, PASSWORD)
    assert signed_in.status_code == 302, signed_in.get_data(as_text=True)[:300]
    assert client.get("/home").status_code == 200

    stranger = app.test_client()
    assert _wrong_passwords(stranger, "someone@example.org", LIMIT + 1)[-1] == 429


def test_with_redis_up_the_limit_is_counted_in_redis(limited_app, app_ctx, redis_url) -> None:
    from redis import Redis

    app = limited_app(redis_url)
    statuses = _wrong_passwords(app.test_client(), "someone@example.org", LIMIT + 1)
    assert statuses[:LIMIT] == [200] * LIMIT
    assert statuses[-1] == 429
    connection = Redis.from_url(redis_url)
    assert connection.keys("LIMITS*"), "the sign-in counts are in Redis"
    connection.close()


def test_with_redis_down_the_sweep_sends_due_messages_itself(app_ctx, monkeypatch) -> None:
    monkeypatch.setitem(app_ctx.config, "REDIS_URL", f"redis://127.0.0.1:{closed_port()}/0")
    _, appointment = reminder_case(starts_at=(utcnow() + timedelta(minutes=100)).replace(second=0, microsecond=0))
    report = sweep_messages(utcnow())
    [reminder] = messages(appointment_id=appointment.id)
    assert report.sent.enqueued == 0
    assert reminder.status == "sent"
    assert len(outbox_for([reminder.id])) == 1

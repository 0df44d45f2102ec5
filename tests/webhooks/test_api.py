"""POST, GET and DELETE /api/v1/webhooks: court and CPS users only, the secret answered once and stored encrypted,
strict bodies, another user's subscription a 404 (docs/webhooks.md)."""

from __future__ import annotations

import uuid

import pytest

from diversion.webhooks.models import WebhookSubscription
from tests.api.conftest import count, error_of
from tests.factories import raw_column

URL = "http://127.0.0.1:8999/hook"
EVENTS = ["notice.created", "referral.state_changed"]


@pytest.mark.parametrize("role", ["court", "cps"])
def test_a_partner_subscribes_sees_the_secret_once_and_deletes(as_role, role: str) -> None:
    api = as_role(role)
    made = api.post("/webhooks", {"url": URL, "events": EVENTS})
    assert made.status_code == 201
    body = made.get_json()
    assert set(body) == {"id", "url", "events", "created_at", "paused_at", "pause_reason", "secret"}
    assert body["url"] == URL
    assert body["events"] == EVENTS
    assert body["secret"].startswith("whsec_")
    assert len(body["secret"]) == 70

    listed = api.get("/webhooks").get_json()
    assert set(listed) == {"items", "next"}
    assert listed["next"] is None
    assert [item["id"] for item in listed["items"]] == [body["id"]]
    assert "secret" not in listed["items"][0]
    assert body["secret"] not in api.get("/webhooks").get_data(as_text=True)

    stored = raw_column(model=WebhookSubscription, column="secret", row_id=uuid.UUID(body["id"]))
    assert body["secret"].encode() not in bytes(stored)

    assert api.request("DELETE", f"/webhooks/{body['id']}").status_code == 204
    assert api.get("/webhooks").get_json()["items"] == []
    error_of(api.request("DELETE", f"/webhooks/{body['id']}"), 404, "not_found")


def test_nobody_sees_or_deletes_another_users_subscription(as_role, team) -> None:
    made = as_role("court").post("/webhooks", {"url": URL, "events": EVENTS}).get_json()
    assert as_role("cps").get("/webhooks").get_json()["items"] == []
    error_of(as_role("cps").request("DELETE", f"/webhooks/{made['id']}"), 404, "not_found")
    assert count(WebhookSubscription) == 1


@pytest.mark.parametrize("role", ["worker", "manager", "admin"])
def test_other_roles_may_not(as_role, role: str) -> None:
    error_of(as_role(role).post("/webhooks", {"url": URL, "events": EVENTS}), 403, "forbidden")
    error_of(as_role(role).get("/webhooks"), 403, "forbidden")
    error_of(as_role(None).get("/webhooks"), 401)
    assert count(WebhookSubscription) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": URL, "events": []}, "events"),
        ({"url": URL}, "events"),
        ({"url": URL, "events": ["notice.deleted"]}, "events.0"),
        ({"url": URL, "events": ["notice.created", "notice.created"]}, "events"),
        ({"url": URL, "events": EVENTS, "secret": "mine"}, "secret"),
        ({"events": EVENTS}, "url"),
        ({"url": "ftp://example.org/hook", "events": EVENTS}, "url"),
        ({"url": "https://" + "a" * 2000 + ".org/", "events": EVENTS}, "url"),
        ({"url": "http://10.0.0.5/hook", "events": EVENTS}, "url"),
    ],
)
def test_a_body_breaking_a_rule_is_422_and_changes_nothing(as_role, body: dict, field: str) -> None:
    error = error_of(as_role("cps").post("/webhooks", body), 422, "validation_error")
    assert field in error["fields"]
    assert count(WebhookSubscription) == 0


def test_a_malformed_body_is_400(as_role) -> None:
    error_of(as_role("cps").post("/webhooks", {"url": URL, "events": "notice.created"}), 400)
    error_of(as_role("cps").post("/webhooks", {"url": 5, "events": EVENTS}), 400)
    assert count(WebhookSubscription) == 0


def test_a_user_keeps_at_most_ten(as_role) -> None:
    for _ in range(10):
        assert as_role("cps").post("/webhooks", {"url": URL, "events": EVENTS}).status_code == 201
    error_of(as_role("cps").post("/webhooks", {"url": URL, "events": EVENTS}), 422)
    assert count(WebhookSubscription) == 10


def test_a_repeat_with_the_same_idempotency_key_makes_nothing_and_never_shows_the_secret_again(as_role) -> None:
    headers = {"Idempotency-Key": "webhook-once"}
    first = as_role("cps").post("/webhooks", {"url": URL, "events": EVENTS}, headers=headers)
    assert first.status_code == 201
    again = as_role("cps").post("/webhooks", {"url": URL, "events": EVENTS}, headers=headers)
    error_of(again, 409, "conflict")
    assert first.get_json()["secret"] not in again.get_data(as_text=True)
    assert count(WebhookSubscription) == 1

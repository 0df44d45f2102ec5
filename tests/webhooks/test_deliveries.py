"""Deliveries to a real receiver on 127.0.0.1: signed, carrying exactly what the subscriber's own GET answers, only
for their scope, only after the commit, retried with backoff, and a failing subscription paused with its owner
emailed (docs/webhooks.md)."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from diversion.db import transaction, utcnow
from diversion.extensions import db
from diversion.notifications.models import StaffMessage
from diversion.referrals.consent import record_consent
from diversion.referrals.models import Referral, State
from diversion.referrals.states import change_state
from diversion.referrals.withdrawal import withdraw
from diversion.webhooks import services
from diversion.webhooks.models import WebhookDelivery, WebhookSubscription
from diversion.webhooks.signing import HEADER, verify
from tests.api.conftest import case_in

ALL_EVENTS = ["notice.created", "notice.corrected", "referral.state_changed"]


def subscribe(as_role, role: str, url: str, events: list[str] | None = None) -> dict:
    response = as_role(role).post("/webhooks", {"url": url, "events": events or ALL_EVENTS})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def deliveries(**filters) -> list[WebhookDelivery]:
    query = select(WebhookDelivery).filter_by(**filters).order_by(WebhookDelivery.created_at, WebhookDelivery.id)
    return list(db.session.scalars(query.execution_options(populate_existing=True)))


def received_json(receiver) -> list[dict]:
    return [json.loads(item.body) for item in receiver.received]


def test_a_delivery_is_signed_and_carries_what_the_subscribers_own_get_answers(team, as_role, receiver) -> None:
    court = subscribe(as_role, "court", receiver.url)
    cps = subscribe(as_role, "cps", receiver.url)
    referral = case_in("OPTED_IN", court=team.court, worker=team.worker, phone="07700 100982", notes="Sensitive note")
    withdraw(referral, "She moved away.", team.worker)
    report = services.send_due()
    assert report.statuses == {"delivered": len(receiver.received)}

    secrets = {court["id"]: court["secret"], cps["id"]: cps["secret"]}
    by_subscription = {}
    for item in receiver.received:
        payload = json.loads(item.body)
        row = db.session.get(WebhookDelivery, uuid.UUID(payload["id"]))
        secret = secrets[str(row.subscription_id)]
        assert verify(secret, item.headers[HEADER], item.body)
        assert not verify(secret, item.headers[HEADER], item.body + b" ")
        assert set(payload) == {"id", "event", "created_at", "data"}
        by_subscription.setdefault(str(row.subscription_id), []).append(payload)
        assert b"100982" not in item.body
        assert b"Sensitive note" not in item.body

    for role, subscription in (("court", court), ("cps", cps)):
        payloads = by_subscription[subscription["id"]]
        # Two changes of state (opted in, then withdrawn) and the withdrawal's notice.
        assert [p["event"] for p in payloads].count("referral.state_changed") == 2
        notices = [p for p in payloads if p["event"] == "notice.created"]
        assert len(notices) == 1
        case = as_role(role).get(f"/referrals/{referral.id}").get_json()
        for payload in payloads:
            if payload["event"] == "referral.state_changed":
                assert payload["data"] == case
                assert payload["data"]["view"] == "status"
        listed = as_role(role).get("/notices").get_json()["items"]
        assert notices[0]["data"] == next(item for item in listed if item["id"] == notices[0]["data"]["id"])


def test_court_users_hear_only_of_their_own_courts_cases_and_cps_users_of_the_courts_they_cover(
    team, as_role, receiver
) -> None:
    court = subscribe(as_role, "court", receiver.url)
    cps = subscribe(as_role, "cps", receiver.url)
    case_in("OPTED_IN", court=team.other_court, worker=team.worker)
    services.send_due()
    assert deliveries(subscription_id=uuid.UUID(court["id"])) == []
    sent = deliveries(subscription_id=uuid.UUID(cps["id"]))
    assert sent
    assert {row.status for row in sent} == {"delivered"}
    assert {p["data"]["court"] for p in received_json(receiver)} == {team.other_court.code}


def test_a_cps_user_hears_nothing_of_a_court_she_does_not_cover(team, as_role, receiver) -> None:
    from tests.factories import create_court

    cps = subscribe(as_role, "cps", receiver.url)
    elsewhere = create_court(cps_covers=False)
    referral = case_in("OPTED_IN", court=elsewhere, worker=team.worker)
    withdraw(referral, "She moved away.", team.worker)
    services.send_due()
    assert deliveries(subscription_id=uuid.UUID(cps["id"])) == []
    assert receiver.received == []
    # A delivery written before she stopped covering the court is not sent either: it is read as she may see now.
    with transaction():
        row = WebhookDelivery(
            subscription_id=uuid.UUID(cps["id"]),
            event="referral.state_changed",
            referral_id=referral.id,
            created_at=utcnow(),
            next_attempt_at=utcnow(),
        )
        db.session.add(row)
    assert services.deliver(row.id) == "cancelled"
    assert deliveries(subscription_id=uuid.UUID(cps["id"]))[0].error == "out_of_scope"
    assert receiver.received == []


def test_once_she_withdraws_consent_to_share_the_payload_withholds_her_identity(team, as_role, receiver) -> None:
    subscribe(as_role, "cps", receiver.url, ["notice.created"])
    referral = case_in("OPTED_IN", court=team.court, worker=team.worker)
    record_consent(referral, "share_with_court_cps", False, team.worker)
    services.send_due()
    (payload,) = received_json(receiver)
    assert payload["data"]["identity_withheld"] is True
    assert payload["data"]["given_name"] is None
    assert payload["data"]["date_of_birth"] is None
    listed = as_role("cps").get("/notices").get_json()["items"]
    assert payload["data"] == next(item for item in listed if item["id"] == payload["data"]["id"])


def test_a_rolled_back_change_writes_and_sends_nothing_and_a_commit_sends_only_afterwards(
    app_ctx, team, as_role, receiver
) -> None:
    subscribe(as_role, "court", receiver.url, ["referral.state_changed"])
    referral = case_in("REFERRED", court=team.court, worker=team.worker)
    before = len(deliveries())
    written = []

    def change_then_fail() -> None:
        with transaction():
            change_state(referral, State.WITHDRAWN, actor=team.worker)
            written.extend(db.session.info.get(services.NEW_KEY) or [])
            raise RuntimeError("refused later in the same transaction")

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert written
    assert len(deliveries()) == before
    assert not db.session.info.get(services.NEW_KEY)
    assert not db.session.info.get(services.READY_KEY)
    assert services.send_ready() == 0
    assert receiver.received == []

    with transaction():
        db.session.refresh(referral)
        change_state(referral, State.WITHDRAWN, actor=team.worker)
        # Inside the transaction: written, but not ready to send.
        assert not db.session.info.get(services.READY_KEY)
    assert len(db.session.info.get(services.READY_KEY)) == 1
    assert services.send_ready() == 1
    assert [p["data"]["state"] for p in received_json(receiver)] == ["WITHDRAWN"]


def test_with_a_queue_the_committed_deliveries_are_enqueued_after_the_commit_and_never_on_rollback(
    app, app_ctx, team, as_role, receiver, monkeypatch
) -> None:
    subscribe(as_role, "court", receiver.url, ["referral.state_changed"])
    referral = case_in("REFERRED", court=team.court, worker=team.worker)
    enqueued: list = []
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setattr("diversion.webhooks.services.enqueue_delivery", lambda ids: enqueued.extend(ids) or len(ids))

    def change_then_fail() -> None:
        with transaction():
            change_state(referral, State.WITHDRAWN, actor=team.worker)
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert enqueued == []
    with transaction():
        db.session.refresh(referral)
        change_state(referral, State.WITHDRAWN, actor=team.worker)
        assert enqueued == []
    assert enqueued == [row.id for row in deliveries(status="queued")]
    assert receiver.received == []


def test_a_change_made_through_the_api_is_sent_once_the_response_has_gone(team, as_role, receiver) -> None:
    subscribe(as_role, "court", receiver.url, ["referral.state_changed"])
    referral = case_in("OPTED_IN", court=team.court, worker=team.worker)
    services.send_due()
    receiver.received.clear()
    response = as_role("worker").post(f"/referrals/{referral.id}/withdraw", {"reason": "She moved away."})
    assert response.status_code == 200, response.get_json()
    assert receiver.received == []
    response.close()
    assert [p["data"]["state"] for p in received_json(receiver)] == ["WITHDRAWN"]


@pytest.mark.clock("2026-12-01 10:00", tick=False)
def test_failures_are_retried_with_backoff_with_the_same_id_until_the_day_is_out(
    clock, team, as_role, receiver
) -> None:
    receiver.status = 500
    subscribe(as_role, "cps", receiver.url, ["notice.created"])
    case_in("WITHDRAWN", court=team.court, worker=team.worker)
    (row,) = deliveries()
    start = row.created_at
    services.send_due()
    (row,) = deliveries()
    assert (row.status, row.attempts, row.status_code, row.error) == ("queued", 1, 500, "http_status")
    assert row.next_attempt_at == start + timedelta(seconds=30)

    clock.shift(timedelta(seconds=29))
    assert services.send_due().statuses == {}
    clock.shift(timedelta(seconds=1))
    services.send_due()
    (row,) = deliveries()
    assert row.attempts == 2
    assert row.next_attempt_at == utcnow() + timedelta(minutes=1)
    # Doubling, at most an hour apart (the loop stops before the 20th failure, which would pause it).
    waits = []
    while row.status == "queued":
        waits.append(row.next_attempt_at - utcnow())
        clock.move_to(row.next_attempt_at)
        services.send_due()
        (row,) = deliveries()
        if row.attempts >= 19:
            break
    assert waits[:6] == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32)]
    assert set(waits[6:]) == {timedelta(hours=1)}
    ids = {json.loads(body)["id"] for body in receiver.bodies()}
    assert ids == {str(row.id)}
    assert len(receiver.received) == row.attempts


@pytest.mark.clock("2026-12-01 10:00", tick=False)
def test_a_delivery_that_fails_for_24_hours_is_given_up(app, clock, team, as_role, receiver, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "WEBHOOK_PAUSE_AFTER", 1000)
    receiver.status = 503
    subscribe(as_role, "cps", receiver.url, ["notice.created"])
    case_in("WITHDRAWN", court=team.court, worker=team.worker)
    (row,) = deliveries()
    start = row.created_at
    while row.status == "queued":
        clock.move_to(row.next_attempt_at)
        services.send_due()
        (row,) = deliveries()
    assert row.status == "failed"
    assert row.error == "http_status"
    assert row.last_attempt_at < start + timedelta(hours=24)
    assert row.last_attempt_at + timedelta(hours=1) >= start + timedelta(hours=24)


@pytest.mark.clock("2026-12-01 10:00", tick=False)
def test_twenty_failures_in_a_row_pause_the_subscription_and_email_its_owner(clock, team, as_role, receiver) -> None:
    receiver.status = 500
    made = subscribe(as_role, "court", receiver.url, ["notice.created"])
    case_in("WITHDRAWN", court=team.court, worker=team.worker)
    (row,) = deliveries()
    for _ in range(19):
        services.send_due()
        (row,) = deliveries()
        assert row.status == "queued"
        clock.move_to(row.next_attempt_at)
    subscription = db.session.get(WebhookSubscription, row.subscription_id, populate_existing=True)
    assert subscription.paused_at is None
    assert subscription.failures_in_row == 19
    services.send_due()
    db.session.refresh(subscription)
    assert subscription.paused_at is not None
    assert subscription.pause_reason == "failures"
    assert len(receiver.received) == 20

    (email,) = db.session.scalars(select(StaffMessage).where(StaffMessage.user_id == team.user("court").id)).all()
    assert email.recipient == team.user("court").email
    assert email.subject == "Your webhook has been paused"
    assert "127.0.0.1" in email.body
    assert made["id"] in email.body
    referral = db.session.get(Referral, row.referral_id)
    for value in (referral.urn, referral.client.given_name, referral.client.family_name, str(referral.id)):
        assert value not in email.body

    # Paused: nothing more goes, however long the clock runs.
    clock.shift(timedelta(hours=2))
    assert services.send_due().statuses == {}
    assert len(receiver.received) == 20
    # Resumed, and the receiver fixed: the waiting delivery goes, with the same id.
    receiver.status = 200
    services.resume(subscription, team.user("court"))
    services.send_due()
    (row,) = deliveries()
    assert row.status == "delivered"
    assert row.attempts == 21
    assert json.loads(receiver.received[-1].body)["id"] == str(row.id)


def test_a_receiver_slower_than_the_timeout_or_redirecting_has_failed(
    app, team, as_role, receiver, monkeypatch
) -> None:
    monkeypatch.setitem(app.config, "WEBHOOK_TIMEOUT", 0.5)
    receiver.delay = 1.5
    subscribe(as_role, "cps", receiver.url, ["notice.created"])
    case_in("WITHDRAWN", court=team.court, worker=team.worker)
    services.send_due()
    (row,) = deliveries()
    assert (row.status, row.error) == ("queued", "timeout")

    receiver.delay = 0
    receiver.status = 302
    receiver.headers = {"Location": receiver.url + "/elsewhere"}
    services.send_due(row.next_attempt_at)
    (row,) = deliveries()
    assert (row.status, row.status_code, row.error) == ("queued", 302, "http_status")
    assert [item.path for item in receiver.received] == ["/hook", "/hook"]


def test_a_reversed_withdrawal_sends_its_correction_and_the_change_of_state(team, as_role, receiver) -> None:
    from diversion.referrals import reversals
    from tests.factories import create_user

    subscribe(as_role, "court", receiver.url, ["notice.corrected", "referral.state_changed"])
    referral = case_in("WITHDRAWN", court=team.court, worker=team.worker)
    services.send_due()
    receiver.received.clear()
    manager = create_user(role="manager")
    db.session.expire_all()
    case = db.session.get(Referral, referral.id)
    reversals.reverse_decision(case, "Recorded in error on the wrong case.", manager, version=case.version)
    services.send_due()
    payloads = received_json(receiver)
    assert sorted(p["event"] for p in payloads) == ["notice.corrected", "referral.state_changed"]
    correction = next(p for p in payloads if p["event"] == "notice.corrected")["data"]
    assert correction["corrects"] is not None
    assert correction["returned_to"] == "OPTED_IN"
    listed = as_role("court").get("/notices").get_json()["items"]
    assert correction == next(item for item in listed if item["id"] == correction["id"])
    state = next(p for p in payloads if p["event"] == "referral.state_changed")["data"]
    assert state == as_role("court").get(f"/referrals/{referral.id}").get_json()
    assert state["state"] == "OPTED_IN"

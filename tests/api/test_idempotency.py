"""Idempotency-Key on API POSTs: a repeat gets the first answer and changes nothing (docs/idempotency.md)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from diversion.appointments.models import Appointment
from diversion.clients.models import Client
from diversion.db import utcnow
from diversion.extensions import db
from diversion.idempotency import services
from diversion.idempotency.models import IdempotencyKey
from diversion.referrals.models import Referral
from tests.api import bodies
from tests.api.conftest import case_in, count, error_of

KEY = "intake-2026-12-01-0001"


def _post(api, path, body, key=KEY, **kwargs):
    return api.post(path, body, headers={"Idempotency-Key": key}, **kwargs)


def test_a_repeated_referral_gets_the_first_answer_and_makes_one_case(as_role, team) -> None:
    api = as_role("worker")
    body = bodies.referral(team.court.code)
    first = _post(api, "/referrals", body)
    assert first.status_code == 201, first.get_json()
    assert "Idempotent-Replayed" not in first.headers
    second = _post(api, "/referrals", body)
    assert second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.headers["Location"] == first.headers["Location"]
    assert second.get_json() == first.get_json()
    assert count(Referral) == 1
    assert count(Client) == 1


def test_a_remembered_answer_is_not_given_again_once_its_case_is_out_of_her_sight(as_role, team) -> None:
    from diversion.db import transaction
    from tests.factories import create_scheme

    api = as_role("worker")
    body = bodies.referral(team.court.code)
    first = _post(api, "/referrals", body)
    assert first.status_code == 201, first.get_json()
    # She moves to another scheme: the case she referred is no longer hers to see (docs/organisations.md).
    with transaction():
        team.worker.schemes = [create_scheme()]
    again = _post(api, "/referrals", body)
    error_of(again, 409)
    assert first.get_json()["id"] not in again.get_data(as_text=True)
    assert count(Referral) == 1


def test_the_same_body_written_differently_is_the_same_request(as_role, team) -> None:
    api = as_role("worker")
    body = bodies.referral(team.court.code)
    assert _post(api, "/referrals", body).status_code == 201
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=2)
    again = api.post("/referrals", raw=reordered, headers={"Idempotency-Key": KEY})
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count(Referral) == 1


def test_the_same_key_with_a_different_body_is_422_and_changes_nothing(as_role, team) -> None:
    api = as_role("worker")
    assert _post(api, "/referrals", bodies.referral(team.court.code)).status_code == 201
    error = error_of(_post(api, "/referrals", bodies.referral(team.court.code)), 422, "validation_error")
    assert "Idempotency-Key" in error["fields"]
    assert count(Referral) == 1


def test_the_same_key_on_another_route_is_422(as_role, team) -> None:
    api = as_role("worker")
    case = case_in("OPTED_IN", court=team.court, worker=team.worker)
    assert _post(api, "/referrals", bodies.referral(team.court.code)).status_code == 201
    error_of(_post(api, f"/referrals/{case.id}/appointments", bodies.future_booking(1)), 422, "validation_error")
    assert count(Appointment) == 0


def test_another_users_same_key_is_a_different_key(as_role, team) -> None:
    body = bodies.referral(team.court.code)
    assert _post(as_role("worker"), "/referrals", body).status_code == 201
    other = _post(as_role("manager"), "/referrals", bodies.referral(team.court.code))
    assert other.status_code == 201
    assert "Idempotent-Replayed" not in other.headers
    assert count(Referral) == 2


def test_a_repeat_while_the_first_runs_is_409(as_role, team) -> None:
    api = as_role("worker")
    body = json.dumps(bodies.referral(team.court.code)).encode()
    # The first request has claimed the key and not answered yet.
    services.claim(team.worker.id, KEY, services.fingerprint("POST", "/api/v1/referrals", body))
    error_of(api.post("/referrals", raw=body, headers={"Idempotency-Key": KEY}), 409, "conflict")
    assert count(Referral) == 0


def test_an_abandoned_claim_is_taken_over(as_role, team, clock) -> None:
    api = as_role("worker")
    body = json.dumps(bodies.referral(team.court.code)).encode()
    services.claim(team.worker.id, KEY, services.fingerprint("POST", "/api/v1/referrals", body))
    clock.shift(timedelta(minutes=10))
    response = api.post("/referrals", raw=body, headers={"Idempotency-Key": KEY})
    assert response.status_code == 201, response.get_json()
    assert count(Referral) == 1


def test_a_key_expires_after_24_hours(as_role, team, clock) -> None:
    api = as_role("worker")
    case = case_in("OPTED_IN", court=team.court, worker=team.worker)
    booking = bodies.future_booking(1, days_ahead=3)
    assert _post(api, f"/referrals/{case.id}/appointments", booking).status_code == 201
    clock.shift(timedelta(hours=23))
    assert _post(api, f"/referrals/{case.id}/appointments", booking).headers.get("Idempotent-Replayed") == "true"
    clock.shift(timedelta(hours=2))
    again = _post(api, f"/referrals/{case.id}/appointments", booking)
    # Past its 24 hours the key is new again: the request runs (and the service refuses a second appointment 1).
    assert "Idempotent-Replayed" not in again.headers
    assert again.status_code in (409, 422)
    assert count(Appointment) == 1


def test_the_sweep_deletes_expired_keys(as_role, team, clock) -> None:
    api = as_role("worker")
    assert _post(api, "/referrals", bodies.referral(team.court.code)).status_code == 201
    assert services.sweep_expired() == 0
    clock.shift(timedelta(hours=25))
    assert services.sweep_expired() == 1
    assert count(IdempotencyKey) == 0


def test_a_refused_first_request_is_not_remembered(as_role, team) -> None:
    api = as_role("worker")
    body = bodies.referral(team.court.code)
    broken = {**body, "client": {**body["client"], "given_name": ""}}
    del broken["client"]["given_name"]
    error_of(_post(api, "/referrals", broken), 422)
    assert count(IdempotencyKey) == 0
    # The corrected retry with the same key runs.
    assert _post(api, "/referrals", body).status_code == 201
    assert count(Referral) == 1


def test_a_forbidden_first_request_is_not_remembered(as_role, team) -> None:
    error_of(_post(as_role("cps"), "/referrals", bodies.referral(team.court.code)), 403)
    assert count(IdempotencyKey) == 0


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9", "tab\there"])
def test_a_key_that_is_not_printable_ascii_is_400(as_role, team, key) -> None:
    api = as_role("worker")
    response = api.post(
        "/referrals",
        bodies.referral(team.court.code),
        headers={"Idempotency-Key": key.encode("utf-8").decode("latin-1")},
    )
    error = error_of(response, 400, "validation_error")
    assert "Idempotency-Key" in error["fields"]
    assert count(Referral) == 0


def test_a_255_character_key_is_taken(as_role, team) -> None:
    response = _post(as_role("worker"), "/referrals", bodies.referral(team.court.code), key="k" * 255)
    assert response.status_code == 201


def test_the_remembered_answer_is_encrypted_and_the_request_only_hashed(as_role, team) -> None:
    api = as_role("worker")
    body = bodies.referral(team.court.code)
    # A name long enough that random ciphertext cannot contain it by chance (a two-letter one did, once in a few
    # hundred runs).
    body["client"]["given_name"] = "Josephine-Ottilie"
    assert _post(api, "/referrals", body).status_code == 201
    row = db.session.scalar(select(IdempotencyKey))
    given = body["client"]["given_name"].encode()
    assert given not in (row._answer or b"")
    assert row.client_id is not None
    assert len(row.fingerprint) == 64
    assert given in row.answer.encode()


def test_a_repeat_after_erasure_cannot_replay_her_answer(as_role, team) -> None:
    from diversion.clients.erasure import erase_client

    api = as_role("worker")
    body = bodies.referral(team.court.code)
    assert _post(api, "/referrals", body).status_code == 201
    referral = db.session.scalar(select(Referral))
    referral.state = "DECLINED"  # erasure waits for the case to close
    db.session.commit()
    client = db.session.scalar(select(Client))
    erase_client(client, "retention_period_passed")
    error_of(_post(api, "/referrals", body), 409, "conflict")
    assert count(Referral) == 1


def test_outcome_and_consent_repeats_change_nothing(as_role, team) -> None:
    api = as_role("worker")
    case = case_in("OPTED_IN", court=team.court, worker=team.worker, appointment="booked")
    path = f"/appointments/{case.test_appointment_id}/outcome"
    first = _post(api, path, {"outcome": "attended"})
    assert first.status_code == 200, first.get_json()
    second = _post(api, path, {"outcome": "attended"})
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.get_json() == first.get_json()
    row = db.session.scalar(select(IdempotencyKey))
    assert row.referral_id == case.id


def test_a_post_without_a_key_is_unchanged(as_role, team) -> None:
    api = as_role("worker")
    assert api.post("/referrals", bodies.referral(team.court.code)).status_code == 201
    assert count(IdempotencyKey) == 0


def test_remembered_keys_expire_by_the_configured_time(as_role, team, app) -> None:
    app.config["IDEMPOTENCY_KEEP"] = timedelta(hours=1)
    try:
        assert _post(as_role("worker"), "/referrals", bodies.referral(team.court.code)).status_code == 201
        row = db.session.scalar(select(IdempotencyKey))
        assert row.expires_at - row.started_at == timedelta(hours=1)
        assert row.expires_at > utcnow()
    finally:
        app.config.pop("IDEMPOTENCY_KEEP")


def test_every_post_documents_the_key_and_its_answers() -> None:
    from diversion.api.openapi import DOCUMENT

    posts = [(path, item["post"]) for path, item in DOCUMENT["paths"].items() if "post" in item]
    assert posts
    for path, operation in posts:
        if operation.get("security") == []:
            continue
        assert {"$ref": "#/components/parameters/idempotency_key"} in operation["parameters"], path
        assert {"400", "409", "422"} <= set(operation["responses"]), path
        if operation["operationId"] == "searchReferrals":
            continue  # a read: answered again, never replayed, so no replay header
        answers = [answer for status, answer in operation["responses"].items() if status.startswith("2")]
        assert all("Idempotent-Replayed" in answer["headers"] for answer in answers), path
    header = DOCUMENT["components"]["parameters"]["idempotency_key"]
    assert header["in"] == "header"
    assert header["schema"]["maxLength"] == 255


def test_a_repeat_of_an_answer_kept_without_a_body_is_409_and_changes_nothing(as_role, team) -> None:
    api = as_role("worker")
    body = json.dumps(bodies.referral(team.court.code)).encode()
    claim = services.claim(team.worker.id, KEY, services.fingerprint("POST", "/api/v1/referrals", body))
    services.complete(claim.key_id, status=201, location="/api/v1/referrals/x")  # an answer about no case
    error_of(api.post("/referrals", raw=body, headers={"Idempotency-Key": KEY}), 409, "conflict")
    assert count(Referral) == 0


def test_a_replay_is_audited_as_a_read_of_her_case(as_role, team) -> None:
    from tests.factories import audit_events

    api = as_role("worker")
    body = bodies.referral(team.court.code)
    first = _post(api, "/referrals", body)
    case_id = first.get_json()["id"]
    assert _post(api, "/referrals", body).headers["Idempotent-Replayed"] == "true"
    replays = [
        event
        for event in audit_events(action="case.viewed")
        if str(event.case_id) == case_id and event.details == {"page": "api.create_referral", "view": "replay"}
    ]
    assert len(replays) == 1

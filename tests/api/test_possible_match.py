"""Someone referred before (docs/api.md): support staff are asked with 409 possible_match and link her or say she is
a new person; a court's referral is made, flagged, and its answer says only that."""

from __future__ import annotations

import uuid
from typing import Any

from jsonschema import Draft202012Validator

from diversion.api.openapi import DOCUMENT
from diversion.api.schemas import ERROR_CODES
from diversion.clients.models import Client
from diversion.extensions import db
from diversion.referrals.models import Referral
from tests.api import bodies
from tests.api.conftest import count, error_of
from tests.api.test_referrals import CASE_STATUS_KEYS
from tests.factories import audit_events


def _create(api, body) -> dict[str, Any]:
    response = api.post("/referrals", body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def _earlier(as_role, team, family: str = "Seenbefore") -> dict[str, Any]:
    return _create(as_role("worker"), bodies.referral(team.court.code, client={"family_name": family}))


def _validator(schema: str) -> Draft202012Validator:
    schemas = DOCUMENT["components"]["schemas"]
    return Draft202012Validator({"components": {"schemas": schemas}, **schemas[schema]})


def test_support_staff_are_told_of_the_earlier_referrals_and_nothing_is_made(as_role, team) -> None:
    earlier = _earlier(as_role, team)
    before = (count(Referral), count(Client))
    for role in ("worker", "manager"):
        # Her name typed another way is still her.
        body = bodies.referral(team.court.code, client={"family_name": "SEEN-BEFORE"})
        response = as_role(role).post("/referrals", body)
        assert response.status_code == 409
        error = response.get_json()["error"]
        assert error["code"] == "possible_match"
        assert "link_to_client" in error["message"]
        assert error["matches"] == [
            {
                "referral_id": earlier["id"],
                "client_id": earlier["client"]["id"],
                "state": "REFERRED",
                "outcome_date": None,
            }
        ]
        assert not list(_validator("Error").iter_errors(response.get_json()))
    assert (count(Referral), count(Client)) == before
    # The earlier referral named in the answer was read: audited.
    reads = audit_events(case_id=uuid.UUID(earlier["id"]), action="case.viewed")
    assert [event.details["view"] for event in reads].count("possible_match") == 2


def test_linking_her_puts_the_new_referral_on_her_earlier_record(as_role, team) -> None:
    earlier = _earlier(as_role, team)
    body = bodies.referral(team.court.code, client={"family_name": "Seenbefore", "phone": "07700 100982"})
    clients = count(Client)
    made = _create(as_role("worker"), {**body, "link_to_client": earlier["client"]["id"]})
    assert count(Client) == clients  # one record of her
    assert made["client"]["id"] == earlier["client"]["id"]
    assert made["client"]["phone"] == "+447700100982"  # the newest contact details are kept
    (event,) = audit_events(case_id=uuid.UUID(made["id"]), action="referral.created")
    assert event.details["linked"] is True


def test_a_new_person_is_a_new_client_and_the_choice_is_audited(as_role, team) -> None:
    earlier = _earlier(as_role, team)
    clients = count(Client)
    made = _create(
        as_role("manager"), bodies.referral(team.court.code, client={"family_name": "Seenbefore"}, new_person=True)
    )
    assert made["client"]["id"] != earlier["client"]["id"]
    assert count(Client) == clients + 1
    (event,) = audit_events(case_id=uuid.UUID(made["id"]), action="referral.created")
    assert event.details["new_person"] is True
    assert event.details["linked"] is False


def test_linking_and_a_new_person_together_or_a_wrong_link_is_refused(as_role, team) -> None:
    earlier = _earlier(as_role, team)
    worker = as_role("worker")
    before = (count(Referral), count(Client))
    body = bodies.referral(team.court.code, client={"family_name": "Seenbefore"})
    both = {**body, "link_to_client": earlier["client"]["id"], "new_person": True}
    assert set(error_of(worker.post("/referrals", both), 422)["fields"]) == {"link_to_client", "new_person"}
    other_dob = {**bodies.referral(team.court.code, client={"date_of_birth": "1980-01-01"}),
                 "link_to_client": earlier["client"]["id"]}  # fmt: skip
    assert set(error_of(worker.post("/referrals", other_dob), 422)["fields"]) == {"link_to_client"}
    error_of(worker.post("/referrals", {**body, "link_to_client": "not-an-id"}), 400, "validation_error")
    error_of(worker.post("/referrals", {**body, "new_person": "yes"}), 400, "validation_error")
    assert (count(Referral), count(Client)) == before


def test_a_court_referral_is_made_and_flagged_and_the_court_learns_nothing_more(as_role, team) -> None:
    earlier = _earlier(as_role, team)
    court = as_role("court")
    made = _create(court, bodies.referral(team.court.code, client={"family_name": "Seenbefore"}))
    assert made["possible_previous_referral"] is True
    assert set(made) == CASE_STATUS_KEYS | {"possible_previous_referral"}
    # The answer names no other referral or client.
    text = str(made)
    assert earlier["id"] not in text
    assert earlier["client"]["id"] not in text
    assert made["client"]["id"] != earlier["client"]["id"]
    referral = db.session.get(Referral, uuid.UUID(made["id"]))
    assert referral.possible_previous_referral is True
    (event,) = audit_events(case_id=uuid.UUID(made["id"]), action="referral.created")
    assert event.details["possible_previous_referral"] is True
    # Someone new is made and answered with the flag false: its absence says nothing either.
    fresh = _create(court, bodies.referral(team.court.code))
    assert fresh["possible_previous_referral"] is False
    assert db.session.get(Referral, uuid.UUID(fresh["id"])).possible_previous_referral is False


def test_a_court_user_cannot_choose_a_person(as_role, team) -> None:
    earlier = _earlier(as_role, team)
    court = as_role("court")
    before = (count(Referral), count(Client))
    body = bodies.referral(team.court.code, client={"family_name": "Seenbefore"})
    error_of(court.post("/referrals", {**body, "link_to_client": earlier["client"]["id"]}), 403, "forbidden")
    error_of(court.post("/referrals", {**body, "new_person": True}), 403, "forbidden")
    assert (count(Referral), count(Client)) == before


def test_the_document_describes_possible_match() -> None:
    assert "possible_match" in ERROR_CODES
    operation = DOCUMENT["paths"]["/referrals"]["post"]
    assert "possible_match" in operation["description"]
    assert "409" in operation["responses"]
    properties = DOCUMENT["components"]["schemas"]["ReferralInput"]["properties"]
    assert {"link_to_client", "new_person"} <= set(properties)
    match = DOCUMENT["components"]["schemas"]["PossibleMatch"]
    assert set(match["required"]) == {"referral_id", "client_id", "state", "outcome_date"}

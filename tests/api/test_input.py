"""Malformed input is 400, valid JSON that breaks a rule is 422, never 500; a refused request changes nothing."""

from __future__ import annotations

import pytest

from diversion.appointments.models import Appointment
from diversion.assessments.models import Assessment
from diversion.audit.models import AuditEvent
from diversion.care_plans.models import CarePlan
from diversion.clients.models import Client
from diversion.referrals.models import Consent, Referral
from tests.api import bodies
from tests.api.conftest import case_in, count, error_of

BODY_ENDPOINTS = [
    ("POST", "/referrals"),
    ("POST", "/referrals/{id}/consent"),
    ("PATCH", "/referrals/{id}"),
    ("POST", "/referrals/{id}/withdraw"),
    ("POST", "/referrals/{id}/appointments"),
    ("POST", "/appointments/{appointment}/outcome"),
    ("PUT", "/referrals/{id}/assessment"),
    ("PUT", "/referrals/{id}/care-plan"),
]
MODELS = (Referral, Client, Consent, Appointment, Assessment, CarePlan, AuditEvent)


@pytest.fixture
def case(team):
    team.token("worker")  # made before any test counts audit events
    return case_in("OPTED_IN", court=team.court, worker=team.worker, appointment="attended")


def _everything() -> tuple[int, ...]:
    return tuple(count(model) for model in MODELS)


def _url(path: str, case) -> str:
    return path.format(id=case.id, appointment=case.test_appointment_id)


MALFORMED = [
    "",
    "{",
    "{'purpose': 'support'}",
    '{"a": 1,}',
    "[]",
    '"text"',
    "42",
    "null",
    '{"number": NaN}',
    '{"number": Infinity}',
    "[" * 100000,
    '{"version": ' + "9" * 5000 + "}",
    b"\xff\xfe\x00{",
]


@pytest.mark.parametrize(("method", "path"), BODY_ENDPOINTS)
def test_malformed_bodies_are_400(as_role, case, method: str, path: str) -> None:
    worker = as_role("worker")
    before = _everything()
    for raw in MALFORMED:
        error = error_of(worker.request(method, _url(path, case), raw=raw), 400, "validation_error")
        assert error["fields"] == {"body": "Send a JSON object"}, raw[:20]
    assert _everything() == before


WRONG_TYPES = [
    ("POST", "/referrals", {"client": "Jo Bloggs"}, "client"),
    ("POST", "/referrals", {"client": {"date_of_birth": "03/02/1991"}}, "client.date_of_birth"),
    ("POST", "/referrals", {"client": {"date_of_birth": 19910203}}, "client.date_of_birth"),
    ("POST", "/referrals", {"client": {"date_of_birth": "1991-02-30"}}, "client.date_of_birth"),
    ("POST", "/referrals", {"first_hearing_date": "2026-W01-1"}, "first_hearing_date"),
    ("POST", "/referrals", {"urn": 123}, "urn"),
    ("POST", "/referrals", {"notes": ["a"]}, "notes"),
    ("POST", "/referrals", {"client": {"given_name": "Jo\x00"}}, "client.given_name"),
    ("POST", "/referrals", {"client": {"family_name": "\ud800"}}, "client.family_name"),
    ("POST", "/referrals/{id}/consent", {"purpose": "support", "given": "true"}, "given"),
    ("POST", "/referrals/{id}/consent", {"purpose": "support", "given": 1}, "given"),
    ("POST", "/referrals/{id}/consent", {"purpose": ["support"], "given": True}, "purpose"),
    ("PATCH", "/referrals/{id}", {"return_date": "soon", "reason": "x", "version": 1}, "return_date"),
    ("PATCH", "/referrals/{id}", {"return_date": "2030-01-01", "reason": "x", "version": "1"}, "version"),
    ("PATCH", "/referrals/{id}", {"return_date": "2030-01-01", "reason": "x", "version": 1.5}, "version"),
    ("PATCH", "/referrals/{id}", {"return_date": "2030-01-01", "reason": "x", "version": True}, "version"),
    ("POST", "/referrals/{id}/withdraw", {"reason": {"text": "x"}}, "reason"),
    ("POST", "/referrals/{id}/appointments", {"number": "1", "starts_at": "2026-12-01T10:00:00+00:00"}, "number"),
    ("POST", "/referrals/{id}/appointments", {"number": 1, "starts_at": "2026-12-01T10:00:00"}, "starts_at"),
    ("POST", "/referrals/{id}/appointments", {"number": 1, "starts_at": "x", "duration_minutes": "60"}, "starts_at"),
    ("POST", "/appointments/{appointment}/outcome", {"outcome": True}, "outcome"),
    ("PUT", "/referrals/{id}/assessment", {"domains": []}, "domains"),
    ("PUT", "/referrals/{id}/assessment", {"domains": {"drugs": 2}}, "domains.drugs"),
    ("PUT", "/referrals/{id}/assessment", {"domains": {"drugs": {"need": "2", "score": 3}}}, "domains.drugs.need"),
    (
        "PUT",
        "/referrals/{id}/assessment",
        {"domains": {}, "exploitation_indicators": "threats"},
        "exploitation_indicators",
    ),
    ("PUT", "/referrals/{id}/care-plan", {"goals": "Find a home", "onward_referrals": [], "agreed": False}, "goals"),
    (
        "PUT",
        "/referrals/{id}/care-plan",
        {"goals": ["Find a home"], "onward_referrals": [], "agreed": False},
        "goals.0",
    ),
    ("PUT", "/referrals/{id}/care-plan", {"goals": [], "onward_referrals": [], "agreed": "no"}, "agreed"),
    (
        "PUT",
        "/referrals/{id}/care-plan",
        {
            "goals": [
                {"domain": "ete", "text": "x", "actions": [{"text": "y", "owner": "client", "due_date": "1/1/27"}]}
            ],
            "onward_referrals": [],
            "agreed": False,
        },
        "goals.0.actions.0.due_date",
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "field"), WRONG_TYPES, ids=lambda value: str(value)[:40])
def test_wrong_types_are_400_naming_the_field(as_role, team, case, method, path, body, field) -> None:
    if path == "/referrals":
        body = bodies.referral(team.court.code, **body)
    before = _everything()
    error = error_of(as_role("worker").request(method, _url(path, case), body), 400, "validation_error")
    assert field in error["fields"], error
    assert _everything() == before


def test_a_malformed_field_is_reported_before_missing_ones(as_role, case) -> None:
    error = error_of(as_role("worker").post(f"/referrals/{case.id}/consent", {"given": "yes"}), 400)
    assert error["fields"] == {"given": "Must be true or false"}


@pytest.mark.parametrize(("method", "path"), BODY_ENDPOINTS)
def test_an_empty_object_is_422_naming_the_required_fields(as_role, case, method: str, path: str) -> None:
    before = _everything()
    error = error_of(as_role("worker").request(method, _url(path, case), {}), 422, "validation_error")
    assert error["fields"]
    assert set(error["fields"].values()) == {"This field is required"}
    assert _everything() == before


def test_unknown_fields_are_422(as_role, team, case) -> None:
    body = bodies.referral(team.court.code, colour="blue")
    body["client"]["shoe_size"] = 5
    before = _everything()
    error = error_of(as_role("worker").post("/referrals", body), 422)
    assert error["fields"] == {"colour": "Unknown field", "client.shoe_size": "Unknown field"}
    assert _everything() == before


def test_error_messages_never_echo_the_values_sent(as_role, team) -> None:
    secret = "Canary-Zq81Lm"
    body = bodies.referral(
        team.court.code, urn=secret, offence=secret, court=secret, client={"phone": secret, "email": secret}
    )
    response = as_role("worker").post("/referrals", body)
    error_of(response, 422)
    assert secret.lower() not in response.get_data(as_text=True).lower()
    response = as_role("worker").post("/referrals", bodies.referral(team.court.code, first_hearing_date=secret))
    error_of(response, 400)
    assert secret.lower() not in response.get_data(as_text=True).lower()


def test_methods_that_do_not_exist_are_json_405_saying_which_are_allowed(as_role, case) -> None:
    response = as_role("worker").request("DELETE", f"/referrals/{case.id}")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "PATCH"}

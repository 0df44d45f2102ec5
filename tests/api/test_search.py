"""Identity search by POST (docs/api.md, "Search by POST"): her family name, date of birth and URN travel in a body,
never in an address; a GET of the list naming them is refused."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import pytest
from sqlalchemy import select

from diversion.api.openapi import DOCUMENT
from diversion.extensions import db
from diversion.idempotency.models import IdempotencyKey
from diversion.idempotency.services import canonical_body
from tests.api import bodies
from tests.api.conftest import count, error_of
from tests.factories import audit_events

SEARCH = "/referrals/search"


def _create(api, body) -> dict[str, Any]:
    response = api.post("/referrals", body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def _ids(response) -> set[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return {item["id"] for item in response.get_json()["items"]}


def test_she_is_found_by_family_name_and_date_of_birth_or_by_urn_as_the_caller_may_see_her(as_role, team) -> None:
    worker = as_role("worker")
    mine = _create(worker, bodies.referral(team.court.code, client={"family_name": "Searchby-Post"}))
    theirs = _create(
        worker,
        bodies.referral(team.other_court.code, client={"family_name": "Searchby-Post"}, new_person=True),
    )
    by_name = {"family_name": "searchby post", "date_of_birth": "1991-02-03"}
    assert _ids(worker.post(SEARCH, by_name)) == {mine["id"], theirs["id"]}
    assert _ids(as_role("manager").post(SEARCH, by_name)) == {mine["id"], theirs["id"]}
    assert _ids(as_role("cps").post(SEARCH, by_name)) == {mine["id"], theirs["id"]}
    # A court user sees her own court's case only.
    assert _ids(as_role("court").post(SEARCH, by_name)) == {mine["id"]}
    assert _ids(as_role("court").post(SEARCH, {"urn": theirs["urn"]})) == set()
    assert _ids(worker.post(SEARCH, {"urn": theirs["urn"].replace("/", "").lower()})) == {theirs["id"]}
    assert _ids(worker.post(SEARCH, {**by_name, "date_of_birth": "1991-02-04"})) == set()
    # The list's shape: status items and a cursor.
    body = worker.post(SEARCH, by_name).get_json()
    assert set(body) == {"items", "next"}
    assert body["next"] is None
    assert all(item["view"] == "status" for item in body["items"])


def test_each_case_found_is_audited_as_read(as_role, team) -> None:
    case = _create(as_role("worker"), bodies.referral(team.court.code))
    before = audit_events(action="case.viewed")
    assert _ids(as_role("cps").post(SEARCH, {"urn": case["urn"]})) == {case["id"]}
    new = audit_events(action="case.viewed", after=before[-1].id if before else 0)
    assert [(str(event.case_id), event.details["page"]) for event in new] == [(case["id"], "api.search_referrals")]


def test_the_search_pages_with_cursor_and_limit_in_the_body(as_role, team) -> None:
    worker = as_role("worker")
    family = {"family_name": "Pagedsearch"}
    made = [_create(worker, bodies.referral(team.court.code, client=family))["id"]]
    made += [_create(worker, bodies.referral(team.court.code, client=family, new_person=True))["id"] for _ in range(4)]
    query: dict[str, Any] = {"family_name": "Pagedsearch", "date_of_birth": "1991-02-03", "limit": 2}
    seen: list[str] = []
    while True:
        body = worker.post(SEARCH, query).get_json()
        assert len(body["items"]) <= 2
        seen += [item["id"] for item in body["items"]]
        if body["next"] is None:
            break
        query["cursor"] = body["next"]
    assert seen == list(reversed(made))


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"family_name", "urn"}),
        ({"limit": 5}, {"family_name", "urn"}),
        ({"family_name": "Smith", "date_of_birth": "1990-01-01", "urn": "01/AB/12345/26"}, {"family_name", "urn"}),
        ({"family_name": "Smith"}, {"date_of_birth"}),
        ({"date_of_birth": "1990-01-01"}, {"family_name"}),
        ({"family_name": "  ", "date_of_birth": "1990-01-01"}, {"family_name"}),
        ({"urn": "nonsense"}, {"urn"}),
        ({"urn": "01/AB/12345/26", "limit": 0}, {"limit"}),
        ({"urn": "01/AB/12345/26", "limit": 101}, {"limit"}),
        ({"urn": "01/AB/12345/26", "name": "x"}, {"name"}),
        ({"family_name": "Smith", "date_of_birth": "1890-01-01"}, {"date_of_birth"}),
    ],
)
def test_both_forms_neither_or_half_of_one_is_422(as_role, body: dict[str, Any], fields: set[str]) -> None:
    error = error_of(as_role("worker").post(SEARCH, body), 422, "validation_error")
    assert set(error["fields"]) == fields
    # The values sent are never repeated in the answer.
    assert "Smith" not in error["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"family_name": "Smith", "date_of_birth": "01/01/1990"}, "date_of_birth"),
        ({"family_name": 7, "date_of_birth": "1990-01-01"}, "family_name"),
        ({"urn": "01/AB/12345/26", "cursor": "nonsense"}, "cursor"),
        ({"urn": "01/AB/12345/26", "limit": "ten"}, "limit"),
    ],
)
def test_an_unreadable_search_is_400(as_role, body: dict[str, Any], field: str) -> None:
    assert field in error_of(as_role("worker").post(SEARCH, body), 400, "validation_error")["fields"]


def test_the_search_is_for_every_role_but_admin(as_role) -> None:
    body = {"urn": "01/AB/12345/26"}
    error_of(as_role("admin").post(SEARCH, body), 403, "forbidden")
    error_of(as_role(None).post(SEARCH, body), 401, "unauthorized")
    error_of(as_role("worker").get(SEARCH), 405, "method_not_allowed")


@pytest.mark.parametrize(
    "query",
    ["?family_name=Smith&date_of_birth=1990-01-01", "?urn=01/AB/12345/26", "?date_of_birth=1990-01-01", "?urn="],
)
def test_a_get_naming_her_identity_is_400_pointing_at_the_search(as_role, team, query: str) -> None:
    case = _create(as_role("worker"), bodies.referral(team.court.code))
    before = audit_events(action="case.viewed")
    error = error_of(as_role("cps").get("/referrals" + query + f"&court={team.court.code}"), 400, "validation_error")
    assert "POST /api/v1/referrals/search" in error["message"]
    named = {part.split("=")[0] for part in query[1:].split("&")}
    assert set(error["fields"]) == named
    assert all("POST /api/v1/referrals/search" in message for message in error["fields"].values())
    for value in ("Smith", "1990-01-01", "12345"):
        assert value not in str(error)
    # Nothing was looked up, so nothing was read.
    assert audit_events(action="case.viewed") == before
    assert case["id"]


def test_identity_never_travels_in_an_address_or_reaches_a_log(as_role, team, caplog) -> None:
    """What an access log (gunicorn's, a proxy's) writes is the request line: the search's has no identity, and the
    app's own request log names the route, never a value."""
    family = "Neverinaurl"
    case = _create(as_role("worker"), bodies.referral(team.court.code, client={"family_name": family}))
    caplog.set_level(logging.DEBUG)
    searches = [
        as_role(role).post(SEARCH, body)
        for role in ("worker", "court", "cps")
        for body in ({"family_name": family, "date_of_birth": "1991-02-03"}, {"urn": case["urn"]})
    ]
    for response in searches:
        assert _ids(response) == {case["id"]}
        environ = response.request.environ
        request_line = f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}?{environ['QUERY_STRING']}"
        assert request_line == "POST /api/v1/referrals/search?"
        assert response.request.url.endswith("/api/v1/referrals/search")
    urn_parts = case["urn"].split("/")
    logged = "\n".join(record.getMessage() + " " + str(record.__dict__) for record in caplog.records)
    assert "referrals/search" in logged
    for secret in (family, family.lower(), "1991-02-03", case["urn"], "".join(urn_parts)):
        assert secret not in logged
    # The document offers no way to put her identity in an address: no operation takes it as a parameter.
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict):
                continue
            names = {parameter.get("name") for parameter in operation.get("parameters", [])}
            assert not names & {"family_name", "date_of_birth", "urn"}, (path, method)


def test_the_search_is_documented_and_the_list_no_longer_takes_identity() -> None:
    operation = DOCUMENT["paths"]["/referrals/search"]["post"]
    assert operation["operationId"] == "searchReferrals"
    assert operation["x-rule"] == "referral_status"
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SearchInput"
    }
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CaseList"
    }
    listed = {parameter["name"] for parameter in DOCUMENT["paths"]["/referrals"]["get"]["parameters"]}
    assert listed == {"court", "state", "return_date", "cursor", "limit"}


def test_an_idempotency_key_on_a_search_keeps_the_request_print_and_no_answer(as_role, team) -> None:
    case = _create(as_role("worker"), bodies.referral(team.court.code))
    kept = count(IdempotencyKey)
    headers = {"Idempotency-Key": "search-1"}
    first = as_role("worker").post(SEARCH, {"urn": case["urn"]}, headers=headers)
    again = as_role("worker").post(SEARCH, {"urn": case["urn"]}, headers=headers)
    assert _ids(first) == _ids(again) == {case["id"]}
    assert "Idempotent-Replayed" not in again.headers  # answered again, not from a store
    assert count(IdempotencyKey) == kept + 1
    row = db.session.scalar(select(IdempotencyKey).where(IdempotencyKey.key == "search-1"))
    assert (row.answer, row.client_id, row.referral_id) == (None, None, None)
    # The print is keyed: the plain hash of the request (guessable from a URN alone) is not what is stored.
    plain = hashlib.sha256()
    for part in (b"POST", b"/api/v1/referrals/search", canonical_body(json.dumps({"urn": case["urn"]}).encode())):
        plain.update(len(part).to_bytes(8, "big"))
        plain.update(part)
    assert row.fingerprint != plain.hexdigest()
    # The same key with another search is refused, as on every POST, and finds nothing.
    error = error_of(as_role("worker").post(SEARCH, {"urn": "01/ZZ/99999/26"}, headers=headers), 422)
    assert "Idempotency-Key" in error["fields"]

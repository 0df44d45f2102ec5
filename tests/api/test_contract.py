"""One contract (docs/api.md, "Validation"): every request body is validated against the schema the served OpenAPI
document gives its operation, so a body that schema accepts is never answered 400 and one it refuses is never
taken; dates are from 1900 to 2100 in every body; a body not sent as JSON is 415. Refused requests change nothing.

The clock is Tuesday 1 December 2026, 10:00 in London."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diversion.api import contract
from diversion.api.openapi import DOCUMENT
from diversion.api.schemas import SCHEMAS, URN_PATTERN
from diversion.appointments.models import Appointment
from diversion.assessments.models import Assessment
from diversion.audit.models import AuditEvent
from diversion.care_plans.models import CarePlan
from diversion.clients.models import Client
from diversion.contacts.models import Contact
from diversion.notices.models import OutcomeNotice
from diversion.referrals.models import Consent, Referral, ReturnDateChange
from diversion.referrals.urns import URN_MESSAGE, check_urn
from tests.api import bodies
from tests.api.conftest import case_in, count, error_of
from tests.factories import create_referral

pytestmark = pytest.mark.clock("2026-12-01 10:00")

MODELS = (
    Referral,
    Client,
    Consent,
    ReturnDateChange,
    Appointment,
    Contact,
    Assessment,
    CarePlan,
    OutcomeNotice,
    AuditEvent,
)
DATE_RANGE = "Enter a date from 1900-01-01 to 2100-12-31"
TIME_RANGE = "Enter a time between the years 1900 and 2100"
BAD_CHARACTERS = "Contains characters that are not allowed"


def everything() -> tuple[int, ...]:
    return tuple(count(model) for model in MODELS)


@dataclass
class World:
    """A case opted in with appointment 1 attended, a closed case's outcome notice, and their ids."""

    court_code: str
    referral: Any
    appointment_id: Any
    notice_id: Any


@pytest.fixture
def world(team) -> World:
    for role in ("worker", "cps"):
        team.token(role)  # made before anything counts audit events
    referral = case_in("OPTED_IN", court=team.court, worker=team.worker, appointment="attended")
    closed = create_referral(state="WITHDRAWN", court=team.court, worker=team.worker)
    from sqlalchemy import select

    from diversion.extensions import db

    notice = db.session.scalars(select(OutcomeNotice).where(OutcomeNotice.referral_id == closed.id)).one()
    return World(team.court.code, referral, referral.test_appointment_id, notice.id)


# Each operation with a body: who sends it, and a body its schema and the services accept.
OPERATIONS: dict[tuple[str, str], tuple[str, Callable[[World], dict[str, Any]]]] = {
    ("/referrals", "post"): ("worker", lambda world: bodies.referral(world.court_code)),
    ("/referrals/{referral_id}", "patch"): (
        "worker",
        lambda world: {"return_date": "2026-12-23", "reason": "Re-adjourned.", "version": world.referral.version},
    ),
    ("/referrals/{referral_id}/consent", "post"): ("worker", lambda world: {"purpose": "reminders", "given": True}),
    ("/referrals/{referral_id}/withdraw", "post"): ("worker", lambda world: {"reason": "She moved away."}),
    ("/referrals/{referral_id}/access", "post"): ("worker", lambda world: {"reason": "Covering court today."}),
    ("/referrals/{referral_id}/appointments", "post"): ("worker", lambda world: bodies.future_booking(2)),
    ("/appointments/{appointment_id}/outcome", "post"): ("worker", lambda world: {"outcome": "attended"}),
    ("/referrals/{referral_id}/assessment", "put"): ("worker", lambda world: bodies.assessment()),
    ("/referrals/{referral_id}/care-plan", "put"): (
        "worker",
        lambda world: bodies.care_plan(
            agreed=False,
            goals=[
                {
                    "domain": "accommodation",
                    "text": "Somewhere safe",
                    "actions": [{"text": "See housing", "owner": "worker", "due_date": "2026-12-20"}],
                }
            ],
        ),
    ),
    ("/referrals/{referral_id}/contact-preferences", "put"): (
        "worker",
        lambda world: {
            "may_text": False,
            "may_voicemail": True,
            "may_email": False,
            "quiet_hours": {"from": "21:00", "to": "08:00"},
            "note": "Not before school run.",
        },
    ),
    ("/referrals/{referral_id}/contacts", "post"): (
        "worker",
        lambda world: {
            "kind": "call",
            "direction": "out",
            "with": "Her sister",
            "at": "2026-12-01T09:30:00+00:00",
            "note": "She will call back.",
        },
    ),
    ("/referrals/{referral_id}/modern-slavery", "put"): (
        "worker",
        lambda world: {"outcome": "declined", "date": "2026-12-01", "note": "Not now.", "version": None},
    ),
    ("/referrals/search", "post"): (
        "worker",
        lambda world: {"family_name": "Apiperson", "date_of_birth": "1990-04-02", "limit": 10},
    ),
    ("/webhooks", "post"): (
        "cps",
        lambda world: {"url": "http://127.0.0.1:9/hook", "events": ["notice.created", "referral.state_changed"]},
    ),
    ("/notices/{notice_id}/acknowledge", "post"): (
        "cps",
        lambda world: {"decision": "proceeding", "decided_on": "2026-12-01"},
    ),
}


def body_operations() -> set[tuple[str, str]]:
    """Every operation with a JSON body (a document's upload is multipart, read by its own endpoint:
    tests/api/test_documents.py)."""
    return {
        (path, method)
        for path, item in DOCUMENT["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "application/json" in operation.get("requestBody", {}).get("content", {})
    }


def url(path: str, world: World) -> str:
    return path.format(referral_id=world.referral.id, appointment_id=world.appointment_id, notice_id=world.notice_id)


def component(path: str, method: str) -> dict[str, Any]:
    """The component schema an operation's body refers to, as the document holds it."""
    reference = contract.body_schema(path, method)["$ref"]
    return SCHEMAS[reference.removeprefix("#/components/schemas/")]


def test_every_operation_with_a_body_is_in_this_table() -> None:
    # A new operation with a request body needs a line in OPERATIONS (who sends it and a body that is accepted), so
    # that each test below covers it too.
    assert set(OPERATIONS) == body_operations()


def test_each_operation_finds_its_own_schema_in_the_document(app) -> None:
    rules = {contract.openapi_path(rule.rule): rule for rule in app.url_map.iter_rules()}
    for path, method in body_operations():
        assert path in rules, path
        schema = contract.body_schema(path, method)
        assert schema is DOCUMENT["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
        validator = contract.validator_for(path, method)
        assert validator is not None
        assert validator is contract.validator_for(path, method), "built once"
    assert contract.validator_for("/referrals", "get") is None
    assert contract.openapi_path("/api/v1/referrals/<uuid:referral_id>/consent") == "/referrals/{referral_id}/consent"


# Bodies of one object shape (a union, the search's, is checked branch by branch in tests/api/test_search.py).
ONE_SHAPE = sorted(operation for operation in OPERATIONS if "properties" in component(*operation))


@pytest.mark.parametrize(("path", "method"), ONE_SHAPE)
def test_a_rule_added_to_the_served_document_is_the_rule_applied(
    as_role, client, world, monkeypatch, path: str, method: str
) -> None:
    role, _ = OPERATIONS[(path, method)]
    api = as_role(role)
    before = everything()
    error = error_of(api.request(method.upper(), url(path, world), {"probe": "text"}), 422)
    assert error["fields"]["probe"] == "Unknown field"
    # The document grows a field: the very same request is now read against it, and the served document shows it.
    monkeypatch.setitem(component(path, method)["properties"], "probe", {"type": "integer"})
    served = client.get("/api/v1/openapi.json").get_json()
    name = contract.body_schema(path, method)["$ref"].rsplit("/", 1)[1]
    assert served["components"]["schemas"][name]["properties"]["probe"] == {"type": "integer"}
    error = error_of(api.request(method.upper(), url(path, world), {"probe": "text"}), 400)
    assert error["fields"] == {"probe": "Must be a whole number"}, "malformed before anything missing"
    error = error_of(api.request(method.upper(), url(path, world), {"probe": 3}), 422)
    assert "probe" not in error["fields"]
    assert everything() == before


# --- whatever the schema accepts is never 400; whatever it refuses is never taken ---

DATES = st.dates().map(lambda day: day.isoformat())
TIMES = st.datetimes(timezones=st.one_of(st.none(), st.timezones())).map(lambda moment: moment.isoformat())
ODD_TEXT = st.sampled_from(["", " ", "Jo\n", "a\tb", "\x00", "\x1f", "\x7f", "\x85", "\ud800", "x" * 2001, "😀"])
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    ODD_TEXT,
    DATES,
    TIMES,
    st.uuids().map(str),
    st.sampled_from(["2026-12-22", "1899-12-31", "2101-01-01", "attended", "support", "ete", "worker", "made"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=2), st.dictionaries(st.text(max_size=8), inner, max_size=2)),
    max_leaves=4,
)


def places(value: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a body a value sits at."""
    if at:
        yield at
    if isinstance(value, dict):
        for key, member in value.items():
            yield from places(member, (*at, key))
    elif isinstance(value, list):
        for index, member in enumerate(value):
            yield from places(member, (*at, index))


def put(body: Any, at: tuple[Any, ...], value: Any) -> None:
    for step in at[:-1]:
        body = body[step]
    body[at[-1]] = value


# In place of a string, mostly other strings: dates and times of every shape and year, ids, odd characters.
STRINGS = st.one_of(
    ODD_TEXT,
    DATES,
    TIMES,
    st.uuids().map(lambda value: str(value).upper()),
    st.text(max_size=20),
    st.sampled_from(["2026-12-01T10:00:00", "2026-12-01T10:00:00Z", "2026-12-01 10:00+01:00", "20261201"]),
)


def instead_of(value: Any) -> st.SearchStrategy[Any]:
    """What may be put in a value's place: mostly values of its own JSON type, sometimes anything."""
    if isinstance(value, str):
        return st.one_of(STRINGS, VALUES)
    return VALUES


@st.composite
def changed(draw: st.DrawFn, valid: dict[str, Any]) -> dict[str, Any]:
    """A valid body, unchanged or with a few of its values replaced, removed or added."""
    body = copy.deepcopy(valid)
    for _ in range(draw(st.integers(min_value=0, max_value=2))):
        spots = list(places(body))
        how = draw(st.sampled_from(["replace", "replace", "replace", "remove", "add"]))
        if how == "add" or not spots:
            containers = [()] + [at for at in spots if isinstance(_at(body, at), dict)]
            where = draw(st.sampled_from(containers))
            put_in = _at(body, where)
            put_in[draw(st.sampled_from(["probe", "notes", "version", "given_name", "\x00"]))] = draw(VALUES)
            continue
        at = draw(st.sampled_from(spots))
        parent = _at(body, at[:-1])
        if how == "remove" and isinstance(parent, dict):
            del parent[at[-1]]
        else:
            put(body, at, draw(instead_of(_at(body, at))))
    return body


def _at(body: Any, at: tuple[Any, ...]) -> Any:
    for step in at:
        body = body[step]
    return body


@pytest.mark.parametrize(("path", "method"), sorted(OPERATIONS))
def test_the_schema_decides_what_is_malformed_and_what_is_taken(as_role, world, path: str, method: str) -> None:
    role, make = OPERATIONS[(path, method)]
    api = as_role(role)
    validator = contract.validator_for(path, method)
    valid = make(world)
    assert not list(validator.iter_errors(valid)), "the table's body is valid"

    @settings(
        max_examples=30,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(body=changed(valid))
    def check(body: dict[str, Any]) -> None:
        accepted = not list(validator.iter_errors(body))
        before = everything()
        response = api.request(method.upper(), url(path, world), body)
        status = response.status_code
        assert status < 500, response.get_data(as_text=True)[:400]
        if accepted:
            assert status not in (400, 415), (body, response.get_json())
        else:
            assert status in (400, 422), (body, status)
            assert everything() == before

    check()


ID = "0b0e3a70-1111-4222-8333-944445555666"
# Values at the edges of what JSON Schema and the converters read: each is put in every place of every body.
TRICKY = [
    None,
    True,
    0,
    1.5,
    -1,
    10**12,
    "",
    " ",
    "x",
    "Jo\n",
    "a\tb",
    "\x00",
    "\x1f",
    "\x85",
    "\ud800",
    "😀",
    "x" * 2001,
    "2026-12-22",
    "1899-12-31",
    "2101-01-01",
    "2026-02-30",
    "20261222",
    "2026-12-22T10:00:00",
    "2026-12-22T10:00:00Z",
    "2026-12-22 10:00:00+00:00",
    "2026-12-22T10:00:00.123456789+01:00",
    "0001-01-01T00:00:00+00:00",
    ID.upper(),
    "{" + ID + "}",
    ID.replace("-", ""),
    "urn:uuid:" + ID,
    [],
    {},
    ["x"],
]
DOMAINS = set(SCHEMAS["Domain"]["enum"])


def holds_a_lone_surrogate(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


@pytest.mark.parametrize(("path", "method"), sorted(OPERATIONS))
def test_every_edge_value_in_every_place_is_400_only_when_the_schema_refuses(
    as_role, world, path: str, method: str
) -> None:
    role, make = OPERATIONS[(path, method)]
    api = as_role(role)
    validator = contract.validator_for(path, method)
    seen = set()
    for at in places(make(world)):
        shape = tuple("*" if step in DOMAINS else step for step in at)  # the twelve domains share one schema
        if shape in seen:
            continue
        seen.add(shape)
        for value in TRICKY:
            body = make(world)
            put(body, at, value)
            # A lone surrogate is the one thing the schema takes and the reader refuses (schemas.TEXT_PATTERN says why).
            accepted = not list(validator.iter_errors(body)) and not holds_a_lone_surrogate(value)
            before = everything()
            response = api.request(method.upper(), url(path, world), body)
            assert response.status_code < 500, (at, value)
            if accepted:
                assert response.status_code != 400, (at, value, response.get_json())
            else:
                assert response.status_code in (400, 422), (at, value, response.status_code)
                assert everything() == before, (at, value)


# --- the issue's examples, and the rules of the schemas ---


def test_the_examples_from_the_issue_are_refused_and_change_nothing(as_role, world) -> None:
    worker = as_role("worker")
    before = everything()
    body = bodies.referral(
        world.court_code,
        first_hearing_date="0112-09-13",
        return_date="1971-05-26",
        client={"family_name": "Apiperson\x1f"},
    )
    error = error_of(worker.post("/referrals", body), 400, "validation_error")
    assert error["fields"] == {"client.family_name": BAD_CHARACTERS}, "malformed first"
    body["client"]["family_name"] = "Apiperson"
    error = error_of(worker.post("/referrals", body), 422, "validation_error")
    assert error["fields"] == {"first_hearing_date": DATE_RANGE}
    body["first_hearing_date"] = "1971-05-20"
    error = error_of(worker.post("/referrals", body), 422, "validation_error")
    assert set(error["fields"]) == {"first_hearing_date", "return_date"}, "the court-date rules of the web forms"
    assert everything() == before


def date_places(schema: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    """The places of the dates and times in a body schema, with which kind each is."""
    if not isinstance(schema, dict):
        return
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        if name in ("Date", "DateTime"):
            yield at, name
            return
        schema = SCHEMAS[name]
    for branch in schema.get("anyOf", []):
        yield from date_places(branch, at)
    for name, member in schema.get("properties", {}).items():
        yield from date_places(member, (*at, name))
    if "items" in schema:
        yield from date_places(schema["items"], (*at, 0))


def test_every_date_of_every_body_is_found() -> None:
    found = {
        (path, ".".join(map(str, at)))
        for path, method in OPERATIONS
        for at, _ in date_places(contract.body_schema(path, method))
    }
    assert found >= {
        ("/referrals", "first_hearing_date"),
        ("/referrals", "return_date"),
        ("/referrals", "client.date_of_birth"),
        ("/referrals/{referral_id}", "return_date"),
        ("/referrals/{referral_id}/appointments", "starts_at"),
        ("/referrals/{referral_id}/care-plan", "goals.0.actions.0.due_date"),
        ("/notices/{notice_id}/acknowledge", "decided_on"),
    }


@pytest.mark.parametrize("day", ["1899-12-31", "2101-01-01"])
@pytest.mark.parametrize(("path", "method"), sorted(OPERATIONS))
def test_a_date_outside_1900_to_2100_is_422_on_every_date_of_every_body(
    as_role, world, path: str, method: str, day: str
) -> None:
    role, make = OPERATIONS[(path, method)]
    api = as_role(role)
    before = everything()
    for at, kind in date_places(contract.body_schema(path, method)):
        body = make(world)
        put(body, at, day if kind == "Date" else f"{day}T10:00:00+00:00")
        error = error_of(api.request(method.upper(), url(path, world), body), 422, "validation_error")
        assert error["fields"] == {".".join(map(str, at)): DATE_RANGE if kind == "Date" else TIME_RANGE}
    assert everything() == before


@pytest.mark.parametrize(
    ("details", "field", "status", "message"),
    [
        ({"given_name": ""}, "client.given_name", 422, "This field is required"),
        ({"given_name": "Jo\n"}, "client.given_name", 400, BAD_CHARACTERS),
        ({"given_name": "Jo\tAnn"}, "client.given_name", 400, BAD_CHARACTERS),
        ({"family_name": "Smith\x85"}, "client.family_name", 400, BAD_CHARACTERS),
        ({"family_name": "x" * 101}, "client.family_name", 422, "Must be 100 characters or fewer"),
        ({"phone": "0" * 41}, "client.phone", 422, "Must be 40 characters or fewer"),
    ],
)
def test_names_and_contact_details_follow_the_schema(as_role, world, details, field, status, message) -> None:
    before = everything()
    error = error_of(as_role("worker").post("/referrals", bodies.referral(world.court_code, client=details)), status)
    assert error["fields"] == {field: message}
    assert everything() == before


@pytest.mark.parametrize(
    ("change", "status", "fields"),
    [
        ({"notes": "Line one\r\n\tline two 😀"}, 201, None),
        ({"notes": "bell\x07"}, 400, {"notes": BAD_CHARACTERS}),
        ({"notes": "half \ud800 a pair"}, 400, {"notes": BAD_CHARACTERS}),
        ({"court": ""}, 422, {"court": "This field is required"}),
        ({"urn": "01/AB/1234/26"}, 422, {"urn": URN_MESSAGE}),
        ({"urn": "01/AB/12345/26\n"}, 422, {"urn": URN_MESSAGE}),
        ({"urn": " 03-ef.55555_26 "}, 201, None),
        ({"offence": "MURDER"}, 422, None),
    ],
)
def test_text_rules_of_a_referral(as_role, world, change, status, fields) -> None:
    response = as_role("worker").post("/referrals", bodies.referral(world.court_code, **change))
    if status == 201:
        assert response.status_code == 201, response.get_json()
        return
    error = error_of(response, status)
    assert error["fields"] == (fields or {next(iter(change)): error["fields"][next(iter(change))]})
    assert "MURDER" not in json.dumps(error), "messages never echo the value sent"


@settings(max_examples=200, derandomize=True, database=None, deadline=None)
@given(st.from_regex(contract._compiled(URN_PATTERN), fullmatch=True))
def test_every_urn_the_schema_takes_the_service_takes(urn: str) -> None:
    check_urn(urn)


# --- 415 ---


@pytest.mark.parametrize(("path", "method"), sorted(OPERATIONS))
def test_a_body_that_is_not_sent_as_json_is_415_and_changes_nothing(
    as_role, client, world, path: str, method: str
) -> None:
    role, make = OPERATIONS[(path, method)]
    api = as_role(role)
    body = make(world)
    before = everything()
    full = "/api/v1" + url(path, world)
    sent = [
        client.open(
            full, method=method.upper(), data=json.dumps(body), content_type="text/plain", headers=api.headers()
        ),
        client.open(full, method=method.upper(), data=json.dumps(body), headers=api.headers()),
        client.open(full, method=method.upper(), data={"reason": "x"}, headers=api.headers()),
        client.open(
            full,
            method=method.upper(),
            data=json.dumps(body),
            content_type="application/x-www-form-urlencoded",
            headers=api.headers({"Idempotency-Key": "k-415"}),
        ),
    ]
    for response in sent:
        error = error_of(response, 415, "unsupported_media_type")
        assert "Content-Type" in error["fields"]
    assert everything() == before
    error_of(api.request(method.upper(), url(path, world), raw="{not json"), 400, "validation_error")


def test_json_with_a_charset_or_a_json_based_type_is_read(as_role, world) -> None:
    api = as_role("worker")
    body = {"return_date": "2026-12-23", "reason": "Re-adjourned.", "version": world.referral.version}
    response = api.client.open(
        f"/api/v1/referrals/{world.referral.id}",
        method="PATCH",
        data=json.dumps(body),
        content_type="application/merge-patch+json",
        headers=api.headers(),
    )
    assert response.status_code == 200, response.get_json()
    response = api.client.open(
        f"/api/v1/referrals/{world.referral.id}/withdraw",
        method="POST",
        data=json.dumps({"reason": "She moved away."}),
        content_type="application/json; charset=utf-8",
        headers=api.headers(),
    )
    assert response.status_code == 200, response.get_json()


def test_every_operation_with_a_body_documents_415() -> None:
    for path, method in body_operations():
        assert DOCUMENT["paths"][path][method]["responses"]["415"] == {"$ref": "#/components/responses/415"}
    assert "unsupported_media_type" in SCHEMAS["Error"]["properties"]["error"]["properties"]["code"]["enum"]
    assert "possible_match" in SCHEMAS["Error"]["properties"]["error"]["properties"]["code"]["enum"]


def _patterns(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
        return own + [pattern for value in node.values() for pattern in _patterns(value)]
    if isinstance(node, list):
        return [pattern for value in node for pattern in _patterns(value)]
    return []


def test_every_pattern_in_the_document_compiles_in_another_regex_engine() -> None:
    """A tool that cannot compile a pattern drops it and then builds values the server refuses (a surrogate range
    did this to schemathesis, whose engine is Rust's). Every pattern must compile there too, and mean the same on
    plain cases."""
    patterns = set(_patterns(DOCUMENT))
    assert len(patterns) >= 5
    for pattern in patterns:
        validator = jsonschema_rs.validator_for({"type": "string", "pattern": pattern})
        assert validator.is_valid("a\u0016b") is bool(re.search(pattern, "a\u0016b")), pattern

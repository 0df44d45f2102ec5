"""A case's contact log through the API (docs/api.md, "Contact log"; docs/contacts.md): support staff log and list
contacts, filtered as the page filters them; bad input is the JSON error shape and changes nothing; court, CPS and
administrator tokens are refused; a repeat with the same Idempotency-Key logs nothing more; every answer that shows
contacts is audited as a read; a colleague's case asks for a reason first.

The clock is Tuesday 1 December 2026, 10:00 in London (UTC, in winter)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from diversion.auth.tokens import create_api_token
from diversion.contacts.models import Contact
from diversion.contacts.services import AT_IN_FUTURE
from diversion.db import utcnow
from diversion.referrals.models import State
from tests.api.conftest import Api, count, error_of
from tests.contacts.helpers import log
from tests.factories import (
    audit_events,
    create_court,
    create_referral,
    create_scheme,
    create_user,
    last_audit_id,
    raw_column,
)

pytestmark = pytest.mark.clock("2026-12-01 10:00")

WITH = "Canary-with: her probation officer"
NOTE = "Canary-note: she asked to move Thursday's appointment"


@pytest.fixture
def case(team):
    return create_referral(state=State.OPTED_IN, worker=team.worker, court=team.court)


def path(referral) -> str:
    return f"/referrals/{referral.id}/contacts"


def body(**changes):
    values = {"kind": "call", "direction": "in", "with": WITH, "at": "2026-12-01T09:15:00+00:00", "note": NOTE}
    values.update(changes)
    return {name: value for name, value in values.items() if value is not ...}


def test_a_worker_logs_a_contact_and_lists_the_log(as_role, team, case) -> None:
    worker = as_role("worker")
    mark = last_audit_id()
    made = worker.post(path(case), body())
    assert made.status_code == 201, made.get_json()
    contact = made.get_json()
    assert contact == {
        "id": contact["id"],
        "referral_id": str(case.id),
        "kind": "call",
        "direction": "in",
        "with": WITH,
        "at": "2026-12-01T09:15:00+00:00",
        "note": NOTE,
        "logged_by": {"id": str(team.worker.id), "name": team.worker.display_name},
        "logged_at": contact["logged_at"],
    }
    stored = raw_column(model=Contact, column="note", row_id=uuid.UUID(contact["id"]))
    assert b"Canary-note" not in stored
    [event] = audit_events(case_id=case.id, action="contact.logged", after=mark)
    assert event.details == {"kind": "call", "direction": "in"}

    later = as_role("manager").post(path(case), body(kind="text", direction="out", at="2026-12-01T09:45:00Z"))
    assert later.status_code == 201
    assert later.get_json()["with"] == WITH
    listed = worker.get(path(case))
    assert listed.status_code == 200
    assert [item["kind"] for item in listed.get_json()["items"]] == ["text", "call"]
    assert listed.get_json()["next"] is None
    assert listed.get_json()["items"][1] == contact


def test_with_and_note_may_be_left_out(as_role, case) -> None:
    made = as_role("worker").post(path(case), body(**{"with": ..., "note": None}))
    assert made.status_code == 201, made.get_json()
    assert (made.get_json()["with"], made.get_json()["note"]) == (None, None)


def test_a_time_with_another_offset_is_kept_as_the_same_moment(as_role, case) -> None:
    made = as_role("worker").post(path(case), body(at="2026-12-01T10:15:00+01:00"))
    assert made.get_json()["at"] == "2026-12-01T09:15:00+00:00"


@pytest.mark.parametrize(
    ("changes", "status", "field"),
    [
        ({"kind": ...}, 422, "kind"),
        ({"kind": "fax"}, 422, "kind"),
        ({"direction": ...}, 422, "direction"),
        ({"direction": "both"}, 422, "direction"),
        ({"at": ...}, 422, "at"),
        ({"at": "2026-12-01T10:30:00+00:00"}, 422, "at"),
        ({"at": "2026-12-01T09:15:00"}, 400, "at"),
        ({"at": "yesterday"}, 400, "at"),
        ({"at": "1899-12-31T09:15:00+00:00"}, 422, "at"),
        ({"with": "x" * 201}, 422, "with"),
        ({"note": "x" * 5001}, 422, "note"),
        ({"note": 5}, 400, "note"),
        ({"worker": "someone"}, 422, "worker"),
    ],
)
def test_bad_input_is_the_json_error_shape_and_logs_nothing(as_role, case, changes, status, field) -> None:
    before, mark = count(Contact), last_audit_id()
    error = error_of(as_role("worker").post(path(case), body(**changes)), status, "validation_error")
    assert field in error["fields"]
    assert "Canary" not in str(error)
    assert count(Contact) == before
    assert audit_events(action="contact.logged", after=mark) == []


def test_a_future_time_says_so(as_role, case) -> None:
    error = error_of(as_role("worker").post(path(case), body(at="2026-12-02T09:00:00+00:00")), 422)
    assert error["fields"] == {"at": AT_IN_FUTURE}


def test_a_body_that_is_not_json_is_refused(as_role, case) -> None:
    api = as_role("worker")
    error_of(api.post(path(case), raw="kind=call"), 400, "validation_error")
    response = api.client.post(
        "/api/v1" + path(case), data="kind=call", headers=api.headers(), content_type="text/plain"
    )
    error_of(response, 415, "unsupported_media_type")
    assert count(Contact) == 0


@pytest.mark.parametrize("role", ["court", "cps", "admin"])
def test_court_cps_and_admin_tokens_are_refused(as_role, team, case, role) -> None:
    log(case, team.worker, utcnow() - timedelta(hours=1), note=NOTE)
    api = as_role(role)
    listed = api.get(path(case))
    error_of(listed, 403, "forbidden")
    assert b"Canary" not in listed.data
    error_of(api.post(path(case), body()), 403, "forbidden")
    assert count(Contact) == 1


def test_no_token_is_401_and_an_unknown_case_404(as_role, case) -> None:
    error_of(as_role(None).get(path(case)), 401, "unauthorized")
    error_of(as_role(None).post(path(case), body()), 401, "unauthorized")
    error_of(as_role("worker").get("/referrals/00000000-0000-4000-8000-000000000000/contacts"), 404, "not_found")
    error_of(as_role("worker").post("/referrals/not-an-id/contacts", body()), 404, "not_found")
    assert count(Contact) == 0


def test_the_same_idempotency_key_logs_one_contact(as_role, case) -> None:
    api = as_role("worker")
    headers = {"Idempotency-Key": "contact-2026-12-01-0915"}
    first = api.post(path(case), body(), headers=headers)
    again = api.post(path(case), body(), headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    error_of(api.post(path(case), body(kind="visit"), headers=headers), 422)
    assert count(Contact) == 1


# --- filters ---


@pytest.fixture
def logged(team, case):
    worker = team.worker
    log(case, worker, datetime(2026, 11, 25, 9, tzinfo=UTC), kind="call", direction="out")
    log(case, worker, datetime(2026, 11, 25, 15, tzinfo=UTC), kind="text", direction="in")
    log(case, worker, datetime(2026, 11, 28, 11, tzinfo=UTC), kind="visit", direction="in")
    log(case, worker, datetime(2026, 12, 1, 8, tzinfo=UTC), kind="call", direction="in")
    return case


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["call in", "visit in", "text in", "call out"]),
        ("?kind=call", ["call in", "call out"]),
        ("?direction=out", ["call out"]),
        ("?kind=text&direction=in", ["text in"]),
        ("?from=2026-11-26", ["call in", "visit in"]),
        ("?to=2026-11-25", ["text in", "call out"]),
        ("?from=2026-11-28&to=2026-11-28", ["visit in"]),
        ("?kind=&direction=&from=&to=", ["call in", "visit in", "text in", "call out"]),
    ],
)
def test_the_list_takes_the_pages_filters(as_role, logged, query, expected) -> None:
    listed = as_role("worker").get(path(logged) + query)
    assert listed.status_code == 200, listed.get_json()
    assert [f"{item['kind']} {item['direction']}" for item in listed.get_json()["items"]] == expected


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("?kind=fax", 400, "kind"),
        ("?direction=sideways", 400, "direction"),
        ("?from=28-11-2026", 400, "from"),
        ("?from=2026-11-28&to=2026-11-25", 422, "to"),
        ("?to=2101-01-01", 422, "to"),
    ],
)
def test_wrong_filters_are_refused(as_role, logged, query, status, field) -> None:
    error = error_of(as_role("worker").get(path(logged) + query), status, "validation_error")
    assert field in error["fields"]


# --- reads ---


def test_every_answer_that_shows_contacts_is_audited_as_a_read(as_role, logged) -> None:
    api = as_role("worker")
    mark = last_audit_id()
    api.get(path(logged))
    [read] = audit_events(case_id=logged.id, action="case.viewed", after=mark)
    assert read.details == {"page": "api.list_contacts", "view": "full"}
    mark = last_audit_id()
    api.post(path(logged), body())
    [read] = audit_events(case_id=logged.id, action="case.viewed", after=mark)
    assert read.details["page"] == "api.log_contact"
    # A refused request shows nothing, and records no read.
    mark = last_audit_id()
    api.get(path(logged) + "?kind=fax")
    assert audit_events(case_id=logged.id, action="case.viewed", after=mark) == []


def test_a_colleagues_case_asks_for_a_reason_first(client, app_ctx) -> None:
    scheme = create_scheme(access="assigned")
    court = create_court(schemes=[scheme])
    sam = create_user(role="worker", schemes=[scheme])
    ria = create_user(role="worker", schemes=[scheme])
    colleagues = create_referral(worker=ria, court=court, state="OPTED_IN")
    log(colleagues, ria, utcnow() - timedelta(hours=1), note=NOTE)
    api = Api(client, create_api_token(sam))
    mark = last_audit_id()
    listed = api.get(path(colleagues))
    error_of(listed, 403, "reason_required")
    assert b"Canary" not in listed.data
    error_of(api.post(path(colleagues), body()), 403, "reason_required")
    assert count(Contact) == 1
    assert audit_events(case_id=colleagues.id, action="case.viewed", after=mark) == []
    assert api.post(f"/referrals/{colleagues.id}/access", {"reason": "Covering court today"}).status_code == 201
    listed = api.get(path(colleagues))
    assert listed.get_json()["items"][0]["note"] == NOTE
    [read] = audit_events(case_id=colleagues.id, action="case.viewed", after=mark)
    assert "grant" in read.details

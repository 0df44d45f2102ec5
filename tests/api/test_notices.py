"""Outcome notices through the API: who may list and acknowledge them, court scope, the status and since filters,
paging, the notice's shape, and the CPS's decision: recorded once, checked against the rules, and a refused request
changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from diversion.audit.models import AuditEvent
from diversion.dates import today
from diversion.db import transaction
from diversion.extensions import db
from diversion.notices.models import OutcomeNotice
from diversion.referrals.urns import format_urn
from tests.api.conftest import ROLES, count, error_of
from tests.factories import audit_events, create_referral, last_audit_id

NOTICE_KEYS = {
    "id",
    "referral_id",
    "urn",
    "court",
    "given_name",
    "family_name",
    "date_of_birth",
    "outcome",
    "outcome_date",
    "created_at",
    "acknowledged_at",
    "decision",
    "decided_on",
    # A correction's fields (docs/reversals.md): null on a notice that corrects nothing.
    "corrects",
    "returned_to",
    "superseded_at",
    # An erased woman's notice kept for the CPS (docs/privacy.md): null on any other notice.
    "subject_erased_at",
    "erasure_note",
    "kept_until",
}
LIST_ROLES = {"manager", "court", "cps"}
UNKNOWN = "0b0e3a70-1111-4222-8333-944445555666"


def notice_of(referral: Any) -> OutcomeNotice:
    db.session.expire_all()
    return db.session.scalars(select(OutcomeNotice).where(OutcomeNotice.referral_id == referral.id)).one()


def closed_case(team: Any, state: str = "WITHDRAWN", *, court: Any = None) -> tuple[Any, OutcomeNotice]:
    """A case in a final state (its notice made by the final-state hook), and that notice."""
    referral = create_referral(state=state, court=court or team.court, worker=team.worker)
    return referral, notice_of(referral)


def made_at(notice: OutcomeNotice, moment: datetime) -> None:
    with transaction():
        db.session.execute(update(OutcomeNotice).where(OutcomeNotice.id == notice.id).values(created_at=moment))


def stored(notice: OutcomeNotice) -> tuple[Any, ...]:
    """What acknowledging changes, and how long the audit chain is."""
    row = notice_of(notice.referral)
    return (row.acknowledged_at, row.acknowledged_by_id, row.decision, row.decided_on, row.version, count(AuditEvent))


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)[:800]
    return [item["id"] for item in response.get_json()["items"]]


def decision(value: str = "proceeding", on: Any = None) -> dict[str, Any]:
    return {"decision": value, "decided_on": (on or today()).isoformat()}


# --- who may ---


@pytest.mark.parametrize("role", ROLES)
def test_the_list_is_for_cps_managers_and_courts(as_role, team, role: str) -> None:
    _, notice = closed_case(team)
    api = as_role(role)
    before = count(AuditEvent)
    response = api.get("/notices")
    if role in LIST_ROLES:
        assert ids(response) == [str(notice.id)]
    else:
        error_of(response, 403, "forbidden")
        assert count(AuditEvent) == before


@pytest.mark.parametrize("role", ROLES)
def test_only_the_cps_may_acknowledge(as_role, team, role: str) -> None:
    _, notice = closed_case(team)
    api = as_role(role)
    before = stored(notice)
    response = api.post(f"/notices/{notice.id}/acknowledge", decision())
    if role == "cps":
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.get_json()["decision"] == "proceeding"
    else:
        error_of(response, 403, "forbidden")
        assert stored(notice) == before


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/notices"), ("POST", f"/notices/{UNKNOWN}/acknowledge")], ids=["list", "ack"]
)
def test_no_token_is_401(as_role, team, method: str, path: str) -> None:
    error_of(as_role(None).request(method, path, decision() if method == "POST" else None), 401, "unauthorized")


def test_court_users_see_their_own_courts_notices_only(as_role, team) -> None:
    _, own = closed_case(team)
    _, other = closed_case(team, court=team.other_court)
    court = as_role("court")
    assert ids(court.get("/notices")) == [str(own.id)]
    for role in ("cps", "manager"):
        assert set(ids(as_role(role).get("/notices"))) == {str(own.id), str(other.id)}, role
    # The court's rule refuses the decision before anything is loaded, whichever court's notice it is.
    for notice in (own, other):
        before = stored(notice)
        error_of(court.post(f"/notices/{notice.id}/acknowledge", decision()), 403, "forbidden")
        assert stored(notice) == before


def test_an_unknown_or_malformed_id_is_404(as_role, team) -> None:
    referral, notice = closed_case(team)
    cps = as_role("cps")
    before = stored(notice)
    error_of(cps.post(f"/notices/{UNKNOWN}/acknowledge", decision()), 404, "not_found")
    error_of(cps.post("/notices/not-a-uuid/acknowledge", decision()), 404, "not_found")
    # A case's id is not its notice's id.
    error_of(cps.post(f"/notices/{referral.id}/acknowledge", decision()), 404, "not_found")
    assert stored(notice) == before


# --- the list ---


def test_a_notice_names_the_case_and_its_outcome_only(as_role, team) -> None:
    referral, notice = closed_case(team, "COMPLETED")
    for role in sorted(LIST_ROLES):
        (item,) = as_role(role).get("/notices").get_json()["items"]
        assert set(item) == NOTICE_KEYS, role
        assert item == {
            "id": str(notice.id),
            "referral_id": str(referral.id),
            "urn": format_urn(referral.urn),
            "court": team.court.code,
            "given_name": referral.client.given_name,
            "family_name": referral.client.family_name,
            "date_of_birth": referral.client.date_of_birth.isoformat(),
            "outcome": "completed",
            "outcome_date": referral.outcome_date.isoformat(),
            "created_at": notice.created_at.astimezone(UTC).isoformat(),
            "acknowledged_at": None,
            "decision": None,
            "decided_on": None,
            "corrects": None,
            "returned_to": None,
            "superseded_at": None,
            "subject_erased_at": None,
            "erasure_note": None,
            "kept_until": None,
        }


def test_without_status_the_list_is_the_new_notices(as_role, team) -> None:
    _, waiting = closed_case(team)
    _, done = closed_case(team)
    cps = as_role("cps")
    assert cps.post(f"/notices/{done.id}/acknowledge", decision()).status_code == 200
    assert ids(cps.get("/notices")) == [str(waiting.id)]
    assert ids(cps.get("/notices?status=new")) == [str(waiting.id)]
    assert ids(cps.get("/notices?status=")) == [str(waiting.id)]
    (item,) = cps.get("/notices?status=acknowledged").get_json()["items"]
    assert item["id"] == str(done.id)
    assert item["decision"] == "proceeding"
    assert item["decided_on"] == today().isoformat()
    assert item["acknowledged_at"] is not None


def test_since_keeps_notices_made_on_or_after_that_london_day(as_role, team) -> None:
    _, old = closed_case(team)
    _, late_evening = closed_case(team)
    _, recent = closed_case(team)
    made_at(old, datetime(2026, 6, 29, 12, 0, tzinfo=UTC))
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (summer time): a notice of 1 July.
    made_at(late_evening, datetime(2026, 6, 30, 23, 30, tzinfo=UTC))
    made_at(recent, datetime(2026, 7, 2, 9, 0, tzinfo=UTC))
    cps = as_role("cps")
    assert ids(cps.get("/notices?since=2026-06-29")) == [str(recent.id), str(late_evening.id), str(old.id)]
    assert ids(cps.get("/notices?since=2026-06-30")) == [str(recent.id), str(late_evening.id)]
    assert ids(cps.get("/notices?since=2026-07-01")) == [str(recent.id), str(late_evening.id)]
    assert ids(cps.get("/notices?since=2026-07-02")) == [str(recent.id)]
    assert ids(cps.get("/notices?since=2026-07-03")) == []
    assert ids(cps.get("/notices?since=2026-06-30&status=acknowledged")) == []


def test_lists_page_with_a_cursor_newest_first(as_role, team) -> None:
    made = []
    for hours in range(5):
        _, notice = closed_case(team)
        made_at(notice, datetime(2026, 3, 2, 9, 0, tzinfo=UTC) + timedelta(hours=hours))
        made.append(str(notice.id))
    cps = as_role("cps")
    seen: list[str] = []
    query = "?limit=2"
    for _ in range(5):
        body = cps.get("/notices" + query).get_json()
        assert len(body["items"]) <= 2
        seen += [item["id"] for item in body["items"]]
        if body["next"] is None:
            break
        query = f"?limit=2&cursor={body['next']}"
    assert seen == list(reversed(made))


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?status=all", "status"),
        ("?status=NEW", "status"),
        ("?since=01/07/2026", "since"),
        ("?since=2026-02-30", "since"),
        ("?cursor=nonsense", "cursor"),
        ("?limit=0", "limit"),
        ("?limit=101", "limit"),
    ],
)
def test_unreadable_list_queries_are_400(as_role, team, query: str, field: str) -> None:
    closed_case(team)
    cps = as_role("cps")
    before = count(AuditEvent)
    problem = error_of(cps.get("/notices" + query), 400, "validation_error")
    assert field in problem["fields"]
    assert count(AuditEvent) == before


def test_each_listed_case_is_audited_as_read_by_ids_only(as_role, team) -> None:
    listed = {closed_case(team)[0].id, closed_case(team)[0].id}
    after = last_audit_id()
    assert len(ids(as_role("court").get("/notices"))) == 2
    events = audit_events(action="case.viewed", after=after)
    assert {event.case_id for event in events} == listed
    for event in events:
        assert event.details == {"page": "api.notices", "view": "status"}
        assert (event.actor_id, event.actor_role) == (team.user("court").id, "court")


# --- the decision ---


def test_the_cps_acknowledges_a_completed_case_as_discontinued(as_role, team) -> None:
    referral, notice = closed_case(team, "COMPLETED")
    version = notice.version
    after = last_audit_id()
    response = as_role("cps").post(f"/notices/{notice.id}/acknowledge", decision("discontinued"))
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == NOTICE_KEYS
    assert (body["id"], body["outcome"], body["decision"]) == (str(notice.id), "completed", "discontinued")
    assert body["decided_on"] == today().isoformat()
    row = notice_of(referral)
    assert body["acknowledged_at"] == row.acknowledged_at.astimezone(UTC).isoformat()
    assert (row.decision, row.decided_on, row.acknowledged_by_id) == ("discontinued", today(), team.user("cps").id)
    assert row.version == version + 1
    acknowledged = audit_events(action="notice.acknowledged", after=after)
    assert [(event.object_id, event.case_id, event.details) for event in acknowledged] == [
        (str(notice.id), referral.id, {"decision": "discontinued"})
    ]
    viewed = audit_events(action="case.viewed", after=after)
    assert [(event.case_id, event.details) for event in viewed] == [
        (referral.id, {"page": "api.acknowledge_notice", "view": "status"})
    ]


def test_a_decision_may_be_dated_on_any_day_from_the_outcome_to_today(as_role, team) -> None:
    _, notice = closed_case(team)
    outcome_date = today() - timedelta(days=3)
    with transaction():
        db.session.execute(update(OutcomeNotice).where(OutcomeNotice.id == notice.id).values(outcome_date=outcome_date))
    response = as_role("cps").post(f"/notices/{notice.id}/acknowledge", decision(on=outcome_date))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["decided_on"] == outcome_date.isoformat()
    assert notice_of(notice.referral).decided_on == outcome_date


def test_acknowledging_twice_is_409_and_changes_nothing(as_role, team) -> None:
    _, notice = closed_case(team, "COMPLETED")
    cps = as_role("cps")
    assert cps.post(f"/notices/{notice.id}/acknowledge", decision("discontinued")).status_code == 200
    first = stored(notice)
    for body in (decision("discontinued"), decision("proceeding")):
        error_of(cps.post(f"/notices/{notice.id}/acknowledge", body), 409, "conflict")
        assert stored(notice) == first
    assert notice_of(notice.referral).decision == "discontinued"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"decision": "maybe", "decided_on": "{today}"}, 422, "decision"),
        ({"decision": "DISCONTINUED", "decided_on": "{today}"}, 422, "decision"),
        ({"decision": "", "decided_on": "{today}"}, 422, "decision"),
        ({"decided_on": "{today}"}, 422, "decision"),
        ({"decision": "discontinued"}, 422, "decided_on"),
        ({"decision": "discontinued", "decided_on": None}, 422, "decided_on"),
        ({"decision": "discontinued", "decided_on": "{tomorrow}"}, 422, "decided_on"),
        ({"decision": "discontinued", "decided_on": "{before}"}, 422, "decided_on"),
        ({"decision": "discontinued", "decided_on": "{today}", "notes": "x"}, 422, "notes"),
        ({"decision": 5, "decided_on": "{today}"}, 400, "decision"),
        ({"decision": "discontinued", "decided_on": "01/02/2026"}, 400, "decided_on"),
        ({"decision": "discontinued", "decided_on": "2026-02-30"}, 400, "decided_on"),
        ({"decision": "discontinued", "decided_on": 20260201}, 400, "decided_on"),
    ],
)
def test_a_bad_decision_or_date_is_refused_and_changes_nothing(
    as_role, team, body: dict[str, Any], status: int, field: str
) -> None:
    _, notice = closed_case(team, "COMPLETED")
    days = {
        "{today}": today(),
        "{tomorrow}": today() + timedelta(days=1),
        "{before}": notice.outcome_date - timedelta(days=1),
    }
    sent = {key: days[value].isoformat() if value in days else value for key, value in body.items()}
    cps = as_role("cps")
    before = stored(notice)
    problem = error_of(cps.post(f"/notices/{notice.id}/acknowledge", sent), status, "validation_error")
    assert field in problem["fields"], problem
    assert stored(notice) == before


def test_only_a_completed_diversion_may_be_discontinued(as_role, team) -> None:
    _, notice = closed_case(team, "WITHDRAWN")
    cps = as_role("cps")
    before = stored(notice)
    problem = error_of(cps.post(f"/notices/{notice.id}/acknowledge", decision("discontinued")), 422)
    assert set(problem["fields"]) == {"decision"}
    assert stored(notice) == before
    assert cps.post(f"/notices/{notice.id}/acknowledge", decision("proceeding")).status_code == 200


@pytest.mark.parametrize("raw", ["not json", "[]", '"text"', ""])
def test_a_body_that_is_not_a_json_object_is_400(as_role, team, raw: str) -> None:
    _, notice = closed_case(team)
    cps = as_role("cps")
    before = stored(notice)
    response = cps.request("POST", f"/notices/{notice.id}/acknowledge", raw=raw)
    error_of(response, 400, "validation_error")
    assert stored(notice) == before


def test_the_decision_is_seen_by_the_court_and_managers(as_role, team) -> None:
    _, notice = closed_case(team)
    assert as_role("cps").post(f"/notices/{notice.id}/acknowledge", decision()).status_code == 200
    for role in ("court", "manager"):
        (item,) = as_role(role).get("/notices?status=acknowledged").get_json()["items"]
        assert (item["id"], item["decision"]) == (str(notice.id), "proceeding"), role
        assert ids(as_role(role).get("/notices")) == [], role

"""Referrals through the API: intake rules, lists and their filters, the case in each audience's shape, consent,
re-adjournment and withdrawal."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from diversion.api.openapi import DOCUMENT
from diversion.clients.models import Client
from diversion.dates import today
from diversion.referrals.models import Referral
from tests.api import bodies
from tests.api.conftest import count, error_of
from tests.clock import FromToday, on_clock

CLIENT_STATUS_KEYS = {"id", "given_name", "family_name", "date_of_birth"}
CASE_STATUS_KEYS = {
    "view",
    "id",
    "urn",
    "court",
    "state",
    "first_hearing_date",
    "return_date",
    "client",
    "appointments",
    "outcome_date",
    "version",
}


def _create(api, body):
    response = api.post("/referrals", body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


# --- intake ---


@pytest.mark.parametrize("role", ["worker", "manager", "court"])
def test_a_referral_is_answered_as_the_caller_may_see_it(as_role, team, role: str) -> None:
    body = bodies.referral(team.court.code, urn="02 cd 12345 26")
    case = _create(as_role(role), body)
    assert case["urn"] == "02/CD/12345/26"
    assert case["court"] == team.court.code
    assert case["state"] == "REFERRED"
    assert case["client"]["family_name"] == body["client"]["family_name"]
    assert case["client"]["date_of_birth"] == "1991-02-03"
    if role == "court":
        # A court's answer to a create says whether she may be someone referred before, always (docs/api.md).
        assert set(case) == CASE_STATUS_KEYS | {"possible_previous_referral"}
        assert case["possible_previous_referral"] is False
        assert set(case["client"]) == CLIENT_STATUS_KEYS
    else:
        assert case["notes"] == "Met at the first hearing."
        assert case["client"]["phone"] == "+447700100123"
        assert case["client"]["email"] == "jo@example.org"
        assert case["consents"] == dict.fromkeys(
            ("support", "share_with_court_cps", "reminders", "equality_monitoring")
        )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"client": {"date_of_birth": FromToday(-17 * 365, iso=True)}}, "client.date_of_birth"),
        ({"return_date": FromToday(-7, iso=True)}, "return_date"),
        ({"return_date": FromToday(-8, iso=True)}, "return_date"),
        ({"urn": "not a urn"}, "urn"),
        ({"urn": "01/AB/1234/26"}, "urn"),
        ({"offence": "MURDER"}, "offence"),
        ({"court": "NOSUCHCOURT"}, "court"),
        ({"client": {"phone": "12"}}, "client.phone"),
        ({"client": {"email": "not an email"}}, "client.email"),
        ({"client": {"email": '=hyperlink("http://evil.example","x")@x.example'}}, "client.email"),
        ({"client": {"given_name": ""}}, "client.given_name"),
        ({"client": {"given_name": "x" * 101}}, "client.given_name"),
    ],
)
def test_intake_rules_answer_422_and_change_nothing(as_role, team, change, field: str) -> None:
    worker = as_role("worker")
    before = (count(Referral), count(Client))
    body = bodies.referral(team.court.code, **on_clock(change))
    error = error_of(worker.post("/referrals", body), 422, "validation_error")
    assert field in error["fields"]
    assert (count(Referral), count(Client)) == before


def test_an_email_address_in_the_wrong_format_is_explained_in_gov_uk_words(as_role, team) -> None:
    body = bodies.referral(team.court.code, client={"email": "name@example"})
    error = error_of(as_role("worker").post("/referrals", body), 422)
    assert error["fields"]["client.email"] == "Enter an email address in the correct format, like name@example.org"


def test_under_18_explains_the_safeguarding_route(as_role, team) -> None:
    dob = date(today().year - 17, today().month, 1).isoformat()
    body = bodies.referral(team.court.code, client={"date_of_birth": dob})
    error = error_of(as_role("court").post("/referrals", body), 422)
    assert "safeguarding" in error["fields"]["client.date_of_birth"]


def test_a_second_open_case_with_the_same_urn_is_409_until_the_first_closes(as_role, team) -> None:
    worker = as_role("worker")
    first = _create(worker, bodies.referral(team.court.code, urn="02/CD/77777/26"))
    before = (count(Referral), count(Client))
    error = error_of(worker.post("/referrals", bodies.referral(team.court.code, urn="02cd7777726")), 409, "conflict")
    assert "urn" in error["fields"]
    assert (count(Referral), count(Client)) == before
    assert worker.post(f"/referrals/{first['id']}/withdraw", {"reason": "Moved away"}).status_code == 200
    assert _create(worker, bodies.referral(team.court.code, urn="02/CD/77777/26"))["state"] == "REFERRED"


# --- lists ---


def test_lists_filter_and_court_users_see_their_own_court_only(as_role, team) -> None:
    worker = as_role("worker")
    mine = _create(worker, bodies.referral(team.court.code, client={"family_name": "O'Brien-Smith"}))
    other = _create(worker, bodies.referral(team.other_court.code))

    def ids(api, query: str = "", search: dict | None = None) -> set[str]:
        response = api.post("/referrals/search", search) if search else api.get("/referrals" + query)
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["next"] is None
        return {item["id"] for item in response.get_json()["items"]}

    assert {mine["id"], other["id"]} <= ids(worker)
    assert {mine["id"], other["id"]} <= ids(as_role("cps"))
    assert ids(as_role("court")) == {mine["id"]}
    assert ids(as_role("court"), f"?court={team.other_court.code}") == set()
    assert ids(worker, f"?court={team.other_court.code.lower()}") == {other["id"]}
    assert ids(worker, search={"urn": mine["urn"].replace("/", " ").lower()}) == {mine["id"]}
    assert ids(worker, "?state=REFERRED") >= {mine["id"], other["id"]}
    assert ids(worker, "?state=COMPLETED") & {mine["id"], other["id"]} == set()
    assert ids(worker, f"?return_date={mine['return_date']}") >= {mine["id"]}
    # The blind index finds her by family name and date of birth, whatever the case and punctuation.
    assert ids(worker, search={"family_name": "obrien smith", "date_of_birth": "1991-02-03"}) == {mine["id"]}
    assert ids(as_role("court"), search={"family_name": "OBRIEN-SMITH", "date_of_birth": "1991-02-03"}) == {mine["id"]}
    assert ids(worker, search={"family_name": "obrien smith", "date_of_birth": "1991-02-04"}) == set()


def test_list_items_are_the_status_shape_for_every_role(as_role, team) -> None:
    _create(as_role("worker"), bodies.referral(team.court.code))
    for role in ("worker", "manager", "court", "cps"):
        items = as_role(role).get("/referrals").get_json()["items"]
        assert items
        for item in items:
            assert set(item) == CASE_STATUS_KEYS - {"appointments"}
            assert set(item["client"]) == CLIENT_STATUS_KEYS


def test_lists_page_with_a_cursor(as_role, team) -> None:
    worker = as_role("worker")
    made = [_create(worker, bodies.referral(team.court.code))["id"] for _ in range(5)]
    seen: list[str] = []
    query = "?limit=2&court=" + team.court.code
    pages = 0
    while True:
        body = worker.get("/referrals" + query).get_json()
        assert len(body["items"]) <= 2
        seen += [item["id"] for item in body["items"]]
        pages += 1
        if body["next"] is None:
            break
        query = f"?limit=2&court={team.court.code}&cursor={body['next']}"
    assert pages == 3
    assert seen == list(reversed(made))


def test_every_cursor_of_the_documented_pattern_is_a_place_in_the_list(as_role, team) -> None:
    # The OpenAPI document gives the cursor's pattern; a text of that pattern no list gave is still a cursor, never
    # refused (docs/api.md, "Paging"), and one that does not match it is 400.
    worker = as_role("worker")
    made = [_create(worker, bodies.referral(team.court.code))["id"] for _ in range(3)]
    (cursor,) = [p for p in DOCUMENT["paths"]["/referrals"]["get"]["parameters"] if p["name"] == "cursor"]
    pattern = cursor["schema"]["pattern"]
    given = worker.get(f"/referrals?limit=1&court={team.court.code}").get_json()["next"]
    assert re.search(pattern, given)

    def listed(cursor: str) -> list[str]:
        response = worker.get(f"/referrals?court={team.court.code}&cursor={cursor}")
        assert response.status_code == 200
        return [item["id"] for item in response.get_json()["items"]]

    assert listed("9" * 16 + "." + "f" * 32) == list(reversed(made))  # a place after every case
    assert listed("0." + "0" * 32) == []  # before every case
    assert listed(given) == list(reversed(made))[1:]
    for unlike in ("1." + "F" * 32, "1-" + "f" * 32, "9" * 17 + "." + "f" * 32, "eyJjIjoi"):
        assert not re.search(pattern, unlike)
        error = error_of(worker.get(f"/referrals?cursor={unlike}"), 400, "validation_error")
        assert error["fields"] == {"cursor": "Not a cursor from this list"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?family_name=Smith", "family_name"),
        ("?date_of_birth=1990-01-01", "date_of_birth"),
        ("?family_name=Smith&date_of_birth=01/01/1990", "date_of_birth"),
        ("?return_date=tomorrow", "return_date"),
        ("?state=LOST", "state"),
        ("?urn=nonsense", "urn"),
        ("?urn=02/CD/12345/26", "urn"),
        ("?cursor=nonsense", "cursor"),
        ("?limit=0", "limit"),
        ("?limit=1000", "limit"),
        ("?limit=" + "9" * 5000, "limit"),
        ("?court=%00", "court"),
    ],
)
def test_unreadable_list_queries_are_400(as_role, query: str, field: str) -> None:
    error = error_of(as_role("cps").get("/referrals" + query), 400, "validation_error")
    assert field in error["fields"]


# --- the case ---


def test_support_staff_see_the_record_and_court_and_cps_the_status(as_role, team) -> None:
    case = _create(as_role("worker"), bodies.referral(team.court.code))
    full = as_role("manager").get(f"/referrals/{case['id']}").get_json()
    assert full["client"]["phone"] == "+447700100123"
    assert full["notes"] == "Met at the first hearing."
    assert full["version"] == 1
    assert full["appointments"] == []
    for role in ("court", "cps"):
        status = as_role(role).get(f"/referrals/{case['id']}").get_json()
        assert set(status) == CASE_STATUS_KEYS
        assert set(status["client"]) == CLIENT_STATUS_KEYS
        assert status["client"] == {key: full["client"][key] for key in CLIENT_STATUS_KEYS}


def test_every_case_answer_says_which_view_it_is_and_the_document_discriminates_on_it(app, as_role, team) -> None:
    """A generated client picks the shape by ``view`` (docs/api.md, "Views"), never by trying one and then the other."""
    case = _create(as_role("worker"), bodies.referral(team.court.code))
    assert case["view"] == "record"
    assert as_role("manager").get(f"/referrals/{case['id']}").get_json()["view"] == "record"
    for role in ("court", "cps"):
        assert as_role(role).get(f"/referrals/{case['id']}").get_json()["view"] == "status"
    for role in ("worker", "court"):
        assert {item["view"] for item in as_role(role).get("/referrals").get_json()["items"]} == {"status"}
    schemas = app.test_client().get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert schemas["Case"]["discriminator"]["propertyName"] == "view"
    assert "oneOf" in schemas["Case"]
    assert "anyOf" not in schemas["Case"]
    assert schemas["CaseRecord"]["properties"]["view"]["enum"] == ["record"]
    assert schemas["CaseStatus"]["properties"]["view"]["enum"] == ["status"]
    assert "view" in schemas["CaseRecord"]["required"]
    assert "view" in schemas["CaseStatus"]["required"]


# --- consent ---


def test_refusing_support_declines_and_withdrawing_it_later_withdraws(as_role, team) -> None:
    worker = as_role("worker")
    declined = _create(worker, bodies.referral(team.court.code))
    response = worker.post(f"/referrals/{declined['id']}/consent", {"purpose": "support", "given": False})
    assert response.status_code == 201
    assert response.get_json()["state"] == "DECLINED"
    assert response.get_json()["given"] is False
    error_of(
        worker.post(f"/referrals/{declined['id']}/consent", {"purpose": "support", "given": True}),
        422,
        "invalid_transition",
    )

    case = _create(worker, bodies.referral(team.court.code))
    for purpose in ("support", "share_with_court_cps"):
        line = worker.post(
            f"/referrals/{case['id']}/consent", {"purpose": purpose, "given": True, "wording_version": "2026-1"}
        ).get_json()
    assert line["state"] == "OPTED_IN"
    assert line["wording_version"] == "2026-1"
    assert worker.get(f"/referrals/{case['id']}").get_json()["consents"]["support"] is True
    withdrawn = worker.post(f"/referrals/{case['id']}/consent", {"purpose": "support", "given": False}).get_json()
    assert withdrawn["state"] == "WITHDRAWN"
    assert worker.get(f"/referrals/{case['id']}").get_json()["consents"]["support"] is False


def test_an_unknown_consent_purpose_or_an_overlong_wording_version_is_422(as_role, team) -> None:
    worker = as_role("worker")
    case = _create(worker, bodies.referral(team.court.code))
    error = error_of(worker.post(f"/referrals/{case['id']}/consent", {"purpose": "x", "given": True}), 422)
    assert "purpose" in error["fields"]
    body = {"purpose": "support", "given": True, "wording_version": "v" * 33}
    error = error_of(worker.post(f"/referrals/{case['id']}/consent", body), 422)
    assert error["fields"] == {"wording_version": "Must be 32 characters or fewer"}
    assert worker.get(f"/referrals/{case['id']}").get_json()["consents"]["support"] is None


# --- re-adjournment and withdrawal ---


def test_readjournment_moves_the_return_date_and_refuses_a_stale_version(as_role, team) -> None:
    worker = as_role("worker")
    case = _create(worker, bodies.referral(team.court.code))
    path = f"/referrals/{case['id']}"
    new_date = (date.fromisoformat(case["return_date"]) + timedelta(days=14)).isoformat()
    moved = worker.patch(path, {"return_date": new_date, "reason": "Re-adjourned", "version": case["version"]})
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["return_date"] == new_date
    assert moved.get_json()["version"] > case["version"]
    later = (date.fromisoformat(new_date) + timedelta(days=7)).isoformat()
    stale = worker.patch(path, {"return_date": later, "reason": "Again", "version": case["version"]})
    error_of(stale, 409, "conflict")
    assert worker.get(path).get_json()["return_date"] == new_date
    current = moved.get_json()["version"]
    error = error_of(
        worker.patch(path, {"return_date": case["first_hearing_date"], "reason": "x", "version": current}), 422
    )
    assert "return_date" in error["fields"]
    error = error_of(worker.patch(path, {"return_date": later, "reason": "x"}), 422)
    assert error["fields"] == {"version": "This field is required"}
    again = worker.patch(path, {"return_date": later, "reason": "Again", "version": current})
    assert again.status_code == 200
    assert again.get_json()["return_date"] == later


def test_withdrawal(as_role, team) -> None:
    worker = as_role("worker")
    case = _create(worker, bodies.referral(team.court.code))
    error = error_of(worker.post(f"/referrals/{case['id']}/withdraw", {"reason": "  "}), 422)
    assert "reason" in error["fields"]
    withdrawn = worker.post(f"/referrals/{case['id']}/withdraw", {"reason": "She moved away"})
    assert withdrawn.status_code == 200
    assert withdrawn.get_json()["state"] == "WITHDRAWN"
    assert withdrawn.get_json()["outcome_date"] == today().isoformat()
    error_of(worker.post(f"/referrals/{case['id']}/withdraw", {"reason": "Again"}), 422, "invalid_transition")

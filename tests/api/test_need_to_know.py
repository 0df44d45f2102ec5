"""Need to know inside a team through the API (docs/organisations.md, "Need to know"; docs/api.md): in a scheme with
the ``assigned`` rule every record endpoint of a colleague's case answers 403 ``reason_required`` and changes
nothing, until ``POST /referrals/{id}/access`` gives a reason; lists show her own and unassigned cases, a search a
colleague's with its identity withheld."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from diversion.auth.tokens import create_api_token
from diversion.extensions import db
from diversion.referrals.models import CaseAccessGrant, Consent
from diversion.referrals.need_to_know import BREAK_GLASS
from tests.api.conftest import Api, count, error_of
from tests.factories import audit_events, create_court, create_referral, create_scheme, create_user, last_audit_id

LONDON = ZoneInfo("Europe/London")
REASON = "Covering court today"


class Assigned:
    """An assigned scheme, two of its support workers (Sam and Ria) and its manager, each with a token, and a case of
    Ria's, one of Sam's and one with no worker."""

    def __init__(self, client) -> None:
        self.scheme = create_scheme(access="assigned")
        self.court = create_court(schemes=[self.scheme])
        self.sam = create_user(role="worker", schemes=[self.scheme])
        self.ria = create_user(role="worker", schemes=[self.scheme])
        self.manager = create_user(role="manager", schemes=[self.scheme])
        self.colleagues = create_referral(
            worker=self.ria,
            court=self.court,
            state="OPTED_IN",
            urn="04/RA/12121/26",
            family_name="Apihidden",
            date_of_birth=date(1990, 1, 2),
        )
        self.own = create_referral(worker=self.sam, court=self.court, state="OPTED_IN")
        self.unassigned = create_referral(worker=self.manager, court=self.court)
        self.client = client

    def api(self, user) -> Api:
        return Api(self.client, create_api_token(user))


@pytest.fixture
def assigned(client, app_ctx) -> Assigned:
    return Assigned(client)


def record_endpoints(referral_id) -> list[tuple[str, str, Any]]:
    return [
        ("GET", f"/referrals/{referral_id}", None),
        ("GET", f"/referrals/{referral_id}/contact-preferences", None),
        ("GET", f"/referrals/{referral_id}/assessment", None),
        ("GET", f"/referrals/{referral_id}/care-plan", None),
        ("POST", f"/referrals/{referral_id}/consent", {"purpose": "reminders", "given": True}),
        ("POST", f"/referrals/{referral_id}/withdraw", {"reason": "She moved away"}),
    ]


def test_every_record_endpoint_of_a_colleagues_case_asks_for_a_reason_and_changes_nothing(assigned) -> None:
    sam = assigned.api(assigned.sam)
    before = last_audit_id()
    consents = count(Consent)
    for method, path, body in record_endpoints(assigned.colleagues.id):
        response = sam.request(method, path, body)
        error = error_of(response, 403, "reason_required")
        assert f"/referrals/{assigned.colleagues.id}/access" in error["message"]
        assert "Apihidden" not in response.get_data(as_text=True)
    assert count(Consent) == consents
    # Nothing was read: no read, and no change, is audited.
    assert audit_events(after=before) == []
    assert count(CaseAccessGrant) == 0


def test_her_own_and_unassigned_cases_open_without_a_reason(assigned) -> None:
    sam = assigned.api(assigned.sam)
    for referral in (assigned.own, assigned.unassigned):
        response = sam.get(f"/referrals/{referral.id}")
        assert response.status_code == 200
        assert response.get_json()["view"] == "record"
        answer = sam.post(f"/referrals/{referral.id}/access", {"reason": REASON})
        assert answer.status_code == 200
        assert answer.get_json() == {"referral_id": str(referral.id), "granted": False, "until": None}
    assert count(CaseAccessGrant) == 0


@pytest.mark.parametrize("body", [{"reason": ""}, {"reason": "   "}, {}, {"reason": "x" * 501}])
def test_an_empty_missing_or_too_long_reason_is_422_and_records_nothing(assigned, body) -> None:
    sam = assigned.api(assigned.sam)
    before = last_audit_id()
    response = sam.post(f"/referrals/{assigned.colleagues.id}/access", body)
    error = error_of(response, 422, "validation_error")
    assert "reason" in error["fields"]
    assert count(CaseAccessGrant) == 0
    assert audit_events(after=before) == []


@pytest.mark.clock("2026-12-01 15:00")
def test_a_reason_opens_the_case_for_the_rest_of_the_day(assigned, clock) -> None:
    sam = assigned.api(assigned.sam)
    path = f"/referrals/{assigned.colleagues.id}"
    answer = sam.post(f"{path}/access", {"reason": REASON})
    assert answer.status_code == 201
    until = datetime(2026, 12, 2, tzinfo=LONDON).astimezone(UTC).isoformat()
    assert answer.get_json() == {"referral_id": str(assigned.colleagues.id), "granted": True, "until": until}
    assert REASON not in answer.get_data(as_text=True)
    [grant] = db.session.scalars(select(CaseAccessGrant)).all()
    assert grant.reason == REASON
    [event] = audit_events(action=BREAK_GLASS)
    assert event.actor_id == assigned.sam.id
    assert REASON not in str(event.details)

    after = last_audit_id()
    record = sam.get(path)
    assert record.status_code == 200
    assert record.get_json()["client"]["family_name"] == "Apihidden"
    [read] = audit_events(case_id=assigned.colleagues.id, action="case.viewed", after=after)
    assert read.details == {"page": "api.referral_detail", "view": "full", "grant": str(grant.id)}
    for method, record_path, body in record_endpoints(assigned.colleagues.id)[:4]:
        assert sam.request(method, record_path, body).status_code in (200, 404), record_path

    # A second reason today records nothing more.
    again = sam.post(f"{path}/access", {"reason": "Still at court"})
    assert again.status_code == 200
    assert again.get_json()["until"] == until
    assert count(CaseAccessGrant) == 1

    clock.move_to(datetime(2026, 12, 2, 9, 0, tzinfo=LONDON))
    error_of(sam.get(path), 403, "reason_required")


def test_managers_are_never_asked(assigned) -> None:
    manager = assigned.api(assigned.manager)
    assert manager.get(f"/referrals/{assigned.colleagues.id}").status_code == 200
    answer = manager.post(f"/referrals/{assigned.colleagues.id}/access", {"reason": REASON})
    assert answer.status_code == 200
    assert answer.get_json()["granted"] is False
    assert count(CaseAccessGrant) == 0


def test_a_worker_of_another_scheme_gets_404_and_court_users_403(assigned) -> None:
    outsider = assigned.api(create_user(role="worker"))
    error_of(outsider.get(f"/referrals/{assigned.colleagues.id}"), 404, "not_found")
    error_of(outsider.post(f"/referrals/{assigned.colleagues.id}/access", {"reason": REASON}), 404, "not_found")
    court = assigned.api(create_user(role="court", court=assigned.court))
    error_of(court.post(f"/referrals/{assigned.colleagues.id}/access", {"reason": REASON}), 403, "forbidden")
    assert count(CaseAccessGrant) == 0


def test_the_list_shows_her_own_and_unassigned_cases_and_a_search_a_colleagues_without_her_identity(
    assigned,
) -> None:
    sam = assigned.api(assigned.sam)
    listed = {item["id"] for item in sam.get(f"/referrals?court={assigned.court.code}").get_json()["items"]}
    assert listed == {str(assigned.own.id), str(assigned.unassigned.id)}

    for search in ({"urn": "04/RA/12121/26"}, {"family_name": "Apihidden", "date_of_birth": "1990-01-02"}):
        [found] = sam.post("/referrals/search", search).get_json()["items"]
        assert found["id"] == str(assigned.colleagues.id)
        assert found["client"] == {
            "id": None,
            "given_name": None,
            "family_name": None,
            "date_of_birth": None,
            "identity_withheld": True,
        }
    # Her manager's list has every case of the scheme, and once Sam has given a reason her search shows her.
    manager = assigned.api(assigned.manager)
    managed = {item["id"] for item in manager.get(f"/referrals?court={assigned.court.code}").get_json()["items"]}
    assert str(assigned.colleagues.id) in managed
    assert sam.post(f"/referrals/{assigned.colleagues.id}/access", {"reason": REASON}).status_code == 201
    [found] = sam.post("/referrals/search", {"urn": "04/RA/12121/26"}).get_json()["items"]
    assert found["client"]["family_name"] == "Apihidden"


def test_in_a_team_scheme_nothing_changes(client, app_ctx) -> None:
    referral = create_referral(worker=create_user(role="worker"))
    colleague = Api(client, create_api_token(create_user(role="worker")))
    assert colleague.get(f"/referrals/{referral.id}").status_code == 200
    answer = colleague.post(f"/referrals/{referral.id}/access", {"reason": REASON})
    assert answer.status_code == 200
    assert answer.get_json()["granted"] is False
    assert count(CaseAccessGrant) == 0

"""API: consent wordings. The current wording of each purpose is listed (GET /consent-wordings); a consent names the
version she was read, an unknown one is refused with 422 and a field error, and agreement to a replaced version is
refused too (docs/api.md, docs/privacy.md)."""

from __future__ import annotations

import pytest

from diversion.extensions import db
from diversion.referrals.models import Consent, ConsentPurpose
from diversion.referrals.wording import current_wordings, publish_wording
from tests.api import bodies
from tests.api.conftest import count, error_of


def _case(api, team):
    response = api.post("/referrals", bodies.referral(team.court.code))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_the_current_wording_of_each_purpose_is_listed(as_role) -> None:
    body = as_role("worker").get("/consent-wordings").get_json()
    assert body["next"] is None
    assert [item["purpose"] for item in body["items"]] == [purpose.value for purpose in ConsentPurpose]
    assert {item["version"] for item in body["items"]} == {"2026-1"}
    support = body["items"][0]
    assert support["text"].startswith("I agree to take part in the diversion scheme")
    assert support["published_at"].startswith("2026-11-29")


def test_a_new_version_is_listed_once_published(as_role, team) -> None:
    publish_wording("reminders", "I agree to text reminders of my appointments.", team.user("manager"), based_on=None)
    items = {item["purpose"]: item for item in as_role("manager").get("/consent-wordings").get_json()["items"]}
    assert items["reminders"]["version"] == "2026-2"
    assert items["reminders"]["text"] == "I agree to text reminders of my appointments."
    assert items["support"]["version"] == "2026-1"


@pytest.mark.parametrize("role", ["court", "cps", "admin"])
def test_only_support_staff_may_list_the_wordings(as_role, role) -> None:
    error_of(as_role(role).get("/consent-wordings"), 403)


@pytest.mark.parametrize("version", ["v99", "2026-2", "2025-1", ""])
def test_an_unknown_wording_version_is_422_with_a_field_error_and_records_nothing(as_role, team, version) -> None:
    worker = as_role("worker")
    case = _case(worker, team)
    before = count(Consent)
    body = {"purpose": "support", "given": True, "wording_version": version}
    error = error_of(worker.post(f"/referrals/{case['id']}/consent", body), 422, "validation_error")
    assert set(error["fields"]) == {"wording_version"}
    assert "2026-1" in error["fields"]["wording_version"], "the message names the current version"
    assert count(Consent) == before
    assert worker.get(f"/referrals/{case['id']}").get_json()["consents"]["support"] is None


def test_the_line_points_at_the_version_named_or_the_current_one(as_role, team) -> None:
    worker = as_role("worker")
    case = _case(worker, team)
    named = worker.post(
        f"/referrals/{case['id']}/consent", {"purpose": "support", "given": True, "wording_version": "2026-1"}
    ).get_json()
    assert named["wording_version"] == "2026-1"
    publish_wording(
        "share_with_court_cps",
        "I agree that the court and the CPS are told if I attend.",
        team.user("manager"),
        based_on=None,
    )
    unnamed = worker.post(f"/referrals/{case['id']}/consent", {"purpose": "share_with_court_cps", "given": True})
    assert unnamed.status_code == 201
    assert unnamed.get_json()["wording_version"] == "2026-2"
    line = db.session.get(Consent, unnamed.get_json()["id"])
    assert line.wording_id == current_wordings()[ConsentPurpose.SHARE_WITH_COURT_CPS].id


def test_agreement_to_a_replaced_version_is_422_and_a_refusal_on_it_is_recorded(as_role, team) -> None:
    worker = as_role("worker")
    case = _case(worker, team)
    publish_wording("support", "I agree to meet a support worker.", team.user("manager"), based_on=None)
    before = count(Consent)
    body = {"purpose": "support", "given": True, "wording_version": "2026-1"}
    error = error_of(worker.post(f"/referrals/{case['id']}/consent", body), 422, "validation_error")
    assert set(error["fields"]) == {"wording_version"}
    assert "2026-2" in error["message"]
    assert count(Consent) == before
    refused = worker.post(
        f"/referrals/{case['id']}/consent", {"purpose": "support", "given": False, "wording_version": "2026-1"}
    )
    assert refused.status_code == 201
    assert refused.get_json()["wording_version"] == "2026-1"
    assert refused.get_json()["state"] == "DECLINED"

"""API: consent wordings. GET /consent-wordings lists the words a new case of each of the caller's schemes is read,
or a named case's (its programme version's); a consent names the version she was read, an unknown one is refused
with 422 and a field error, and agreement to any version but the case's is refused too (docs/api.md,
docs/privacy.md)."""

from __future__ import annotations

import uuid

import pytest

from diversion.extensions import db
from diversion.organisations.services import new_programme_version
from diversion.referrals.models import Consent, ConsentPurpose
from tests.api import bodies
from tests.api.conftest import count, error_of
from tests.factories import create_scheme, current_wordings, main_scheme


def _case(api, team):
    response = api.post("/referrals", bodies.referral(team.court.code))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _publish(purpose: str, text: str, manager, scheme=None) -> None:
    new_programme_version(scheme or main_scheme(), {}, manager, wordings={purpose: text})


def test_the_wording_of_each_purpose_is_listed(as_role) -> None:
    body = as_role("worker").get("/consent-wordings").get_json()
    assert body["next"] is None
    assert [item["purpose"] for item in body["items"]] == [purpose.value for purpose in ConsentPurpose]
    assert {item["version"] for item in body["items"]} == {"2026-1"}
    assert {item["scheme"] for item in body["items"]} == {main_scheme().slug}
    support = body["items"][0]
    assert support["text"].startswith("I agree to take part in the diversion scheme")
    assert support["published_at"].startswith("2026-11-29")


def test_a_new_version_is_listed_once_published(as_role, team) -> None:
    _publish("reminders", "I agree to text reminders of my appointments.", team.user("manager"))
    items = {item["purpose"]: item for item in as_role("manager").get("/consent-wordings").get_json()["items"]}
    assert items["reminders"]["version"] == "2026-2"
    assert items["reminders"]["text"] == "I agree to text reminders of my appointments."
    assert items["support"]["version"] == "2026-1"


def test_a_case_named_lists_the_words_of_its_version(as_role, team) -> None:
    worker = as_role("worker")
    case = _case(worker, team)
    _publish("reminders", "I agree to text reminders of my appointments.", team.user("manager"))
    items = worker.get(f"/consent-wordings?referral_id={case['id']}").get_json()["items"]
    assert {item["purpose"]: item["version"] for item in items}["reminders"] == "2026-1"
    error_of(worker.get(f"/consent-wordings?referral_id={uuid.uuid4()}"), 404)
    error_of(worker.get("/consent-wordings?referral_id=not-an-id"), 400)


def test_a_worker_of_two_schemes_sees_the_words_of_each(client, team) -> None:
    other = create_scheme()
    _publish("support", "I agree to meet a support worker.", team.user("manager"), scheme=other)
    worker = team.user("worker")
    worker.schemes.append(other)
    db.session.flush()
    items = team.api(client, "worker").get("/consent-wordings").get_json()["items"]
    words = {(item["scheme"], item["purpose"]): item["version"] for item in items}
    assert len(items) == 8
    assert words[(main_scheme().slug, "support")] == "2026-1"
    assert words[(other.slug, "support")] == "2026-2"


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
    assert "2026-1" in error["fields"]["wording_version"], "the message names the case's version"
    assert count(Consent) == before
    assert worker.get(f"/referrals/{case['id']}").get_json()["consents"]["support"] is None


def test_the_line_points_at_the_version_named_or_the_cases(as_role, team) -> None:
    worker = as_role("worker")
    case = _case(worker, team)
    named = worker.post(
        f"/referrals/{case['id']}/consent", {"purpose": "support", "given": True, "wording_version": "2026-1"}
    ).get_json()
    assert named["wording_version"] == "2026-1"
    _publish("share_with_court_cps", "I agree that the court and the CPS are told if I attend.", team.user("manager"))
    # The case keeps the words of the version it started under.
    unnamed = worker.post(f"/referrals/{case['id']}/consent", {"purpose": "share_with_court_cps", "given": True})
    assert unnamed.status_code == 201
    assert unnamed.get_json()["wording_version"] == "2026-1"
    # A case taken after the change is read the new words.
    later = _case(worker, team)
    newer = worker.post(f"/referrals/{later['id']}/consent", {"purpose": "share_with_court_cps", "given": True})
    assert newer.get_json()["wording_version"] == "2026-2"
    line = db.session.get(Consent, newer.get_json()["id"])
    assert line.wording_id == current_wordings()[ConsentPurpose.SHARE_WITH_COURT_CPS].id


def test_agreement_to_a_version_not_the_cases_is_422_and_a_refusal_on_it_is_recorded(as_role, team) -> None:
    worker = as_role("worker")
    _publish("support", "I agree to meet a support worker.", team.user("manager"))
    case = _case(worker, team)
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

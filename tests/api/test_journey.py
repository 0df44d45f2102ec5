"""A case walked from referral to COMPLETED through the API alone."""

from __future__ import annotations

from tests.api import bodies


def test_a_case_walks_to_completed_through_the_api(as_role, team) -> None:
    worker = as_role("worker")
    created = worker.post("/referrals", bodies.referral(team.court.code))
    assert created.status_code == 201, created.get_json()
    case = created.get_json()
    case_id = case["id"]
    assert created.headers["Location"] == f"/api/v1/referrals/{case_id}"
    assert case["state"] == "REFERRED"
    assert case["version"] == 1

    for purpose in ("support", "share_with_court_cps"):
        consent = worker.post(f"/referrals/{case_id}/consent", {"purpose": purpose, "given": True})
        assert consent.status_code == 201, consent.get_json()
    assert consent.get_json()["state"] == "OPTED_IN"

    first = worker.post(f"/referrals/{case_id}/appointments", bodies.past_booking(1, days_ago=3))
    assert first.status_code == 201, first.get_json()
    outcome = worker.post(f"/appointments/{first.get_json()['id']}/outcome", {"outcome": "attended"})
    assert outcome.status_code == 200, outcome.get_json()
    assert outcome.get_json()["outcome"] == "attended"

    saved = worker.put(f"/referrals/{case_id}/assessment", bodies.assessment())
    assert saved.status_code == 200, saved.get_json()
    assert worker.get(f"/referrals/{case_id}").get_json()["state"] == "ASSESSED"

    second = worker.post(f"/referrals/{case_id}/appointments", bodies.past_booking(2, days_ago=1))
    assert second.status_code == 201, second.get_json()
    outcome = worker.post(f"/appointments/{second.get_json()['id']}/outcome", {"outcome": "attended_late"})
    assert outcome.status_code == 200, outcome.get_json()

    plan = worker.put(f"/referrals/{case_id}/care-plan", bodies.care_plan(agreed=True))
    assert plan.status_code == 200, plan.get_json()
    assert plan.get_json()["agreed"] is True

    final = worker.get(f"/referrals/{case_id}").get_json()
    assert final["state"] == "COMPLETED"
    assert final["outcome_date"] is not None
    assert [(item["number"], item["outcome"]) for item in final["appointments"]] == [
        (1, "attended"),
        (2, "attended_late"),
    ]
    # The court that referred sees the same journey, as status.
    status = as_role("court").get(f"/referrals/{case_id}").get_json()
    assert status["state"] == "COMPLETED"
    assert set(status["client"]) == {"id", "given_name", "family_name", "date_of_birth"}

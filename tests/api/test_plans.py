"""The needs assessment and the Care Action Plan through the API: all twelve domains, the programme's order, and
optimistic locks."""

from __future__ import annotations

import uuid

from diversion.assessments.models import Assessment, Domain
from diversion.care_plans.models import CarePlan
from diversion.extensions import db
from diversion.referrals.models import Referral
from tests.api import bodies
from tests.api.conftest import case_in, count, error_of


def test_the_assessment_is_saved_read_back_and_moves_the_case_on(as_role, team) -> None:
    case = case_in("OPTED_IN", court=team.court, worker=team.worker, appointment="attended")
    worker = as_role("worker")
    error_of(worker.get(f"/referrals/{case.id}/assessment"), 404, "not_found")
    body = bodies.assessment(need=3, score=2, notes="Sleeping in a car", risk_notes="Partner is violent")
    body["exploitation_indicators"] = ["threats", "controlled_money"]
    saved = worker.put(f"/referrals/{case.id}/assessment", body)
    assert saved.status_code == 200, saved.get_json()
    record = saved.get_json()
    assert record["version"] == 1
    assert set(record["domains"]) == {domain.value for domain in Domain}
    assert record["domains"]["accommodation"] == {"need": 3, "score": 2, "notes": "Sleeping in a car"}
    assert record["risk_notes"] == "Partner is violent"
    assert sorted(record["exploitation_indicators"]) == ["controlled_money", "threats"]
    assert record["has_safeguarding_flag"] is True
    assert as_role("manager").get(f"/referrals/{case.id}/assessment").get_json() == record
    assert worker.get(f"/referrals/{case.id}").get_json()["state"] == "ASSESSED"


def test_every_domain_is_required_and_levels_are_checked(as_role, team) -> None:
    case = case_in("OPTED_IN", court=team.court, worker=team.worker, appointment="attended")
    worker = as_role("worker")
    body = bodies.assessment()
    del body["domains"]["exiting"]
    body["domains"]["drugs"]["need"] = 4
    body["domains"]["alcohol"]["score"] = 0
    error = error_of(worker.put(f"/referrals/{case.id}/assessment", body), 422, "validation_error")
    assert {"domains.exiting", "domains.drugs.need", "domains.alcohol.score"} <= set(error["fields"])
    body = bodies.assessment()
    body["domains"]["astrology"] = {"need": 1, "score": 1}
    error = error_of(worker.put(f"/referrals/{case.id}/assessment", body), 422)
    assert "domains.astrology" in error["fields"]
    error = error_of(
        worker.put(f"/referrals/{case.id}/assessment", bodies.assessment(exploitation_indicators=["x"])), 422
    )
    assert "exploitation_indicators.0" in error["fields"], "the item, by its place in the list"
    assert count(Assessment) == 0


def test_the_assessment_waits_for_appointment_1(as_role, team) -> None:
    case = case_in("OPTED_IN", court=team.court, worker=team.worker, appointment="booked")
    error_of(as_role("worker").put(f"/referrals/{case.id}/assessment", bodies.assessment()), 422, "invalid_transition")
    assert count(Assessment) == 0


def test_a_stale_assessment_version_is_409_and_saves_nothing(as_role, team) -> None:
    case = case_in("ASSESSED", court=team.court, worker=team.worker)
    worker = as_role("worker")
    current = worker.get(f"/referrals/{case.id}/assessment").get_json()
    error_of(worker.put(f"/referrals/{case.id}/assessment", bodies.assessment(need=0)), 409, "conflict")
    error_of(worker.put(f"/referrals/{case.id}/assessment", bodies.assessment(need=0, version=99)), 409, "conflict")
    assert worker.get(f"/referrals/{case.id}/assessment").get_json()["domains"] == current["domains"]
    updated = worker.put(f"/referrals/{case.id}/assessment", bodies.assessment(need=0, version=current["version"]))
    assert updated.status_code == 200
    assert updated.get_json()["version"] == current["version"] + 1


def test_the_plan_is_saved_then_agreed_and_a_stale_version_is_409(as_role, team) -> None:
    case = case_in("ASSESSED", court=team.court, worker=team.worker)
    worker = as_role("worker")
    error_of(worker.get(f"/referrals/{case.id}/care-plan"), 404)
    draft = worker.put(f"/referrals/{case.id}/care-plan", bodies.care_plan(agreed=False, notes="Draft"))
    assert draft.status_code == 200, draft.get_json()
    plan = draft.get_json()
    assert plan["agreed"] is False
    assert plan["goals"][0]["actions"][0] == {
        "text": "See the housing team",
        "owner": "worker",
        "due_date": None,
        "status": "to_do",
    }
    assert plan["onward_referrals"] == [{"service": "housing", "status": "made"}]
    assert plan["notes"] == "Draft"
    error_of(worker.put(f"/referrals/{case.id}/care-plan", bodies.care_plan(agreed=False)), 409, "conflict")
    # Agreement needs appointment 2 attended.
    error_of(
        worker.put(f"/referrals/{case.id}/care-plan", bodies.care_plan(agreed=True, version=plan["version"])),
        422,
        "invalid_transition",
    )
    db.session.expire_all()
    assert db.session.get(CarePlan, uuid.UUID(plan["id"])).is_agreed is False
    assert db.session.get(Referral, case.id).state == "ASSESSED"


def test_plan_rules_answer_422(as_role, team) -> None:
    case = case_in("ASSESSED", court=team.court, worker=team.worker)
    worker = as_role("worker")
    body = bodies.care_plan(agreed=False)
    body["goals"][0]["domain"] = "astrology"
    body["goals"][0]["actions"][0]["owner"] = "nobody"
    body["onward_referrals"][0]["service"] = "spa"
    error = error_of(worker.put(f"/referrals/{case.id}/care-plan", body), 422)
    assert {"goals.0.domain", "goals.0.actions.0.owner", "onward_referrals.0.service"} <= set(error["fields"])
    error = error_of(worker.put(f"/referrals/{case.id}/care-plan", bodies.care_plan(goals=[])), 422)
    assert "goals" in error["fields"]
    assert count(CarePlan) == 0

"""Answers to the decisions that end a case (a withdrawal, a consent that declines or withdraws her, the plan save
that completes) carry the case's new state and the id of the outcome notice they made (docs/confirmations.md); the
rules are those of the first edition, and every answer matches its documented schema."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from diversion.api.openapi import DOCUMENT
from diversion.extensions import db
from diversion.notices.models import OutcomeNotice
from diversion.referrals.models import Referral
from tests.api import bodies
from tests.api.conftest import case_in, count, error_of
from tests.factories import attend, book


def conforms(name: str, body: dict) -> None:
    """The body matches the component schema ``name`` of the OpenAPI document."""
    schemas = DOCUMENT["components"]["schemas"]
    validator = Draft202012Validator({"components": {"schemas": schemas}, **schemas[name]})
    problems = [error.message for error in validator.iter_errors(body)]
    assert not problems, problems


def inbox_ids(as_role) -> list[str]:
    """The ids of the notices in the CPS's inbox."""
    return [item["id"] for item in as_role("cps").get("/notices").get_json()["items"]]


def test_a_withdrawal_answers_with_the_state_and_the_notice_the_cps_sees(as_role, team) -> None:
    case = case_in("OPTED_IN", court=team.court, worker=team.worker)
    answer = as_role("worker").post(f"/referrals/{case.id}/withdraw", {"reason": "She moved away"})
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["state"] == "WITHDRAWN"
    assert body["notice_id"] is not None
    assert inbox_ids(as_role) == [body["notice_id"]]
    assert body["id"] == str(case.id)
    conforms("EndedCase", body)
    # A second withdrawal is refused as before, and makes no second notice.
    error_of(as_role("worker").post(f"/referrals/{case.id}/withdraw", {"reason": "Again"}), 422, "invalid_transition")
    assert count(OutcomeNotice) == 1


@pytest.mark.parametrize("purpose", ["support", "share_with_court_cps"])
def test_a_consent_that_withdraws_her_answers_with_the_notice(as_role, team, purpose) -> None:
    case = case_in("OPTED_IN", court=team.court, worker=team.worker)
    answer = as_role("worker").post(f"/referrals/{case.id}/consent", {"purpose": purpose, "given": False})
    assert answer.status_code == 201
    body = answer.get_json()
    assert (body["state"], body["given"]) == ("WITHDRAWN", False)
    assert body["notice_id"] == inbox_ids(as_role)[0]
    conforms("ConsentLine", body)


def test_a_consent_that_declines_or_opts_in_makes_no_notice(as_role, team) -> None:
    worker = as_role("worker")
    declined = case_in("REFERRED", court=team.court, worker=team.worker)
    body = worker.post(f"/referrals/{declined.id}/consent", {"purpose": "support", "given": False}).get_json()
    assert (body["state"], body["notice_id"]) == ("DECLINED", None)
    conforms("ConsentLine", body)
    opted = case_in("REFERRED", court=team.court, worker=team.worker)
    worker.post(f"/referrals/{opted.id}/consent", {"purpose": "support", "given": True})
    body = worker.post(f"/referrals/{opted.id}/consent", {"purpose": "share_with_court_cps", "given": True}).get_json()
    assert (body["state"], body["notice_id"]) == ("OPTED_IN", None)
    # On a case already final, withdrawing a consent changes no state and makes no notice.
    withdrawn = case_in("WITHDRAWN", court=team.court, worker=team.worker)
    body = worker.post(f"/referrals/{withdrawn.id}/consent", {"purpose": "reminders", "given": False}).get_json()
    assert (body["state"], body["notice_id"]) == ("WITHDRAWN", None)
    assert count(OutcomeNotice) == 1


def test_the_plan_save_that_completes_answers_with_the_state_and_the_notice(as_role, team) -> None:
    case = case_in("ASSESSED", court=team.court, worker=team.worker)
    attend(appointment=book(referral=case, worker=team.worker, number=2), worker=team.worker)
    worker = as_role("worker")
    draft = worker.put(f"/referrals/{case.id}/care-plan", bodies.care_plan(agreed=False)).get_json()
    assert (draft["state"], draft["notice_id"]) == ("ASSESSED", None)
    conforms("CarePlanSaved", draft)
    saved = worker.put(f"/referrals/{case.id}/care-plan", bodies.care_plan(agreed=True, version=draft["version"]))
    assert saved.status_code == 200
    body = saved.get_json()
    assert body["state"] == "COMPLETED"
    assert body["notice_id"] == inbox_ids(as_role)[0]
    conforms("CarePlanSaved", body)
    # Saved again once complete: the notice was made by the save before, not this one.
    again = worker.put(f"/referrals/{case.id}/care-plan", bodies.care_plan(agreed=True, version=body["version"]))
    assert (again.get_json()["state"], again.get_json()["notice_id"]) == ("COMPLETED", None)
    assert db.session.get(Referral, case.id).state == "COMPLETED"
    # The plan read back keeps its own shape: the state and notice belong to the save's answer.
    conforms("CarePlan", worker.get(f"/referrals/{case.id}/care-plan").get_json())


def test_the_document_names_the_new_fields_on_each_answer() -> None:
    paths = DOCUMENT["paths"]
    schemas = DOCUMENT["components"]["schemas"]

    def answer(path: str, method: str, status: str) -> str:
        return paths[path][method]["responses"][status]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]

    assert answer("/referrals/{referral_id}/withdraw", "post", "200") == "EndedCase"
    assert answer("/referrals/{referral_id}/consent", "post", "201") == "ConsentLine"
    assert answer("/referrals/{referral_id}/care-plan", "put", "200") == "CarePlanSaved"
    for name in ("EndedCase", "ConsentLine", "CarePlanSaved"):
        assert {"state", "notice_id"} <= set(schemas[name]["required"]), name

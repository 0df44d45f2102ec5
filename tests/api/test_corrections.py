"""Corrections through the API (docs/reversals.md): when a manager reverses a withdrawal, the CPS's list shows the
correction, with ``corrects`` naming the notice it corrects (and ``returned_to`` the case's state), and no longer
the superseded notice; the correction is acknowledged with no decision; the superseded notice cannot be acknowledged;
every answer matches its documented schema."""

from __future__ import annotations

from jsonschema import Draft202012Validator
from sqlalchemy import select

from diversion.api.openapi import DOCUMENT
from diversion.audit.models import AuditEvent
from diversion.extensions import db
from diversion.notices.models import OutcomeNotice
from diversion.referrals import reversals
from diversion.referrals.models import Referral
from tests.api.conftest import count, error_of
from tests.factories import create_referral, create_user

REASON = "Recorded against the wrong case."


def conforms(name: str, body: dict) -> None:
    """The body matches the component schema ``name`` of the OpenAPI document."""
    schemas = DOCUMENT["components"]["schemas"]
    validator = Draft202012Validator({"components": {"schemas": schemas}, **schemas[name]})
    problems = [error.message for error in validator.iter_errors(body)]
    assert not problems, problems


def notices_of(referral) -> list[OutcomeNotice]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(OutcomeNotice)
            .where(OutcomeNotice.referral_id == referral.id)
            .order_by(OutcomeNotice.corrects_id.is_not(None))
        )
    )


def corrected_case(team):
    """A withdrawn case whose withdrawal a manager reversed: the case, its superseded notice and the correction."""
    referral = create_referral(state="WITHDRAWN", court=team.court, worker=team.worker)
    manager = create_user(role="manager")
    db.session.expire_all()
    case = db.session.get(Referral, referral.id)
    reversals.reverse_decision(case, REASON, manager, version=case.version)
    original, correction = notices_of(referral)
    return referral, original, correction


def test_the_cps_list_shows_the_correction_naming_the_notice_it_corrects(as_role, team) -> None:
    referral, original, correction = corrected_case(team)
    for role in ("cps", "manager", "court"):
        body = as_role(role).get("/notices").get_json()
        conforms("NoticeList", body)
        ids = [item["id"] for item in body["items"]]
        assert str(original.id) not in ids, role
        (item,) = [item for item in body["items"] if item["id"] == str(correction.id)]
        assert item["corrects"] == str(original.id)
        assert item["returned_to"] == "OPTED_IN"
        assert item["outcome"] == "withdrawn"
        assert item["superseded_at"] is None
        assert item["referral_id"] == str(referral.id)
        assert item["given_name"] == referral.client.given_name


def test_a_notice_that_corrects_nothing_says_so(as_role, team) -> None:
    create_referral(state="WITHDRAWN", court=team.court, worker=team.worker)
    (item,) = as_role("cps").get("/notices").get_json()["items"]
    assert item["corrects"] is None
    assert item["returned_to"] is None


def test_the_correction_is_acknowledged_without_a_decision(as_role, team) -> None:
    _, _, correction = corrected_case(team)
    api = as_role("cps")
    path = f"/notices/{correction.id}/acknowledge"
    before = count(AuditEvent)
    refused = error_of(api.post(path, {"decision": "proceeding", "decided_on": "2026-12-01"}), 422)
    assert "needs no decision" in refused["message"]
    assert count(AuditEvent) == before, "a refused request changes nothing"
    answer = api.post(path, {"decided_on": "2026-12-01"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    conforms("Notice", body)
    assert body["corrects"] is not None
    assert body["decision"] is None
    assert body["acknowledged_at"] is not None
    listed = api.get("/notices?status=acknowledged").get_json()["items"]
    assert [item["id"] for item in listed] == [str(correction.id)]


def test_the_superseded_notice_cannot_be_acknowledged(as_role, team) -> None:
    _, original, _ = corrected_case(team)
    api = as_role("cps")
    before = (count(AuditEvent), notices_of(original.referral)[0].version)
    refused = error_of(
        api.post(f"/notices/{original.id}/acknowledge", {"decision": "proceeding", "decided_on": "2026-12-01"}), 409
    )
    assert "corrected" in refused["message"]
    assert (count(AuditEvent), notices_of(original.referral)[0].version) == before
    assert notices_of(original.referral)[0].acknowledged_at is None


def test_a_notice_still_needs_its_decision(as_role, team) -> None:
    create_referral(state="WITHDRAWN", court=team.court, worker=team.worker)
    (item,) = as_role("cps").get("/notices").get_json()["items"]
    refused = error_of(as_role("cps").post(f"/notices/{item['id']}/acknowledge", {"decided_on": "2026-12-01"}), 422)
    assert "decision" in refused.get("fields", {}) or "decision" in refused["message"].lower()


def test_the_document_describes_corrects() -> None:
    notice = DOCUMENT["components"]["schemas"]["Notice"]
    assert "corrects" in notice["required"]
    assert "the id of the notice it corrects" in notice["properties"]["corrects"]["description"]
    assert DOCUMENT["components"]["schemas"]["AcknowledgeInput"]["required"] == ["decided_on"]
    listing = DOCUMENT["paths"]["/notices"]["get"]["description"]
    assert "`corrects`" in listing

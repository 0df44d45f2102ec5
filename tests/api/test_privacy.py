"""Court and CPS never see support content, and their reads never load it; every read of a case is audited."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, select

from diversion.audit.models import AuditEvent
from diversion.dates import today
from diversion.extensions import db
from tests.api import bodies
from tests.api.conftest import error_of

# Columns court and CPS users must never have loaded, as they appear in SQL (tables may be aliased: clients_1).
FORBIDDEN_COLUMNS = re.compile(
    r"\b(clients(_\d+)?\.(phone|email|address|safe_contact|gp|aliases)"
    r"|referrals(_\d+)?\.(notes|consent_scope|withdrawal_reason|assigned_worker_id)"
    r"|appointments(_\d+)?\.(notes|location|override_reason|rebook_reason))\b"
    r"|\b(assessments|assessment_domains|care_plans|care_plan_goals|care_plan_actions|consents)\b",
    re.IGNORECASE,
)
# The one read of the consent ledger allowed for them: whether she withdrew consent to share with the court and the
# CPS and has not given it again since a manager's reversal (two EXISTS that hand back no column of the ledger), which
# decides whether they may see her identity.
SHARING_CHECK = re.compile(
    r"EXISTS \(SELECT \*\s+FROM consents\s+WHERE consents\.referral_id = referrals\.id"
    r" AND consents\.purpose = \S+ AND (\(consents\.is_given IS \w+ OR consents\.withdrawn_at IS NOT NULL\)"
    r"|consents\.is_given IS \w+ AND consents\.withdrawn_at IS NULL)\)",
    re.IGNORECASE,
)


def leaked(statement: str) -> bool:
    """True when a statement loads a column court and CPS users must never have loaded."""
    return FORBIDDEN_COLUMNS.search(SHARING_CHECK.sub("", statement)) is not None


@contextmanager
def statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def listen(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def _canary(label: str) -> str:
    return f"Canary{label}{secrets.token_hex(6)}"


def _planted_case(as_role, team) -> tuple[str, list[str]]:
    """A completed case with a different canary in every piece of support content, created through the API."""
    worker = as_role("worker")
    phone_digits = f"{secrets.randbelow(10**5):05d}"
    canaries = {
        "notes": _canary("Notes"),
        "email": _canary("Email").lower() + "@example.org",
        "domain_notes": _canary("Domain"),
        "risk": _canary("Risk"),
        "appointment": _canary("Attendance"),
        "goal": _canary("Goal"),
        "action": _canary("Action"),
        "plan_notes": _canary("PlanNotes"),
    }
    body = bodies.referral(
        team.court.code,
        notes=canaries["notes"],
        client={"phone": f"07700 1{phone_digits}", "email": canaries["email"]},
    )
    case = worker.post("/referrals", body).get_json()
    case_id = case["id"]
    for purpose in ("support", "share_with_court_cps"):
        worker.post(f"/referrals/{case_id}/consent", {"purpose": purpose, "given": True})
    first = worker.post(
        f"/referrals/{case_id}/appointments", bodies.past_booking(1, 3, location="Safe house")
    ).get_json()
    worker.post(f"/appointments/{first['id']}/outcome", {"outcome": "attended", "notes": canaries["appointment"]})
    assessment = bodies.assessment(notes=canaries["domain_notes"], risk_notes=canaries["risk"])
    assessment["exploitation_indicators"] = ["coerced_drug_use"]
    assert worker.put(f"/referrals/{case_id}/assessment", assessment).status_code == 200
    second = worker.post(f"/referrals/{case_id}/appointments", bodies.past_booking(2, 1)).get_json()
    worker.post(f"/appointments/{second['id']}/outcome", {"outcome": "attended"})
    plan = bodies.care_plan(agreed=True, text=canaries["goal"], notes=canaries["plan_notes"])
    plan["goals"][0]["actions"][0]["text"] = canaries["action"]
    assert worker.put(f"/referrals/{case_id}/care-plan", plan).status_code == 200
    secrets_list = [*canaries.values(), f"7700 1{phone_digits}", f"77001{phone_digits}", "Safe house", "coerced_drug"]
    return case_id, secrets_list


def _notice_id(api, case_id: str) -> str:
    """The id of the case's outcome notice, from the list (a completed case has one)."""
    (notice,) = [item for item in api.get("/notices").get_json()["items"] if item["referral_id"] == case_id]
    return notice["id"]


def _acknowledgement(api, case_id: str):
    """The CPS's decision on the case's notice, and the answer."""
    body = {"decision": "discontinued", "decided_on": today().isoformat()}
    response = api.post(f"/notices/{_notice_id(api, case_id)}/acknowledge", body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def test_court_and_cps_answers_never_carry_support_content(as_role, team) -> None:
    case_id, planted = _planted_case(as_role, team)
    worker_view = as_role("worker").get(f"/referrals/{case_id}").get_data(as_text=True)
    assert planted[0] in worker_view  # the canaries are really there for support staff
    for role in ("court", "cps"):
        api = as_role(role)
        searched = api.post("/referrals/search", {"urn": bodies.new_urn()})
        for path, response in [
            (path, api.get(path)) for path in (f"/referrals/{case_id}", "/referrals", "/notices")
        ] + [("/referrals/search", searched)]:
            assert response.status_code == 200
            raw = response.get_data()
            for canary in planted:
                assert canary.lower().encode() not in raw.lower(), (role, path, canary)
        for path in (f"/referrals/{case_id}/assessment", f"/referrals/{case_id}/care-plan"):
            response = api.get(path)
            error_of(response, 403)
            assert all(canary.encode() not in response.get_data() for canary in planted)
    completed = as_role("cps").get(f"/referrals/{case_id}").get_json()
    assert completed["state"] == "COMPLETED"
    # The notice, as the CPS's decision answers it and as every role that may list notices then sees it.
    answers = [_acknowledgement(as_role("cps"), case_id)]
    answers += [as_role(role).get("/notices?status=acknowledged") for role in ("court", "cps", "manager")]
    for response in answers:
        assert response.status_code == 200
        assert [item["referral_id"] for item in response.get_json().get("items", [response.get_json()])] == [case_id]
        for canary in planted:
            assert canary.lower().encode() not in response.get_data().lower(), (response.request.path, canary)


def test_court_and_cps_reads_load_only_the_status_columns(as_role, team) -> None:
    case_id, _ = _planted_case(as_role, team)
    for role in ("court", "cps"):
        api = as_role(role)
        with statements() as seen:
            assert api.get(f"/referrals/{case_id}").status_code == 200
            assert api.get("/referrals").status_code == 200
            assert api.post("/referrals/search", {"family_name": "x", "date_of_birth": "1991-02-03"}).status_code == 200
            assert api.get("/notices").status_code == 200
            assert api.get("/notices?status=acknowledged").status_code == 200
        reads = [statement for statement in seen if statement.lstrip().upper().startswith("SELECT")]
        assert any("referrals" in statement for statement in reads)
        assert any("outcome_notices" in statement for statement in reads)
        leaks = [statement for statement in reads if leaked(statement)]
        assert leaks == [], leaks
    with statements() as seen:
        _acknowledgement(as_role("cps"), case_id)
    reads = [statement for statement in seen if statement.lstrip().upper().startswith("SELECT")]
    assert any("outcome_notices" in statement for statement in reads)
    leaks = [statement for statement in reads if leaked(statement)]
    assert leaks == [], leaks
    # The check can fail: a worker's read does load contact details.
    with statements() as seen:
        as_role("worker").get(f"/referrals/{case_id}")
    assert any(leaked(statement) for statement in seen)


def _viewed() -> list[AuditEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(AuditEvent).where(AuditEvent.action == "case.viewed").order_by(AuditEvent.id))
    )


def test_every_read_of_a_case_is_audited_with_ids_only(as_role, team) -> None:
    case_id, planted = _planted_case(as_role, team)
    apis = {role: as_role(role) for role in ("worker", "manager", "court", "cps")}
    before = len(_viewed())
    # The page is the endpoint that answered; the object is the case whatever part of it was read.
    reads = [
        ("worker", f"/referrals/{case_id}", "api.referral_detail", "full"),
        ("court", f"/referrals/{case_id}", "api.referral_detail", "status"),
        ("cps", "/referrals?court=" + team.court.code, "api.referrals", "list"),
        ("court", "/notices", "api.notices", "status"),
        ("worker", f"/referrals/{case_id}/assessment", "api.get_assessment", "full"),
        ("manager", f"/referrals/{case_id}/care-plan", "api.get_care_plan", "full"),
    ]
    for role, path, page, view in reads:
        response = apis[role].get(path)
        assert response.status_code == 200
        event = _viewed()[-1]
        assert (str(event.case_id), event.object_type, event.object_id) == (case_id, "referral", case_id)
        assert event.details == {"page": page, "view": view}
        assert (event.actor_id, event.actor_role) == (team.user(role).id, role)
    assert len(_viewed()) == before + len(reads)
    text = " ".join(repr((e.details, e.object_id)) for e in db.session.scalars(select(AuditEvent)))
    assert all(canary not in text for canary in planted)


def test_a_refused_read_is_not_an_audited_view(as_role, team) -> None:
    case_id, _ = _planted_case(as_role, team)
    before = len(_viewed())
    error_of(as_role("court").get(f"/referrals/{case_id}/assessment"), 403)
    error_of(as_role("admin").get(f"/referrals/{case_id}"), 403)
    assert len(_viewed()) == before


def test_a_list_audits_each_case_on_the_page(as_role, team) -> None:
    worker = as_role("worker")
    made = {worker.post("/referrals", bodies.referral(team.court.code)).get_json()["id"] for _ in range(3)}
    before = len(_viewed())
    listed = as_role("court").get("/referrals?limit=2").get_json()["items"]
    events = _viewed()[before:]
    assert {str(event.case_id) for event in events} == {item["id"] for item in listed}
    assert {item["id"] for item in listed} <= made

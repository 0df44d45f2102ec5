"""Every endpoint for every role: allowed roles succeed, others get 403 (admin too), court users get 404 for
another court's case, and no token or a revoked one gets 401. A refused request changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from diversion.appointments.models import Appointment
from diversion.assessments.models import Assessment
from diversion.audit.models import AuditEvent
from diversion.auth.tokens import revoke_token, tokens_of
from diversion.care_plans.models import CarePlan
from diversion.extensions import db
from diversion.referrals.models import Consent, Referral
from tests.api import bodies
from tests.api.conftest import ROLES, case_in, count, error_of


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # {id}: the case; {appointment}: its appointment 1
    allowed: frozenset[str]
    success: int
    setup: dict[str, Any] | None  # case_in keywords; None: no case needed
    body: Callable[[Any, Any], Any] | None = None  # (team, case) -> body

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    def url(self, case: Any) -> str:
        if case is None:
            return self.path
        return self.path.format(id=case.id, appointment=getattr(case, "test_appointment_id", None))


STAFF = frozenset({"worker", "manager"})
STATUS_READERS = frozenset({"worker", "manager", "court", "cps"})


def _readjourn(team: Any, case: Referral) -> dict[str, Any]:
    return {
        "return_date": (case.return_date + timedelta(days=7)).isoformat(),
        "reason": "The court re-adjourned",
        "version": case.version,
    }


ENDPOINTS = [
    Endpoint("POST", "/referrals", STAFF | {"court"}, 201, None, lambda team, case: bodies.referral(team.court.code)),
    Endpoint("GET", "/referrals", STATUS_READERS, 200, None),
    Endpoint("GET", "/referrals/{id}", STATUS_READERS, 200, {"state": "ASSESSED"}),
    Endpoint(
        "POST",
        "/referrals/{id}/consent",
        STAFF,
        201,
        {"state": "REFERRED"},
        lambda t, c: {"purpose": "support", "given": True},
    ),
    Endpoint("PATCH", "/referrals/{id}", STAFF, 200, {"state": "OPTED_IN"}, _readjourn),
    Endpoint("POST", "/referrals/{id}/withdraw", STAFF, 200, {"state": "OPTED_IN"}, lambda t, c: {"reason": "Moved"}),
    Endpoint(
        "POST", "/referrals/{id}/appointments", STAFF, 201, {"state": "OPTED_IN"}, lambda t, c: bodies.future_booking(1)
    ),
    Endpoint(
        "POST",
        "/appointments/{appointment}/outcome",
        STAFF,
        200,
        {"state": "OPTED_IN", "appointment": "booked"},
        lambda t, c: {"outcome": "attended"},
    ),
    Endpoint(
        "PUT",
        "/referrals/{id}/assessment",
        STAFF,
        200,
        {"state": "OPTED_IN", "appointment": "attended"},
        lambda t, c: bodies.assessment(),
    ),
    Endpoint("GET", "/referrals/{id}/assessment", STAFF, 200, {"state": "ASSESSED"}),
    Endpoint(
        "PUT",
        "/referrals/{id}/care-plan",
        STAFF,
        200,
        {"state": "ASSESSED"},
        lambda t, c: bodies.care_plan(agreed=False),
    ),
    Endpoint("GET", "/referrals/{id}/care-plan", STAFF, 200, {"state": "ASSESSED", "plan": True}),
]
CASE_ENDPOINTS = [endpoint for endpoint in ENDPOINTS if "{" in endpoint.path]


def _prepare(endpoint: Endpoint, team: Any, court: Any = None) -> tuple[Any, str, Any]:
    case = None
    if endpoint.setup is not None:
        case = case_in(court=court or team.court, worker=team.worker, **endpoint.setup)
    body = endpoint.body(team, case) if endpoint.body else None
    return case, endpoint.url(case), body


def _snapshot() -> tuple[int, ...]:
    """Counts of everything a request could add; the audit chain only grows with successful requests."""
    return tuple(count(model) for model in (Referral, Consent, Appointment, Assessment, CarePlan, AuditEvent))


def _case_state(case: Any) -> Any:
    if case is None:
        return None
    db.session.expire_all()
    referral = db.session.get(Referral, case.id)
    return (referral.state, referral.version, referral.return_date)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_its_rule_allows(as_role, team, endpoint: Endpoint, role: str) -> None:
    case, url, body = _prepare(endpoint, team)
    api = as_role(role)
    before, state = _snapshot(), _case_state(case)
    response = api.request(endpoint.method, url, body)
    if role in endpoint.allowed:
        assert response.status_code == endpoint.success, response.get_data(as_text=True)[:800]
        assert response.mimetype == "application/json"
    else:
        error_of(response, 403, "forbidden")
        assert _snapshot() == before
        assert _case_state(case) == state


def test_admin_is_refused_everywhere(as_role, team) -> None:
    admin = as_role("admin")
    for endpoint in ENDPOINTS:
        _case, url, body = _prepare(endpoint, team)
        before = _snapshot()
        error_of(admin.request(endpoint.method, url, body), 403, "forbidden")
        assert _snapshot() == before, endpoint


@pytest.mark.parametrize("endpoint", [e for e in CASE_ENDPOINTS if "court" in e.allowed], ids=str)
def test_a_court_user_gets_404_for_another_courts_case(as_role, team, endpoint: Endpoint) -> None:
    _case, url, body = _prepare(endpoint, team, court=team.other_court)
    court = as_role("court")
    before = _snapshot()
    error_of(court.request(endpoint.method, url, body), 404, "not_found")
    assert _snapshot() == before


def test_a_court_user_cannot_refer_to_another_court(as_role, team) -> None:
    court, body = as_role("court"), bodies.referral(team.other_court.code)
    before = _snapshot()
    error_of(court.post("/referrals", body), 403, "forbidden")
    assert _snapshot() == before


UNKNOWN = "0b0e3a70-1111-4222-8333-944445555666"


@pytest.mark.parametrize("endpoint", CASE_ENDPOINTS, ids=str)
def test_an_unknown_id_is_404_for_roles_that_pass_the_rule_and_403_before_loading_for_the_rest(
    as_role, team, endpoint: Endpoint
) -> None:
    _case, _, body = _prepare(endpoint, team)
    url = endpoint.path.format(id=UNKNOWN, appointment=UNKNOWN)
    for role in ROLES:
        expected = 404 if role in endpoint.allowed else 403
        error_of(as_role(role).request(endpoint.method, url, body), expected)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_no_token_bad_token_or_revoked_token_is_401(client, as_role, team, endpoint: Endpoint) -> None:
    _case, url, body = _prepare(endpoint, team)
    revoked = as_role("worker")
    worker = team.worker
    assert revoke_token(worker, tokens_of(worker)[0].id)
    anonymous = as_role(None)
    before = _snapshot()
    for api, headers in (
        (anonymous, None),
        (anonymous, {"Authorization": "Bearer dvn_not-a-real-token"}),
        (anonymous, {"Authorization": "Basic d29ya2VyOnBhc3N3b3Jk"}),
        (revoked, None),
    ):
        error_of(api.request(endpoint.method, url, body, headers=headers), 401, "unauthorized")
    assert _snapshot() == before

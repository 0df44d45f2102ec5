"""Hypothesis against every web form and every JSON body: unicode, control characters, huge values, wrong types and
impossible dates. No answer is a server error (>= 500), and a refused request writes nothing (every table's row
count unchanged). The forms are found by walking the URL map's POST routes, each posted by a role its rule lets in,
with a valid CSRF token; the fields are the ones the form's page shows. Bounded and deterministic: a few examples
per route, derandomized, no example database."""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from diversion.auth.models import Role
from diversion.auth.tokens import create_api_token
from diversion.extensions import db
from diversion.notices.models import OutcomeNotice
from tests import pages
from tests.api import bodies
from tests.factories import (
    audit_events,
    book,
    create_court,
    create_referral,
    create_user,
    csrf_token,
    last_audit_id,
    log_in_as,
)
from tests.test_permissions import build_urls
from tests.test_security import _acting_role

FORM_EXAMPLES = 6
READ_ACTIONS = {"case.viewed"}
JSON_EXAMPLES = 10
ODD = [
    "",
    " ",
    "2026-02-30",
    "0000-00-00",
    "9999-99-99",
    "31",
    "13",
    "-1",
    "0",
    "1e309",
    "NaN",
    "true",
    "[]",
    "{}",
    "null",
    "00:61",
    "25:00",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "\u202eevil",
    "Ω≈ç√∫µ≤≥÷",
    "👩‍👩‍👧‍👦",
    "x\x00y",
]
TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40)
HUGE = st.builds(
    lambda char, size: char * size, st.characters(exclude_categories=("Cs",)), st.sampled_from([5000, 70000])
)
NUMBERS = st.integers(min_value=-(10**30), max_value=10**30).map(str)
FORM_VALUE = st.one_of(st.sampled_from(ODD), TEXT, HUGE, NUMBERS)
JSON_SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(ODD),
    TEXT,
    HUGE,
)
JSON_VALUE = st.recursive(
    JSON_SCALAR, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3), max_leaves=8
)
SETTINGS = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}


def _counts() -> dict[str, Any]:
    """Every table's row count; audit events apart, by id, since reads are audited too."""
    db.session.expire_all()
    counts: dict[str, Any] = {
        name: int(db.session.scalar(select(func.count()).select_from(table)) or 0)
        for name, table in db.metadata.tables.items()
        if name != "audit_events"
    }
    counts["audit_events"] = last_audit_id()
    return counts


def _unchanged(before: dict[str, Any]) -> bool:
    """Nothing written since ``before`` but the audit of reads and of refused sign-ins (both by design)."""
    after = _counts()
    if {k: v for k, v in after.items() if k != "audit_events"} != {
        k: v for k, v in before.items() if k != "audit_events"
    }:
        return False
    actions = {event.action for event in audit_events(after=before["audit_events"])}
    return all(action in READ_ACTIONS or action.startswith("login.") for action in actions)


def _refused(response: Any) -> bool:
    if response.status_code >= 400:
        return True
    return response.status_code == 200 and "govuk-error-summary" in response.get_data(as_text=True)


def _world() -> tuple[dict[str, Any], dict[str, Any]]:
    """Users of every role and a case with something behind every id a route takes."""
    court = create_court()
    actors = {role.value: create_user(role=role.value, court=court if role == Role.COURT else None) for role in Role}
    case = create_referral(state="ASSESSED", worker=actors["worker"], court=court)
    completed = create_referral(state="COMPLETED", worker=actors["worker"], court=court)
    appointment = book(referral=case, worker=actors["worker"], number=2)
    notice = db.session.scalars(select(OutcomeNotice).where(OutcomeNotice.referral_id == completed.id)).first()
    target = create_user(role="worker")
    ids = {
        "referral_id": case.id,
        "appointment_id": appointment.id,
        "client_id": case.client_id,
        "user_id": target.id,
        "court_id": court.id,
        "notice_id": notice.id if notice else uuid.uuid4(),
    }
    return actors, ids


def _form_fields(client: Any, url: str) -> list[str]:
    response = client.get(url)
    if response.status_code != 200:
        return []
    fields = pages.read(response).soup.find_all(["input", "select", "textarea"], attrs={"name": True})
    names = {str(field["name"]) for field in fields if field["name"] != "csrf_token"}
    return sorted(names)


def _form_check(client: Any, url: str, token: str, form: st.SearchStrategy[dict[str, str]]) -> Any:
    """The hypothesis test for one form."""

    @settings(max_examples=FORM_EXAMPLES, **SETTINGS)
    @given(data=form)
    def post(data: dict[str, str]) -> None:
        before = _counts()
        response = client.post(url, data={**data, "csrf_token": token})
        assert response.status_code < 500, (url, data, response.status_code)
        if _refused(response):
            assert _unchanged(before), (url, data, response.status_code)

    return post


def _json_check(client: Any, url: str, method: str, headers: dict[str, str], body: st.SearchStrategy[Any]) -> Any:
    """The hypothesis test for one JSON route."""

    @settings(max_examples=JSON_EXAMPLES, **SETTINGS)
    @given(payload=body)
    def send(payload: Any) -> None:
        before = _counts()
        response = client.open(url, method=method, json=payload, headers=headers)
        assert response.status_code < 500, (url, payload, response.status_code)
        if response.status_code >= 400:
            assert _unchanged(before), (url, payload, response.status_code)

    return send


def test_every_web_form_survives_hostile_input_and_a_refusal_writes_nothing(app, app_ctx) -> None:
    actors, ids = _world()
    rules = [r for r in app.url_map.iter_rules() if "POST" in (r.methods or ()) and not r.rule.startswith("/api/")]
    posted = 0
    for rule in sorted(rules, key=lambda r: r.rule):
        role = _acting_role(app, rule.endpoint)
        for url in build_urls(app, rule, ids):
            client = log_in_as(app.test_client(), actors[role])
            fields = _form_fields(client, url) or ["reason", "name", "code", "email", "password"]
            token = csrf_token(client, "/account")
            form = st.fixed_dictionaries({}, optional=dict.fromkeys(fields, FORM_VALUE))

            _form_check(client, url, token, form)()
            posted += 1
    assert posted >= 30


def _api_bodies(court_code: str) -> dict[str, dict[str, Any]]:
    """A valid body per JSON route, to corrupt one key at a time."""
    return {
        "/api/v1/referrals": bodies.referral(court_code),
        "appointments": bodies.past_booking(2, 1),
        "withdraw": {"reason": "She moved away"},
    }


def test_every_json_body_survives_wrong_types_and_a_refusal_writes_nothing(app, app_ctx) -> None:
    actors, ids = _world()
    court_code = create_court().code
    templates = _api_bodies(court_code)
    rules = [
        r
        for r in app.url_map.iter_rules()
        if r.rule.startswith("/api/") and {"POST", "PUT", "PATCH"} & (r.methods or set())
    ]
    sent = 0
    for rule in sorted(rules, key=lambda r: r.rule):
        method = sorted({"POST", "PUT", "PATCH"} & set(rule.methods or ()))[0]
        role = "cps" if "acknowledge" in rule.rule else "worker"
        headers = {"Authorization": f"Bearer {create_api_token(db.session.get(type(actors[role]), actors[role].id))}"}
        for url in build_urls(app, rule, ids):
            template = next((body for key, body in templates.items() if url.endswith(key)), {"reason": "x"})
            corrupted = st.builds(
                lambda key, value, template=template: {**template, key: value},
                st.sampled_from(sorted(template)),
                JSON_VALUE,
            )
            body = st.one_of(JSON_VALUE, corrupted)

            _json_check(app.test_client(), url, method, headers, body)()
            sent += 1
    assert sent >= 9

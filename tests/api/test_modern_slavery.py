"""The National Referral Mechanism task through the API (docs/api.md, "Modern slavery"): in the case's record view,
never in the status view; recorded with PUT by support staff only, with the web form's rules, 409 for a stale
version and 422 for a rule broken; nothing changes on a refusal."""

from __future__ import annotations

from datetime import timedelta

import pytest

from diversion.dates import today
from diversion.modern_slavery import services
from diversion.modern_slavery.models import NrmDecision
from tests.api.conftest import count, error_of
from tests.clock import FromToday, on_clock
from tests.factories import audit_events, raw_column
from tests.modern_slavery.helpers import NOTE, flagged_case, set_first_responder


def _path(case) -> str:
    return f"/referrals/{case.id}/modern-slavery"


def _body(**changes):
    return {"outcome": "nrm_referred", "date": today().isoformat(), "note": NOTE, **changes}


def _body_on_the_day(**changes):
    """``_body`` for a ``parametrize`` list: dated on the test's clock by ``on_clock`` (docs/testing.md)."""
    return {"outcome": "nrm_referred", "date": FromToday(0, iso=True), "note": NOTE, **changes}


@pytest.fixture
def case(team):
    return flagged_case(team.worker, court=team.court)


def test_the_record_view_carries_the_open_task_and_the_status_view_never(as_role, case, team) -> None:
    set_first_responder(False)
    record = as_role("worker").get(f"/referrals/{case.id}")
    assert record.status_code == 200, record.get_json()
    assert record.get_json()["modern_slavery"] == {
        "indicated": True,
        "to_consider": True,
        "task": "Consider an NRM referral through a first responder (with her consent)",
        "first_responder": False,
        "outcome": None,
        "date": None,
        "note": None,
        "version": 0,
    }
    for role in ("court", "cps"):
        status = as_role(role).get(f"/referrals/{case.id}")
        assert status.status_code == 200, status.get_json()
        assert status.get_json()["view"] == "status"
        assert "modern_slavery" not in status.get_json()


def test_a_worker_records_the_outcome_and_the_task_clears(as_role, case) -> None:
    set_first_responder(True)
    worker = as_role("worker")
    answer = worker.put(_path(case), _body(outcome="duty_to_notify"))
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == {
        "referral_id": str(case.id),
        "indicated": True,
        "to_consider": False,
        "task": None,
        "first_responder": True,
        "outcome": "duty_to_notify",
        "date": today().isoformat(),
        "note": NOTE,
        "version": 1,
    }
    shown = worker.get(f"/referrals/{case.id}").get_json()["modern_slavery"]
    assert (shown["to_consider"], shown["outcome"], shown["version"]) == (False, "duty_to_notify", 1)
    [decision] = NrmDecision.query.all()
    assert NOTE.encode() not in raw_column(model=NrmDecision, column="note", row_id=decision.id)
    [event] = audit_events(case_id=case.id, action="nrm.recorded")
    assert event.details == {"version": 1}
    # A manager changes it at the version read.
    changed = as_role("manager").put(_path(case), _body(outcome="declined", note=None, version=1))
    assert changed.status_code == 200, changed.get_json()
    assert (changed.get_json()["outcome"], changed.get_json()["note"], changed.get_json()["version"]) == (
        "declined",
        None,
        2,
    )


def test_a_stale_version_is_409_and_changes_nothing(as_role, case) -> None:
    worker = as_role("worker")
    assert worker.put(_path(case), _body()).status_code == 200
    for version in (None, 0, 7):
        body = _body(outcome="declined") if version is None else _body(outcome="declined", version=version)
        error_of(worker.put(_path(case), body), 409, "conflict")
    assert services.decision_of(case).outcome == "nrm_referred"
    assert len(audit_events(case_id=case.id, action="nrm.recorded")) == 1


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (_body_on_the_day(outcome="sold"), 422, "outcome"),
        ({"date": "2026-12-01"}, 422, "outcome"),
        ({"outcome": "declined"}, 422, "date"),
        (_body_on_the_day(date="01/12/2026"), 400, "date"),
        (_body_on_the_day(note="x" * 2001), 422, "note"),
        (_body_on_the_day(colour="red"), 422, "colour"),
    ],
)
def test_bad_bodies_are_refused_and_change_nothing(as_role, case, body, status, field) -> None:
    error = error_of(as_role("worker").put(_path(case), on_clock(body)), status)
    assert field in error["fields"], error
    assert count(NrmDecision) == 0


def test_the_services_rules_are_422_naming_the_field(as_role, case) -> None:
    set_first_responder(False)
    worker = as_role("worker")
    cases = [
        (_body(outcome="duty_to_notify"), "outcome", services.NOT_A_FIRST_RESPONDER),
        (_body(date=(today() + timedelta(days=1)).isoformat()), "date", "today or in the past"),
        (_body(date=(case.referred_on - timedelta(days=1)).isoformat()), "date", "on or after the date she was"),
    ]
    for body, field, message in cases:
        error = error_of(worker.put(_path(case), body), 422, "validation_error")
        assert message in error["fields"][field]
    assert count(NrmDecision) == 0


def test_nothing_to_record_without_signs_of_exploitation(as_role, team) -> None:
    plain = flagged_case(team.worker, court=team.court, indicators=())
    error = error_of(as_role("worker").put(_path(plain), _body()), 422, "invalid_transition")
    assert error["message"] == services.NOTHING_TO_CONSIDER
    assert count(NrmDecision) == 0


@pytest.mark.parametrize("role", ["court", "cps", "admin"])
def test_court_cps_and_administrators_are_refused(as_role, case, role) -> None:
    error_of(as_role(role).put(_path(case), _body()), 403, "forbidden")
    assert count(NrmDecision) == 0


def test_a_case_outside_the_callers_scope_is_404(client, case) -> None:
    from diversion.auth.tokens import create_api_token
    from tests.api.conftest import Api
    from tests.factories import create_organisation, create_scheme, create_user

    organisation = create_organisation()
    outsider = create_user(role="worker", organisation=organisation, schemes=[create_scheme(organisation=organisation)])
    api = Api(client, create_api_token(outsider))
    error_of(api.put(_path(case), _body()), 404, "not_found")
    error_of(api.get(f"/referrals/{case.id}"), 404, "not_found")
    assert count(NrmDecision) == 0

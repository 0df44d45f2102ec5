"""schemathesis' stateful phase against the live app, in-process: sequences of calls that follow the OpenAPI
document's links (a listed or new case to its consent, booking, assessment and plan; a booking to its outcome; a
notice to its acknowledgement), each answer checked by every schemathesis check (`--checks all`), and a refused
request changing nothing.

The cases it starts from are made first, in the states the links lead through, because a generated referral almost
never passes the court-date rules (a first hearing in the last 90 days, a return date after today): the stateful
phase reaches real ids by listing them, as a court's or the CPS's system would. Bounded and deterministic: a fixed
number of sequences of a fixed length, derandomized, no database of examples, no network.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.generation.stateful import run_state_machine_as_test

from tests.api.conftest import case_in
from tests.api.test_fuzz import CONFIG, _snapshot, isolated

SEQUENCES = 40
STEPS = 6
# Who calls each operation: the CPS acts on notices; support workers on everything else.
CALLER = {"listNotices": "cps", "acknowledgeNotice": "cps"}
# Answers the links must reach with real ids, not just refusals of made-up ones.
REACHED = {
    ("listReferrals", 200),
    ("getReferral", 200),
    ("listNotices", 200),
    ("acknowledgeNotice", 200),
}


@pytest.mark.slow
def test_the_stateful_phase_follows_the_links_with_every_check_passing(app, team) -> None:
    for state, extra in (
        ("REFERRED", {}),
        ("OPTED_IN", {"appointment": "booked"}),
        ("OPTED_IN", {"appointment": "attended"}),
        ("ASSESSED", {"plan": True}),
        ("WITHDRAWN", {}),
        ("WITHDRAWN", {}),
    ):
        case_in(state, court=team.court, worker=team.worker, **extra)
    tokens = {role: team.token(role) for role in ("worker", "cps")}
    served = app.test_client().get("/api/v1/openapi.json").get_json()
    schema = schemathesis.openapi.from_dict(served, config=CONFIG)
    schema.app = isolated(app)
    answers: set[tuple[str, int]] = set()

    class Calls(schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: Any) -> None:
            # The caller's token goes in the case itself, marked as given (as an auth provider marks it), so the
            # check that resends the request without it and with a made-up one (ignored_auth) does so.
            role = CALLER.get(case.operation.definition.raw["operationId"], "worker")
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {tokens[role]}"}
            case._has_explicit_auth = True
            self.before = _snapshot()

        def after_call(self, response: Any, case: Any) -> None:
            super().after_call(response, case)
            answers.add((case.operation.definition.raw["operationId"], response.status_code))
            if response.status_code >= 400:
                assert _snapshot() == self.before, (case.operation.label, response.status_code)

    run_state_machine_as_test(
        Calls,
        settings=settings(
            max_examples=SEQUENCES,
            stateful_step_count=STEPS,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    assert answers >= REACHED, sorted(answers)

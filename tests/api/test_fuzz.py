"""schemathesis against the live app, in-process (WSGI), with every role's token and every one of its checks
(`--checks all`): for each operation, generated valid and invalid requests must never cause a server error, every
answer must be one the document describes (status, content type, body schema, headers), invalid requests must be
refused and valid ones not refused as malformed, authentication must be enforced, other methods must be 405 with
Allow, court and CPS answers must be the status shape, and a refused request must change nothing. Bounded and
deterministic: a fixed number of examples per operation, derandomized, no database of examples, no network."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig
from sqlalchemy import func, select

from diversion.api.openapi import DOCUMENT
from diversion.appointments.models import Appointment
from diversion.assessments.models import Assessment
from diversion.audit.models import AuditEvent
from diversion.care_plans.models import CarePlan
from diversion.clients.models import Client
from diversion.documents.models import Document
from diversion.documents.services import Upload, upload_document
from diversion.extensions import db
from diversion.notices.models import OutcomeNotice
from diversion.referrals.models import Consent, Referral, ReturnDateChange
from tests.api.conftest import ROLES, case_in

# Examples per operation and generation mode. Managers pass exactly the rules workers pass, through the same code,
# so they get fewer; a role the rule refuses is answered 403 before anything is read, so it needs only a few.
EXAMPLES = {GenerationMode.POSITIVE: 12, GenerationMode.NEGATIVE: 8}
MANAGER_EXAMPLES = {GenerationMode.POSITIVE: 5, GenerationMode.NEGATIVE: 4}
REFUSED_EXAMPLES = 2
MODELS = (Referral, Client, Consent, ReturnDateChange, Appointment, Assessment, CarePlan, Document, AuditEvent)
STATUS_KEYS = {
    "view",
    "id",
    "urn",
    "court",
    "state",
    "first_hearing_date",
    "return_date",
    "client",
    "appointments",
    "outcome_date",
    "version",
    "unreadable_fields",
}
NOTICE_KEYS = {
    "id",
    "referral_id",
    "urn",
    "court",
    "given_name",
    "family_name",
    "date_of_birth",
    "outcome",
    "outcome_date",
    "created_at",
    "acknowledged_at",
    "decision",
    "decided_on",
    "unreadable_fields",
    # A correction of an earlier notice (a manager reversed the decision: docs/reversals.md).
    "corrects",
    "returned_to",
    "superseded_at",
    # An erased woman's notice kept for the CPS (docs/privacy.md): null on any other notice.
    "subject_erased_at",
    "erasure_note",
    "kept_until",
}

AUDIENCE_SHAPED = {"createReferral", "listReferrals", "getReferral"}
NOTICE_SHAPED = {"listNotices", "acknowledgeNotice"}
NO_SUCH_ID = "0b0e3a70-1111-4222-8333-944445555666"

# The case each operation is tried on (case_in keywords), so generated requests reach the services' rules.
SETUPS: dict[str, dict[str, Any]] = {
    "getReferral": {"state": "ASSESSED"},
    "changeReturnDate": {"state": "OPTED_IN"},
    "recordConsent": {"state": "REFERRED"},
    "withdrawReferral": {"state": "OPTED_IN"},
    "bookAppointment": {"state": "OPTED_IN"},
    "recordOutcome": {"state": "OPTED_IN", "appointment": "booked"},
    "saveAssessment": {"state": "OPTED_IN", "appointment": "attended"},
    "getAssessment": {"state": "ASSESSED"},
    "saveCarePlan": {"state": "ASSESSED"},
    "getCarePlan": {"state": "ASSESSED", "plan": True},
    # A final state makes the case's notice: something to list, and to acknowledge.
    "listNotices": {"state": "WITHDRAWN"},
    "acknowledgeNotice": {"state": "WITHDRAWN"},
    "uploadDocument": {"state": "OPTED_IN"},
    "listDocuments": {"state": "OPTED_IN"},
    "downloadDocument": {"state": "OPTED_IN"},
}


# Every check schemathesis has (`--checks all`), each enabled by default. One setting: a request the schema accepts
# may still break a rule of the service that no schema can say (a return date not after the first hearing, a URN
# already open), and that is 422 (docs/api.md, "Errors"); 400 is for what the schema itself refuses. So schema-valid
# data must never be 400, but may be 422.
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "401", "403", "404", "409", "422"],
            },
        }
    }
)


@pytest.fixture
def schema(app, app_ctx):
    """The document the app serves, sent to the app itself: the checks that send requests of their own (without the
    token, with another method, without a required header) reach it too."""
    served = app.test_client().get("/api/v1/openapi.json").get_json()
    loaded = schemathesis.openapi.from_dict(served, config=CONFIG)
    loaded.app = isolated(app)
    load_all_checks()
    checks = loaded.config.checks_config_for()
    assert all(checks.get_by_name(name=name).enabled for name in CHECKS.get_all_names())  # --checks all
    return loaded


def isolated(app) -> Any:
    """The app as WSGI, each request in a fresh app context (its own g and session), as IsolatedClient does: the test
    holds an app context open, and Flask would otherwise reuse it, with the test's anonymous user cached in g."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        with app.app_context():
            iterable = app.wsgi_app(environ, start_response)
            try:
                body = [bytes(chunk) for chunk in iterable]
            finally:
                if hasattr(iterable, "close"):
                    iterable.close()
        db.session.expire_all()
        return body

    return wsgi


def _snapshot() -> tuple[int, ...]:
    """Row counts of everything a request could add, and of acknowledged notices, in one query."""
    counts = [select(func.count()).select_from(model).scalar_subquery() for model in MODELS]
    counts.append(select(func.count(OutcomeNotice.acknowledged_at)).scalar_subquery())
    return tuple(db.session.execute(select(*counts)).one())


def _check_audience(role: str, operation_id: str, response: Any) -> None:
    if role not in ("court", "cps") or response.status_code >= 300:
        return
    if operation_id in NOTICE_SHAPED:
        body = response.json()
        for notice in body["items"] if operation_id == "listNotices" else [body]:
            assert set(notice) <= NOTICE_KEYS, (role, operation_id)
        return
    if operation_id not in AUDIENCE_SHAPED:
        return
    body = response.json()
    cases = body["items"] if operation_id == "listReferrals" else [body]
    for case in cases:
        assert set(case) <= STATUS_KEYS, (role, operation_id)
        assert set(case["client"]) == {"id", "given_name", "family_name", "date_of_birth"}


def _run(strategy: Any, max_examples: int, check: Callable[[Any], None]) -> None:
    @settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        check(case)

    run()


def _call_and_check(
    case: Any,
    *,
    headers: dict[str, str],
    label: tuple[str, str],
    allowed: bool,
    positive: bool,
    statuses: set[int],
) -> None:
    role, operation_id = label
    before = _snapshot()
    response = case.call(headers=headers)
    statuses.add(response.status_code)
    if positive:
        assert response.status_code != 401, "the role's token must reach the app"
    case.validate_response(response, headers=headers)
    if response.status_code >= 400:
        assert _snapshot() == before, (label, response.status_code)
    if not allowed:
        # 403 from the rule; 401 when the case itself sent a broken token; 404 for a malformed path id.
        assert response.status_code in (401, 403, 404), (label, response.status_code)
    _check_audience(role, operation_id, response)


def _fuzz(app, team, role: str, operation) -> set[int]:
    operation_id = operation.definition.raw["operationId"]
    roles = operation.definition.raw.get("x-roles")
    allowed = roles is None or role in roles
    path_parameters = {
        "referral_id": NO_SUCH_ID,
        "appointment_id": NO_SUCH_ID,
        "notice_id": NO_SUCH_ID,
        "subscription_id": NO_SUCH_ID,
        "document_id": NO_SUCH_ID,
    }
    if operation_id in SETUPS and allowed:
        case = case_in(court=team.court, worker=team.worker, **SETUPS[operation_id])
        notice_id = db.session.scalar(select(OutcomeNotice.id).where(OutcomeNotice.referral_id == case.id))
        document = upload_document(case, "A letter", Upload(chosen=True, data=b"%PDF-1.7\n"), team.worker)
        path_parameters = {
            "referral_id": str(case.id),
            "appointment_id": str(getattr(case, "test_appointment_id", case.id)),
            "notice_id": str(notice_id or NO_SUCH_ID),
            "document_id": str(document.id),
        }
    headers = {"Authorization": f"Bearer {team.token(role)}"}
    statuses: set[int] = set()
    # Negative cases need something to make invalid: the body or the query; failing those, the ids in the path.
    body_or_query = bool(operation.body) or any(True for _ in operation.query)
    has_path = any(True for _ in operation.path_parameters)
    for mode, examples in (MANAGER_EXAMPLES if role == "manager" else EXAMPLES).items():
        if mode is GenerationMode.NEGATIVE and not (body_or_query or has_path):
            continue
        fixed = {parameter.name: path_parameters[parameter.name] for parameter in operation.path_parameters}
        if mode is GenerationMode.NEGATIVE and not body_or_query:
            fixed = {}
        strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed or None, headers=headers)
        check = functools.partial(
            _call_and_check,
            headers=headers,
            label=(role, operation_id),
            allowed=allowed,
            positive=mode is GenerationMode.POSITIVE,
            statuses=statuses,
        )
        _run(strategy, examples if allowed else REFUSED_EXAMPLES, check)
    return statuses


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_every_operation_answers_as_documented_for_every_role(app, schema, team, role: str) -> None:
    team.token(role)
    team.token("worker")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == len(DOCUMENT_OPERATIONS)
    seen: dict[str, set[int]] = {}
    for operation in operations:
        seen[operation.definition.raw["operationId"]] = _fuzz(app, team, role, operation)
    assert set(seen) == DOCUMENT_OPERATIONS
    # The run reached the services, not just the front door: successes where the role may act, refusals elsewhere.
    statuses = set().union(*seen.values())
    assert EXPECTED_STATUSES[role] <= statuses, (role, sorted(statuses))


DOCUMENT_OPERATIONS = {
    operation["operationId"]
    for item in DOCUMENT["paths"].values()
    for operation in item.values()
    if "operationId" in operation
}
EXPECTED_STATUSES = {
    "worker": {200, 201, 400, 404, 409, 422},
    "manager": {200, 201, 400, 404, 422},
    "court": {200, 400, 403, 422},
    "cps": {200, 400, 403},
    "admin": {200, 403},
}

"""GET /api/v1/reports/completion: the figures (docs/api.md), by hand count; who may ask and for which court; null rates
for an empty period; 400 and 422 for bad periods; and the same numbers as the page's CSV."""

from __future__ import annotations

import csv
import io

import pytest
from jsonschema import Draft202012Validator

from diversion.api.openapi import DOCUMENT
from diversion.auth.tokens import create_api_token
from diversion.reports import services
from diversion.reports.services import default_period
from tests.api.conftest import Api, error_of
from tests.factories import create_court, create_user, log_in_as
from tests.reports.cases import EXPECTED_A, EXPECTED_ALL, EXPECTED_B, FAMILY_NAME, build_cases

PATH = "/reports/completion"
Q1 = "?from=2026-01-01&to=2026-03-31"
KEYS = {
    "from",
    "to",
    "court",
    "scheme",
    "scope",
    "referred",
    "declined",
    "opted_in",
    "completed",
    "not_completed",
    "withdrawn",
    "in_progress",
    "completion_rate",
    "completion_rate_ci95",
    "opt_in_rate",
    "definition",
    "by_scheme",
}


@pytest.fixture
def cases(team):
    return build_cases()


def counts(body: dict) -> dict[str, int]:
    return {key: body[key] for key in EXPECTED_A}


def test_the_answer_has_exactly_the_fields_of_api_md_and_every_figure_matches_the_hand_count(as_role, cases) -> None:
    response = as_role("manager").get(PATH + Q1)
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == KEYS
    assert (body["from"], body["to"], body["court"]) == ("2026-01-01", "2026-03-31", None)
    # One scheme, the organisation's only one: nothing to break down.
    assert (body["scheme"], body["scope"], body["by_scheme"]) == (None, "Whole organisation: Main organisation", [])
    assert counts(body) == EXPECTED_ALL
    assert body["completion_rate"] == 0.692  # 9 of 13
    assert body["completion_rate_ci95"] == [0.424, 0.873]
    assert body["opt_in_rate"] == 0.824  # 14 of 17
    assert body["definition"] == services.DEFINITION


def test_cps_sees_every_court_and_can_ask_for_one(as_role, cases) -> None:
    cps = as_role("cps")
    body = cps.get(f"{PATH}{Q1}&court={cases.court_a.code}").get_json()
    assert body["court"] == cases.court_a.code
    assert counts(body) == EXPECTED_A
    assert body["completion_rate"] == 0.8
    assert body["completion_rate_ci95"] == [0.49, 0.943]  # 8 of 10, Wilson, worked by hand
    assert body["opt_in_rate"] == 0.857  # 12 of 14
    body = cps.get(f"{PATH}{Q1}&court={cases.court_b.code.lower()}").get_json()
    assert (body["court"], counts(body)) == (cases.court_b.code, EXPECTED_B)
    assert body["completion_rate"] == 0.333
    assert counts(cps.get(PATH + Q1).get_json()) == EXPECTED_ALL


def test_a_court_user_gets_their_own_courts_figures_and_404_for_any_other(client, team, cases) -> None:
    api = Api(client, create_api_token(create_user(role="court", court=cases.court_a)))
    for query in (Q1, f"{Q1}&court={cases.court_a.code}"):
        body = api.get(PATH + query).get_json()
        assert (body["court"], counts(body)) == (cases.court_a.code, EXPECTED_A), query
    for code in (cases.court_b.code, "NOSUCHCOURT"):
        error = error_of(api.get(f"{PATH}{Q1}&court={code}"), 404, "not_found")
        assert error["fields"] == {"court": "No court has this code"}
        assert cases.court_b.name not in str(error)


@pytest.mark.parametrize("role", ["worker", "admin"])
def test_workers_and_administrators_are_refused(as_role, cases, role: str) -> None:
    error_of(as_role(role).get(PATH + Q1), 403, "forbidden")


def test_no_token_is_401(as_role) -> None:
    error_of(as_role(None).get(PATH), 401, "unauthorized")


def test_without_dates_the_answer_is_the_current_quarter(as_role) -> None:
    body = as_role("cps").get(PATH).get_json()
    period = default_period()
    assert (body["from"], body["to"]) == (period.start.isoformat(), period.end.isoformat())


def test_an_empty_period_answers_zeros_and_null_rates_not_an_error(as_role, cases) -> None:
    response = as_role("manager").get(PATH + "?from=2025-06-01&to=2025-06-30")
    assert response.status_code == 200
    body = response.get_json()
    assert counts(body) == dict.fromkeys(EXPECTED_A, 0)
    assert (body["completion_rate"], body["completion_rate_ci95"], body["opt_in_rate"]) == (None, None, None)
    # A court with no cases at all, likewise.
    body = as_role("cps").get(f"{PATH}{Q1}&court={create_court().code}").get_json()
    assert counts(body) == dict.fromkeys(EXPECTED_A, 0)
    assert body["completion_rate"] is None


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("?from=2026-02-30&to=2026-03-31", {"from": "Enter a date as YYYY-MM-DD"}),
        ("?from=1%2F1%2F2026&to=2026-03-31", {"from": "Enter a date as YYYY-MM-DD"}),
        ("?from=2026-01-01&to=yesterday", {"to": "Enter a date as YYYY-MM-DD"}),
        ("?from=2026-13-01", {"from": "Enter a date as YYYY-MM-DD"}),
        ("?from=2026-01-01&to=2026-03-31&court=" + "X" * 17, {"court": "Too long"}),
        ("?from=2026-01-01&to=2026-03-31&court=A%00B", {"court": "Contains characters that are not allowed"}),
    ],
)
def test_unreadable_periods_are_400(as_role, query: str, fields: dict[str, str]) -> None:
    error = error_of(as_role("manager").get(PATH + query), 400, "validation_error")
    assert error["fields"] == fields


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?from=2026-03-31&to=2026-01-01", "The end date must be the same as or after the start date"),
        ("?from=2010-01-01&to=2026-01-01", "The period must be 10 years or shorter"),
    ],
)
def test_to_before_from_or_a_period_over_ten_years_is_422(as_role, query: str, message: str) -> None:
    error = error_of(as_role("cps").get(PATH + query), 422, "validation_error")
    assert error["fields"] == {"to": message}


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("?from=2026-01-01", {"to": "Give from and to together"}),
        ("?to=2026-01-01", {"from": "Give from and to together"}),
    ],
)
def test_only_one_of_from_and_to_breaks_a_rule_422(as_role, query: str, fields: dict[str, str]) -> None:
    # Each is readable alone; the OpenAPI document cannot say they go together, so this is not malformed (400).
    error = error_of(as_role("manager").get(PATH + query), 422, "validation_error")
    assert error["fields"] == fields


def test_a_one_day_period_is_allowed(as_role, cases) -> None:
    body = as_role("manager").get(PATH + "?from=2026-03-31&to=2026-03-31").get_json()
    assert (body["completed"], body["referred"]) == (2, 1)


def test_the_api_and_the_csv_give_the_same_figures_and_no_identity(client, as_role, team, cases) -> None:
    body = as_role("manager").get(f"{PATH}{Q1}&court={cases.court_a.code}")
    assert FAMILY_NAME.lower() not in body.get_data(as_text=True).lower()
    body = body.get_json()
    log_in_as(client, team.user("manager"))
    query = (
        "period=custom&start-day=1&start-month=1&start-year=2026&end-day=31&end-month=3&end-year=2026"
        f"&court={cases.court_a.code}"
    )
    row = next(csv.DictReader(io.StringIO(client.get(f"/reports/completion.csv?{query}").text)))
    assert {key: int(row[key]) for key in EXPECTED_A} == counts(body)
    assert float(row["completion_rate"]) == body["completion_rate"]
    low, high = body["completion_rate_ci95"]
    assert (float(row["completion_rate_ci95_low"]), float(row["completion_rate_ci95_high"])) == (low, high)
    assert float(row["opt_in_rate"]) == body["opt_in_rate"]
    assert (row["from"], row["to"], row["court"]) == (body["from"], body["to"], body["court"])
    assert row["definition"] == body["definition"]


def test_the_operation_is_in_the_openapi_document_with_its_rule_and_errors() -> None:
    operation = DOCUMENT["paths"]["/reports/completion"]["get"]
    assert operation["operationId"] == "getCompletionReport"
    assert operation["x-rule"] == "completion_reports"
    assert operation["x-roles"] == ["court", "cps", "manager"]
    assert set(operation["responses"]) == {"200", "400", "401", "403", "404", "405", "413", "422", "500", "503"}
    assert [parameter["name"] for parameter in operation["parameters"]] == ["from", "to", "court", "scheme"]
    schema = DOCUMENT["components"]["schemas"]["CompletionReport"]
    assert set(schema["properties"]) == KEYS == set(schema["required"])


def test_the_answer_validates_against_the_documented_schema(as_role, cases) -> None:
    schemas = DOCUMENT["components"]["schemas"]
    # The report's schema as the root, with the components beside it for its references to resolve against.
    validator = Draft202012Validator({"components": {"schemas": schemas}, **schemas["CompletionReport"]})
    for query in (Q1, "?from=2025-06-01&to=2025-06-30", f"{Q1}&court={cases.court_b.code}"):
        body = as_role("cps").get(PATH + query).get_json()
        assert not list(validator.iter_errors(body)), query
    broken = {**body, "completion_rate_ci95": [0.1]}
    assert list(validator.iter_errors(broken))

"""GET /api/v1/reports/outcomes: managers only; the indicators by hand count, suppressed by default and whole on
request; a court filter; CSV and XLSX; bad parameters answer 400, 404 or 422, never 500; the answer matches its
schema in the OpenAPI document."""

from __future__ import annotations

import csv
import io

import pytest
from jsonschema import Draft202012Validator
from openpyxl import load_workbook

from diversion.api.openapi import DOCUMENT
from diversion.auth.tokens import create_api_token
from tests.api.conftest import Api, error_of
from tests.factories import create_user
from tests.outcomes.cases import FAMILY_NAME, build_cases

PATH = "/reports/outcomes"
Q1 = "?from=2026-01-01&to=2026-03-31"


def api_for(client, role: str) -> Api:
    return Api(client, create_api_token(create_user(role=role)))


@pytest.fixture
def built(app_ctx):
    return build_cases()


def values(body: dict, key: str) -> dict[str, object]:
    indicator = next(item for item in body["indicators"] if item["key"] == key)
    return {row["group"]: row["value"] for row in indicator["rows"]}


def schema_validator() -> Draft202012Validator:
    schema = {"$ref": "#/components/schemas/OutcomesReport", "components": DOCUMENT["components"]}
    return Draft202012Validator(schema)


def test_a_manager_gets_the_indicators_suppressed_by_default(client, built) -> None:
    response = api_for(client, "manager").get(PATH + Q1)
    assert response.status_code == 200
    body = response.get_json()
    schema_validator().validate(body)
    assert (body["from"], body["to"], body["court"], body["suppressed"]) == ("2026-01-01", "2026-03-31", None, True)
    assert values(body, "referrals") == {"all": 8}
    assert values(body, "withdrawn") == {"all": "<5"}
    assert values(body, "completion_rate") == {"all": "[c]"}
    assert FAMILY_NAME not in response.get_data(as_text=True)


def test_suppress_false_gives_every_number(client, built) -> None:
    body = api_for(client, "manager").get(PATH + Q1 + "&suppress=false").get_json()
    schema_validator().validate(body)
    assert body["suppressed"] is False
    assert values(body, "withdrawn") == {"all": 1}
    assert values(body, "completion_rate") == {"all": 0.714}
    assert values(body, "median_days_to_completion") == {"all": 30.0}


def test_a_court_filter(client, built) -> None:
    body = api_for(client, "manager").get(f"{PATH}{Q1}&suppress=false&court={built.court_a.code}").get_json()
    assert body["court"] == built.court_a.code
    assert values(body, "referrals") == {"all": 6}
    assert values(body, "completed") == {"all": 4}
    error = error_of(api_for(client, "manager").get(f"{PATH}{Q1}&court=NOSUCHCOURT"), 404, "not_found")
    assert error["fields"] == {"court": "No court has this code"}


def test_csv_and_xlsx(client, built) -> None:
    api = api_for(client, "manager")
    response = api.get(PATH + Q1 + "&format=csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = {(row["indicator"], row["group"]): row["value"] for row in csv.DictReader(io.StringIO(response.text))}
    assert rows[("referrals", "All")] == "8"
    assert rows[("withdrawn", "All")] == "<5"
    response = api.get(PATH + Q1 + "&format=xlsx&suppress=false")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data))["Figures"]
    rows = {(row[0], row[2]): row[3] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows[("withdrawn", "All")] == 1


@pytest.mark.parametrize("role", ["worker", "court", "cps", "admin"])
def test_other_roles_are_refused(client, app_ctx, role: str) -> None:
    error_of(api_for(client, role).get(PATH + Q1), 403, "forbidden")


def test_no_token_is_401(client, app_ctx) -> None:
    error_of(Api(client, None).get(PATH), 401, "unauthorized")


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("?from=2026-01-01", 422, "to"),  # readable, but only one of the pair (docs/api.md, "Errors")
        ("?from=2026-13-01&to=2026-12-31", 400, "from"),
        (Q1 + "&format=pdf", 400, "format"),
        (Q1 + "&suppress=maybe", 400, "suppress"),
        ("?from=2026-03-01&to=2026-01-01", 422, "to"),
        ("?from=2000-01-01&to=2026-01-01", 422, "to"),
    ],
)
def test_bad_parameters_are_refused_with_the_field_named(client, app_ctx, query: str, status: int, field: str) -> None:
    error = error_of(api_for(client, "manager").get(PATH + query), status)
    assert field in error["fields"]

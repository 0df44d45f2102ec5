"""Permissions: a named rule on every route, default deny, the role matrix, separation of duties, 404 loaders."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Blueprint, Flask
from sqlalchemy import func, select, text
from werkzeug.exceptions import NotFound
from werkzeug.routing import AnyConverter, IntegerConverter, Rule, UUIDConverter

from diversion import scoping
from diversion.audit.models import AuditEvent
from diversion.auth.models import Role, User
from diversion.courts.models import Court
from diversion.extensions import db
from diversion.permissions import (
    PUBLIC_ENDPOINTS,
    RULES,
    SPECIAL_RULES,
    load_or_404,
    public,
    requires,
    rule_of,
)
from tests.factories import create_court, create_user, csrf_token, log_in_as

ROLES = [role.value for role in Role]


# --- helpers shared with tests/test_security.py ---


def endpoints_without_rule(app: Flask) -> list[str]:
    """Every endpoint of the app whose view declares no rule and is not on the public list."""
    return sorted(
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in PUBLIC_ENDPOINTS and rule_of(app.view_functions.get(rule.endpoint)) is None
    )


def build_urls(app: Flask, rule: Rule, ids: dict[str, Any]) -> list[str]:
    """Every URL a rule can make: ``ids`` fills uuid and int converters by argument name (without one, an id that
    matches nothing), and an any() converter gives one URL per option. Fails on a converter it cannot fill, so a new
    kind of route cannot slip past the tests that walk the map."""
    combinations: list[dict[str, Any]] = [{}]
    for name in sorted(rule.arguments):
        converter = rule._converters[name]
        if isinstance(converter, AnyConverter):
            choices = sorted(converter.items)
        elif isinstance(converter, UUIDConverter):
            choices = [ids.get(name, uuid.uuid4())]
        elif isinstance(converter, IntegerConverter):
            choices = [ids.get(name, 999999)]
        else:
            raise AssertionError(f"no test value for <{name}> in {rule.rule}")
        combinations = [{**combination, name: choice} for combination in combinations for choice in choices]
    adapter = app.url_map.bind("localhost")
    method = sorted(rule.methods or {"GET"})[0]
    return [adapter.build(rule.endpoint, values, method=method) for values in combinations]


def role_rule_endpoints(app: Flask, method: str) -> list[tuple[Rule, str]]:
    """The rules answering ``method`` whose views declare a role rule (not public, not the sign-in journey)."""
    found = []
    for rule in app.url_map.iter_rules():
        declared = rule_of(app.view_functions.get(rule.endpoint))
        if method in (rule.methods or ()) and declared in RULES:
            found.append((rule, declared))
    return sorted(found, key=lambda item: item[0].rule)


def _count(model: type) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


# --- every endpoint declares a rule ---


def test_every_endpoint_declares_a_known_rule_or_is_on_the_public_list(app) -> None:
    assert endpoints_without_rule(app) == []
    declared = {rule_of(app.view_functions[rule.endpoint]) for rule in app.url_map.iter_rules()}
    declared.discard(None)  # only the endpoints on PUBLIC_ENDPOINTS
    assert declared <= set(RULES) | SPECIAL_RULES
    # The walk really sees the app's routes, including the admin pages.
    assert {"admin.users", "admin.courts", "auth.login", "main.home"} <= {r.endpoint for r in app.url_map.iter_rules()}


def test_a_route_without_a_rule_is_flagged_by_the_walk_and_refused(fresh_app, app_ctx) -> None:
    application = fresh_app()
    throwaway = Blueprint("throwaway", __name__)

    @throwaway.route("/throwaway/no-rule")
    def no_rule():
        return "reached"

    # A rule above @route decorates a function the route never sees: the registered view has no rule.
    @requires("admin")
    @throwaway.route("/throwaway/rule-in-the-wrong-place")
    def misplaced():
        return "reached"

    @throwaway.route("/throwaway/open")
    @public
    def control():
        return "reached"

    application.register_blueprint(throwaway)
    assert endpoints_without_rule(application) == ["throwaway.misplaced", "throwaway.no_rule"]

    anonymous = application.test_client()
    admin = log_in_as(application.test_client(), create_user(role="admin"))
    for client in (anonymous, admin):
        for path in ("/throwaway/no-rule", "/throwaway/rule-in-the-wrong-place"):
            response = client.get(path)
            assert response.status_code == 403, path
            assert "reached" not in response.get_data(as_text=True)
        assert client.get("/throwaway/open").get_data(as_text=True) == "reached"


def test_an_unknown_rule_name_is_refused_when_the_route_is_declared() -> None:
    with pytest.raises(ValueError, match="Unknown permission rule"):
        requires("admins")


# --- the role matrix ---


@pytest.fixture
def objects(app_ctx) -> dict[str, Any]:
    """A court and a user for the routes that take ids."""
    court = create_court()
    target = create_user(role="court", court=court)
    return {"court_id": court.id, "user_id": target.id}


@pytest.mark.parametrize("role", ROLES)
def test_every_role_gets_exactly_the_pages_its_rules_allow(client, app, objects, role: str) -> None:
    from diversion.auth.tokens import create_api_token

    user = create_user(role=role)
    log_in_as(client, user)
    # The API takes bearer tokens only; pages take the session cookie.
    bearer = {"Authorization": f"Bearer {create_api_token(user)}"}
    checked = set()
    for rule, declared in role_rule_endpoints(app, "GET"):
        for url in build_urls(app, rule, objects):
            status = client.get(url, headers=bearer if url.startswith("/api/") else None).status_code
            if role in RULES[declared]:
                # Let in; a route may still redirect, or 404 an object that does not exist or is out of scope.
                assert status in (200, 302, 404), (role, url, status)
            else:
                assert status == 403, (role, url, status)
            checked.add(url)
    court_id, user_id = objects["court_id"], objects["user_id"]
    admin_pages = {
        "/admin/users",
        "/admin/users/new",
        f"/admin/users/{user_id}",
        "/admin/courts",
        "/admin/courts/new",
        f"/admin/courts/{court_id}/edit",
    }
    assert admin_pages <= checked
    assert {"/home", "/account"} <= checked


@pytest.mark.parametrize("role", [role for role in ROLES if role != "admin"])
def test_admin_pages_refuse_every_other_role(client, app, objects, role: str) -> None:
    log_in_as(client, create_user(role=role))
    court_id, user_id = objects["court_id"], objects["user_id"]
    for path in (
        "/admin/users",
        "/admin/users/new",
        f"/admin/users/{user_id}",
        "/admin/courts",
        "/admin/courts/new",
        f"/admin/courts/{court_id}/edit",
    ):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "You do not have permission" in response.get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_sign_in_and_api_callers_get_401(client, app, objects) -> None:
    for rule, _ in role_rule_endpoints(app, "GET"):
        for url in build_urls(app, rule, objects):
            response = client.get(url)
            # The API and the page's session checks answer in JSON, never with a redirect (docs/sessions.md).
            if url.startswith(("/api/", "/session")):
                assert response.status_code == 401, url
                assert response.get_json()["error"]["code"] == "unauthorized", url
                continue
            assert response.status_code == 302, url
            # To the sign-in page, which comes back to this page afterwards.
            location = urlsplit(response.headers["Location"])
            assert location.path == "/sign-in", url
            assert parse_qs(location.query) == {"next": [url]}, url


def test_admin_pages_open_for_an_admin(client, objects) -> None:
    log_in_as(client, create_user(role="admin"))
    court_id, user_id = objects["court_id"], objects["user_id"]
    for path in ("/admin/users", "/admin/users/new", f"/admin/users/{user_id}", "/admin/courts", "/admin/courts/new"):
        assert client.get(path).status_code == 200, path
    assert client.get(f"/admin/courts/{court_id}/edit").status_code == 200


@pytest.mark.parametrize("role", [role for role in ROLES if role != "admin"])
def test_admin_actions_refuse_other_roles_even_with_a_valid_form_token(client, app, objects, role: str) -> None:
    log_in_as(client, create_user(role=role))
    token = csrf_token(client, "/account")
    data = {"csrf_token": token, "email": "new.person@example.org", "role": "worker", "code": "ZZZ", "name": "X"}
    before = (_count(AuditEvent), _count(User), _count(Court))
    for rule, declared in role_rule_endpoints(app, "POST"):
        if declared != "admin":
            continue
        for url in build_urls(app, rule, objects):
            assert client.post(url, data=data).status_code == 403, url
    assert (_count(AuditEvent), _count(User), _count(Court)) == before
    assert db.session.get(User, objects["user_id"]).is_disabled is False


def test_a_role_refusal_does_not_reveal_whether_the_object_exists(client, objects) -> None:
    log_in_as(client, create_user(role="worker"))
    existing = client.get(f"/admin/users/{objects['user_id']}")
    unknown = client.get(f"/admin/users/{uuid.uuid4()}")
    assert existing.status_code == unknown.status_code == 403


# --- separation of duties ---


def test_client_records_are_closed_to_admin_court_and_cps() -> None:
    assert RULES["client_records"].isdisjoint({Role.ADMIN, Role.COURT, Role.CPS})
    assert RULES["client_records"]  # and open to someone


def test_only_the_admin_and_signed_in_rules_let_an_administrator_in() -> None:
    assert {name for name, roles in RULES.items() if Role.ADMIN in roles} == {"admin", "signed_in"}


@pytest.mark.parametrize(("role", "expected"), [("admin", 403), ("court", 403), ("cps", 403), ("worker", 200)])
def test_a_client_records_route_refuses_admin(fresh_app, app_ctx, role: str, expected: int) -> None:
    application = fresh_app()

    @application.route("/throwaway/client-record")
    @requires("client_records")
    def client_record():
        return "support content"

    client = log_in_as(application.test_client(), create_user(role=role))
    response = client.get("/throwaway/client-record")
    assert response.status_code == expected
    assert ("support content" in response.get_data(as_text=True)) is (expected == 200)


def test_court_users_are_scoped_to_their_court(app_ctx) -> None:
    """A court user sees her court's referrals only; CPS users the courts they cover; support staff and
    administrators are not limited by court (diversion/scoping.py)."""
    court = create_court()
    assert scoping.court_ids(create_user(role="court", court=court)) == [court.id]
    assert court.id in scoping.court_ids(create_user(role="cps"))
    for role in ("worker", "manager", "admin"):
        assert scoping.court_ids(create_user(role=role)) is None, role


# --- object loaders ---


def test_unknown_ids_give_404(client, app_ctx) -> None:
    log_in_as(client, create_user(role="admin"))
    for path in (f"/admin/users/{uuid.uuid4()}", "/admin/courts/999999/edit"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Page not found" in response.get_data(as_text=True)
    token = csrf_token(client, "/admin/users")
    for path in (f"/admin/users/{uuid.uuid4()}/disable", f"/admin/users/{uuid.uuid4()}/reset-password"):
        assert client.post(path, data={"csrf_token": token}).status_code == 404, path


def test_malformed_ids_give_404(client, app_ctx) -> None:
    log_in_as(client, create_user(role="admin"))
    for path in ("/admin/users/not-a-uuid", "/admin/users/1", "/admin/courts/abc/edit", "/admin/courts/-1/edit"):
        assert client.get(path).status_code == 404, path


@pytest.mark.parametrize(
    ("model", "value"),
    [
        (User, "not-a-uuid"),
        (User, 12),
        (User, "' OR 1=1 --"),
        (Court, "abc"),
        (Court, "1 OR 1=1"),
        (Court, None),
    ],
)
def test_the_loader_answers_404_for_a_malformed_id_without_a_database_error(app_ctx, model, value) -> None:
    with pytest.raises(NotFound):
        load_or_404(model, value)
    # The transaction is still usable (PostgreSQL aborts a transaction after a failed statement).
    assert db.session.execute(text("SELECT 1")).scalar() == 1


def test_the_loader_returns_the_object_for_a_known_id(app_ctx) -> None:
    court = create_court()
    user = create_user()
    assert load_or_404(Court, court.id) is court
    assert load_or_404(User, user.id).id == user.id
    assert load_or_404(User, str(user.id)).id == user.id


def test_outcome_reports_and_their_drill_down_are_for_managers_only(app) -> None:
    assert RULES["outcome_reports"] == frozenset({Role.MANAGER})
    outcome_routes = {
        rule.endpoint: rule_of(app.view_functions[rule.endpoint])
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/outcomes")
    }
    assert {
        "outcomes.dashboard",
        "outcomes.chart",
        "outcomes.cases",
        "outcomes.funder_return",
        "outcomes.funder_return_csv",
        "outcomes.funder_return_xlsx",
        "outcomes.funder_return_print",
        "outcomes.save_snapshot",
        "outcomes.snapshot",
    } == set(outcome_routes)
    assert set(outcome_routes.values()) == {"outcome_reports"}
    assert rule_of(app.view_functions["api.outcomes_report"]) == "outcome_reports"
    # Reviews and equality monitoring are part of the case: support staff only.
    for endpoint in ("outcomes.review_list", "outcomes.new_review", "outcomes.edit_review", "outcomes.equality"):
        assert rule_of(app.view_functions[endpoint]) == "client_records", endpoint


def test_message_routes_declare_their_rules(app) -> None:
    """Her messages are client records; failed messages and retry are the manager's; partners set notice emails."""
    expected = {
        "notifications.case_messages": "client_records",
        "notifications.quiet_hours": "client_records",
        "notifications.stop": "client_records",
        "notifications.failed": "case_management",
        "notifications.retry": "case_management",
        "notifications.preferences": "notice_emails",
    }
    declared = {
        rule.endpoint: rule_of(app.view_functions[rule.endpoint])
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("notifications.")
    }
    assert declared == expected
    assert RULES["notice_emails"] == frozenset({Role.COURT, Role.CPS})


def test_the_contact_log_is_a_client_record(app) -> None:
    """Her contact log, on the page and through the API, is support content: workers and managers only
    (docs/contacts.md)."""
    declared = {
        rule.endpoint: rule_of(app.view_functions[rule.endpoint])
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("contacts.") or "/contacts" in rule.rule
    }
    assert declared == {
        "contacts.list_for_case": "client_records",
        "api.list_contacts": "client_records",
        "api.log_contact": "client_records",
    }


def test_data_protection_routes_are_for_managers_only(app) -> None:
    """Retention, holds, exports, erasure and the consent wordings are the manager's; the audit review needs the
    audit-log rule."""
    assert RULES["data_protection"] == frozenset({Role.MANAGER})
    assert RULES["audit_log"] == frozenset({Role.MANAGER})
    declared = {
        rule.endpoint: rule_of(app.view_functions[rule.endpoint])
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("privacy.")
    }
    assert declared == {
        "privacy.index": "data_protection",
        "privacy.client": "data_protection",
        "privacy.hold": "data_protection",
        "privacy.export_record": "data_protection",
        "privacy.request_erasure": "data_protection",
        "privacy.erasure": "data_protection",
        "privacy.audit": "audit_log",
        "privacy.audit_csv": "audit_log",
        "privacy.viewed_by": "audit_log",
    }


def test_alert_routes_are_for_support_staff_only(app) -> None:
    """Alerts are about cases: workers and managers read and acknowledge their own (docs/alerts.md)."""
    declared = {
        rule.endpoint: rule_of(app.view_functions[rule.endpoint])
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("alerts.")
    }
    assert declared == {
        "alerts.index": "client_records",
        "alerts.show": "client_records",
        "alerts.acknowledge": "client_records",
    }

"""Web hardening: CSRF on every state-changing request, security headers, cookies, error pages, JSON errors."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import BadRequest

from diversion.audit.models import AuditEvent
from diversion.auth.models import ApiToken, RecoveryCode, Role, User, UserSession
from diversion.auth.tokens import create_api_token, revoke_token
from diversion.courts.models import Court
from diversion.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from diversion.extensions import db
from diversion.permissions import RULES, public, requires, rule_of
from tests import pages
from tests.conftest import dispose_app
from tests.factories import PASSWORD, create_court, create_user, csrf_token, log_in_as
from tests.test_permissions import build_urls

API_CODES = {"validation_error", "not_found", "forbidden", "conflict", "invalid_transition", "unauthorized"}
BUILT_CSS = Path(__file__).resolve().parent.parent / "diversion" / "static" / "build" / "app.css"
LEAKS = ("Traceback", "SELECT", "secret FROM", "connection refused", 'File "', "sqlalchemy", "RuntimeError")


def _snapshot(*users: User) -> tuple[Any, ...]:
    """Everything a refused POST might have changed."""

    def count(model: type, *where: Any) -> int:
        return int(db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    db.session.expire_all()
    people = tuple(
        (
            u.is_disabled,
            u.password_hash,
            u.totp_secret,
            u.failed_login_count,
            u.locked_until,
            u.must_change_password,
            u.display_name,
        )
        for u in (db.session.get(User, user.id) for user in users)
    )
    return (
        count(AuditEvent),
        count(User),
        count(Court),
        tuple(db.session.scalars(select(Court.name).order_by(Court.id))),
        count(UserSession, UserSession.ended_at.is_(None)),
        count(ApiToken),
        count(ApiToken, ApiToken.revoked_at.is_(None)),
        count(RecoveryCode),
        people,
    )


# --- CSRF ---


def _post_rules(app: Flask) -> list[Any]:
    """The web UI's POST routes. The API under /api/ takes bearer tokens only, never the cookie, so no CSRF token."""
    rules = [r for r in app.url_map.iter_rules() if "POST" in (r.methods or ()) and not r.rule.startswith("/api/")]
    return sorted(rules, key=lambda r: r.rule)


def _acting_role(app: Flask, endpoint: str) -> str:
    """A role the endpoint's rule lets in: a support worker where possible (public and sign-in routes too)."""
    declared = rule_of(app.view_functions[endpoint])
    if declared not in RULES or Role.WORKER in RULES[declared]:
        return "worker"
    return "admin" if Role.ADMIN in RULES[declared] else sorted(RULES[declared])[0]


def test_every_post_endpoint_refuses_a_missing_csrf_token(app, app_ctx) -> None:
    court = create_court()
    target = create_user(role="court", court=court)
    actors = {role.value: create_user(role=role.value) for role in Role}
    token_id = _token_id(actors["worker"])
    ids = {"user_id": target.id, "court_id": court.id, "token_id": token_id}
    # Forms that would change something if they got through: a new user or court, a rename, a counted failure.
    form = {
        "email": "someone.new@example.org",
        "password": PASSWORD,
        "role": "worker",
        "code": "NEW1",
        "name": "N",
        "display_name": "Someone New",
        "seen": "",
    }
    forms = {"/sign-in": {"email": target.email, "password": "wrong password here"}}

    posted = []
    for rule in _post_rules(app):
        role = _acting_role(app, rule.endpoint)
        for url in build_urls(app, rule, ids):
            for who in (role, None):
                client = app.test_client()
                if who is not None:
                    log_in_as(client, actors[who])
                data = forms.get(url, form)
                before = _snapshot(target, *actors.values())
                response = client.post(url, data=data)
                # The page's session checks answer in JSON, and without a session say "signed out" (401), as they
                # would with a token (docs/sessions.md).
                expected = 401 if url.startswith("/session") and who is None else 400
                assert response.status_code == expected, (url, who, response.status_code)
                if url.startswith("/session"):
                    assert response.is_json, url
                else:
                    assert "Your form expired" in response.get_data(as_text=True)
                assert _snapshot(target, *actors.values()) == before, (url, who)
                # A token from another session is refused as well.
                foreign = csrf_token(app.test_client(), "/sign-in")
                response = client.post(url, data={**data, "csrf_token": foreign})
                assert response.status_code == expected, (url, who, "foreign token")
                assert _snapshot(target, *actors.values()) == before, (url, who, "foreign token")
            posted.append(url)

    # Positive control: the same POST with this session's token gets past the CSRF check.
    for url in posted:
        role = _acting_role(app, app.url_map.bind("localhost").match(url, method="POST")[0])
        client = log_in_as(app.test_client(), actors[role])
        response = client.post(url, data={**forms.get(url, form), "csrf_token": csrf_token(client, "/account")})
        assert response.status_code != 400, url

    expected = {
        "/sign-in",
        "/sign-out",
        "/account/api-tokens",
        "/account/name",
        "/admin/users/new",
        f"/admin/users/{target.id}/name",
        "/admin/courts/new",
        f"/admin/courts/{court.id}/edit",
        f"/admin/users/{target.id}/disable",
        f"/admin/users/{target.id}/reset-two-factor",
        f"/admin/users/{target.id}/reset-password",
    }
    assert expected <= set(posted)


def _token_id(user: User) -> uuid.UUID:
    create_api_token(db.session.get(User, user.id))
    return db.session.scalars(select(ApiToken.id).where(ApiToken.user_id == user.id)).one()


def test_sign_in_without_a_token_counts_no_failure_and_writes_nothing(client, app_ctx) -> None:
    user = create_user()
    before = _snapshot(user)
    response = client.post("/sign-in", data={"email": user.email, "password": "wrong password here"})
    assert response.status_code == 400
    assert _snapshot(user) == before
    # With the token the same attempt is a counted failure: the check above was CSRF, not something else.
    token = csrf_token(client, "/sign-in")
    client.post("/sign-in", data={"email": user.email, "password": "wrong password here", "csrf_token": token})
    assert db.session.get(User, user.id).failed_login_count == 1


def test_an_admin_form_needs_its_token(client, app_ctx) -> None:
    log_in_as(client, create_user(role="admin"))
    refused = client.post("/admin/courts/new", data={"code": "CSRF1", "name": "Forged Magistrates' Court"})
    assert refused.status_code == 400
    assert db.session.scalars(select(Court).where(Court.code == "CSRF1")).first() is None
    token = csrf_token(client, "/admin/courts/new")
    accepted = client.post(
        "/admin/courts/new", data={"code": "CSRF1", "name": "Real Magistrates' Court", "csrf_token": token}
    )
    assert accepted.status_code == 302
    assert db.session.scalars(select(Court).where(Court.code == "CSRF1")).one().name == "Real Magistrates' Court"


# --- headers ---


def _check_common_headers(response: Any) -> str:
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    return csp


def test_pages_carry_the_security_headers_and_a_nonce_for_their_one_inline_script(client, app_ctx) -> None:
    admin = create_user(role="admin")
    anonymous_pages = ["/sign-in", "/no-such-page"]
    signed_in_pages = ["/home", "/account", "/admin/users", "/admin/courts/new", f"/admin/users/{uuid.uuid4()}"]
    seen_nonces = set()
    for path in anonymous_pages + signed_in_pages:
        if path == signed_in_pages[0]:
            log_in_as(client, admin)
        response = client.get(path)
        assert response.status_code in (200, 404), path
        csp = _check_common_headers(response)
        assert response.headers["Cache-Control"] == "no-store", path
        script_src = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
        nonce = re.search(r"'nonce-([^']+)'", script_src).group(1)
        page = pages.read(response)
        inline = [script for script in page.select("script") if script.get_text().strip()]
        assert len(inline) == 1, path
        assert inline[0].get("nonce") == nonce, path
        assert " style=" not in page.html, path  # no inline styles either: style-src is 'self' only
        assert not page.has("[style]"), path
        seen_nonces.add(nonce)
    assert len(seen_nonces) == len(anonymous_pages + signed_in_pages)  # a fresh nonce on every response


def test_assets_carry_the_headers_but_may_be_cached(client) -> None:
    name = "app.css" if BUILT_CSS.is_file() else "app.mjs"
    with client.get(f"/assets/{name}") as response:
        assert response.status_code == 200
        assert response.get_data()
        _check_common_headers(response)
        assert "no-store" not in response.headers.get("Cache-Control", "")
        assert "max-age" in response.headers.get("Cache-Control", "")


def test_unknown_assets_are_not_served(client) -> None:
    for name in ("../config.py", "app.py", "build/app.css", "%2e%2e/wsgi.py"):
        assert client.get(f"/assets/{name}").status_code == 404, name


def test_session_cookie_is_httponly_and_lax_after_signing_in(client, app_ctx) -> None:
    user = create_user()
    response = client.post(
        "/sign-in",
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client, "/sign-in")},
    )
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("diversion_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # only in production, over TLS


def test_production_adds_hsts_and_secure_cookies_on_every_response(tmp_path) -> None:
    from diversion import create_app
    from diversion.crypto.keys import generate_master_key_line

    app_logger = logging.getLogger("diversion")
    handlers = list(app_logger.handlers)
    production = create_app(
        environ={
            "DIVERSION_CONFIG": "production",
            "SECRET_KEY": "p" * 48,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}",
            "DIVERSION_KEYSTORE_URL": f"sqlite:///{tmp_path / 'k.db'}",
            "DIVERSION_MASTER_KEYS": generate_master_key_line("prod1"),
        }
    )
    try:
        client = production.test_client()
        for path in ("/no-such-page", "/sign-in"):
            response = client.get(path)
            assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000"), path
            _check_common_headers(response)
        cookie = response.headers["Set-Cookie"]
        assert "Secure" in cookie
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
    finally:
        dispose_app(production)
        # A production app logs to stderr; leave the process's logging as the other tests expect it.
        for handler in set(app_logger.handlers) - set(handlers):
            app_logger.removeHandler(handler)


def test_no_hsts_outside_production(client) -> None:
    assert "Strict-Transport-Security" not in client.get("/sign-in").headers


# --- error pages ---


def _assert_error_page(response: Any, status: int) -> str:
    assert response.status_code == status
    assert response.mimetype == "text/html"
    page = pages.read(response)
    heading = page.select_one("h1")
    assert heading.get("class") == ["govuk-heading-l"], status
    assert heading.get_text().strip(), status
    assert heading.find() is None, status
    html = page.html
    assert "govuk-template" in html
    for leak in LEAKS:
        assert leak not in html, (status, leak)
    _check_common_headers(response)
    return html


@pytest.fixture
def raising_app(fresh_app) -> Flask:
    """A test app with throwaway routes that raise each kind of error, as a page and under /api/."""
    application = fresh_app()
    failures: dict[str, Callable[[], Exception]] = {
        "bad-request": BadRequest,
        "conflict": lambda: Conflict("This record was changed", {"version": "Reload the record"}),
        "invalid": lambda: ValidationFailed("Date must be in the past", {"date": "Too late"}),
        "transition": lambda: InvalidTransition("A completed case cannot be withdrawn"),
        "missing": lambda: NotFound("No such referral"),
        "crash": lambda: RuntimeError("SELECT secret FROM x"),
        "database-down": lambda: OperationalError("SELECT 1", {}, Exception("connection refused")),
    }
    for prefix in ("/throwaway", "/api/throwaway"):
        for name, make_error in failures.items():

            def fail(make_error: Callable[[], Exception] = make_error) -> Any:
                raise make_error()

            application.add_url_rule(f"{prefix}/{name}", f"{prefix.strip('/')}/{name}", public(fail))

    @application.route("/api/throwaway/me")
    @requires("signed_in")
    def me():
        return {"user_id": str(current_user.id)}

    @application.route("/api/throwaway/admin-only")
    @requires("admin")
    def admin_only():
        return {"ok": True}

    @application.route("/api/throwaway/post-only", methods=["POST"])
    @public
    def post_only():
        return {"ok": True}

    return application


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("bad-request", 400),
        ("missing", 404),
        ("conflict", 409),
        ("invalid", 422),
        ("crash", 500),
        ("database-down", 503),
    ],
)
def test_error_pages_are_govuk_pages_without_tracebacks_or_sql(raising_app, name: str, status: int) -> None:
    html = _assert_error_page(raising_app.test_client().get(f"/throwaway/{name}"), status)
    if status == 500:
        assert "Sorry, there is a problem with the service" in html
    if status == 503:
        assert "Sorry, the service is unavailable" in html


def test_error_pages_for_the_app_s_own_refusals(client, app_ctx) -> None:
    _assert_error_page(client.post("/sign-in", data={"email": "a@example.org", "password": "x"}), 400)
    _assert_error_page(client.get("/no-such-page"), 404)
    _assert_error_page(client.get("/sign-out"), 405)
    log_in_as(client, create_user(role="worker"))
    _assert_error_page(client.get("/admin/users"), 403)


def test_a_duplicate_court_code_shows_the_form_with_its_error(client, app_ctx) -> None:
    existing = create_court(code="DUP1")
    log_in_as(client, create_user(role="admin"))
    token = csrf_token(client, "/admin/courts/new")
    response = client.post("/admin/courts/new", data={"code": "dup1", "name": "Another court", "csrf_token": token})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert "A court with this code already exists" in html
    assert db.session.scalars(select(func.count()).select_from(Court).where(Court.code == "DUP1")).one() == 1
    assert db.session.get(Court, existing.id).name == existing.name


def test_too_many_sign_in_attempts_get_a_429_page(fresh_app, app_ctx) -> None:
    application = fresh_app(LOGIN_RATE_LIMIT="2 per minute")
    client = application.test_client()
    token = csrf_token(client, "/sign-in")
    data = {"email": "nobody@example.org", "password": "wrong password here", "csrf_token": token}
    assert [client.post("/sign-in", data=data).status_code for _ in range(2)] == [200, 200]
    html = _assert_error_page(client.post("/sign-in", data=data), 429)
    assert "Too many" in html


# --- JSON errors under /api/ ---


def _assert_json_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code
    for leak in LEAKS:
        assert leak not in response.get_data(as_text=True), leak
    return body["error"]


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/api/throwaway/bad-request", 400, "validation_error"),
        ("/api/throwaway/me", 401, "unauthorized"),
        ("/api/throwaway/missing", 404, "not_found"),
        ("/api/no-such-endpoint", 404, "not_found"),
        ("/api/throwaway/conflict", 409, "conflict"),
        ("/api/throwaway/invalid", 422, "validation_error"),
        ("/api/throwaway/transition", 422, "invalid_transition"),
    ],
)
def test_api_errors_are_json_in_the_documented_shape(raising_app, path: str, status: int, code: str) -> None:
    error = _assert_json_error(raising_app.test_client().get(path), status, code)
    assert error["code"] in API_CODES


def test_api_validation_errors_name_their_fields(raising_app) -> None:
    error = _assert_json_error(raising_app.test_client().get("/api/throwaway/invalid"), 422, "validation_error")
    assert error["fields"] == {"date": "Too late"}
    assert error["message"] == "Date must be in the past"


def test_api_forbidden_is_json(raising_app, app_ctx) -> None:
    raw = create_api_token(create_user(role="worker"))
    response = raising_app.test_client().get("/api/throwaway/admin-only", headers={"Authorization": f"Bearer {raw}"})
    _assert_json_error(response, 403, "forbidden")


@pytest.mark.parametrize(("name", "status"), [("crash", 500), ("database-down", 503)])
def test_api_server_errors_are_json_without_details(raising_app, name: str, status: int) -> None:
    _assert_json_error(raising_app.test_client().get(f"/api/throwaway/{name}"), status)


def test_api_wrong_method_is_json(raising_app) -> None:
    _assert_json_error(raising_app.test_client().get("/api/throwaway/post-only"), 405)


# --- the API takes bearer tokens only ---


def test_the_api_never_accepts_the_session_cookie(raising_app, app_ctx) -> None:
    user = create_user(role="worker")
    browser = log_in_as(raising_app.test_client(), user)
    assert browser.get("/home").status_code == 200  # the session itself is good
    _assert_json_error(browser.get("/api/throwaway/me"), 401, "unauthorized")


def test_the_api_accepts_a_bearer_token_until_it_is_revoked(raising_app, app_ctx) -> None:
    user = create_user(role="worker")
    raw = create_api_token(db.session.get(User, user.id))
    client = raising_app.test_client()
    accepted = client.get("/api/throwaway/me", headers={"Authorization": f"Bearer {raw}"})
    assert accepted.status_code == 200
    assert accepted.get_json() == {"user_id": str(user.id)}

    for header in (f"Token {raw}", f"Bearer {raw}x", "Bearer ", raw):
        _assert_json_error(client.get("/api/throwaway/me", headers={"Authorization": header}), 401, "unauthorized")
    # A bearer token does not open the pages either: they take the session cookie only.
    assert client.get("/home", headers={"Authorization": f"Bearer {raw}"}).status_code == 302

    token_id = db.session.scalars(select(ApiToken.id).where(ApiToken.user_id == user.id)).one()
    assert revoke_token(db.session.get(User, user.id), token_id)
    _assert_json_error(client.get("/api/throwaway/me", headers={"Authorization": f"Bearer {raw}"}), 401)


def test_a_405_page_names_the_methods_the_address_takes(client) -> None:
    response = client.get("/sign-out")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"].split(", ")

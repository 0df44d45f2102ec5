"""The admin pages, through the UI with CSRF on: users (create, disable, enable, unlock, reset the authenticator,
issue a temporary password) and courts (add, rename)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from diversion.audit.models import AuditEvent
from diversion.auth import sessions
from diversion.auth.models import RecoveryCode, User
from diversion.auth.services import _replace_recovery_codes, is_locked
from diversion.courts.models import Court
from diversion.db import transaction, utcnow
from diversion.extensions import db
from tests import pages
from tests.factories import PASSWORD, create_court, create_user, csrf_token, log_in_as

NEW_PASSWORD = "a quiet river at dawn"


@pytest.fixture
def admin_client(client: FlaskClient, app_ctx) -> FlaskClient:
    admin = create_user(role="admin", email="the.admin@example.org")
    return log_in_as(client, admin)


def _fresh_user(user_id: Any) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def _flashes(client: FlaskClient) -> list[str]:
    with client.session_transaction() as flask_session:
        return [message for _, message in flask_session.get("_flashes", [])]


def _audit_count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def _create_user_form(client: FlaskClient, **fields: str) -> Any:
    data = {
        "display_name": "New Person",
        "email": "",
        "role": "",
        "court": "",
        **fields,
        "csrf_token": csrf_token(client, "/admin/users/new"),
    }
    return client.post("/admin/users/new", data=data)


def _error_summary(page: pages.Page) -> str:
    """The text of the page's one error summary."""
    return page.text_of(".govuk-error-summary")


def _sign_in_password(client: FlaskClient, email: str, password: str) -> Any:
    token = csrf_token(client, "/sign-in")
    return client.post("/sign-in", data={"email": email, "password": password, "csrf_token": token})


# --- users ---


def test_the_users_page_lists_every_user(admin_client) -> None:
    worker = create_user(role="worker")
    court_user = create_user(role="court")
    html = admin_client.get("/admin/users").get_data(as_text=True)
    assert worker.email in html
    assert court_user.email in html
    assert court_user.court.name.replace("'", "&#39;") in html


def test_creating_a_user_shows_a_temporary_password_once(admin_client, app) -> None:
    court = create_court()
    response = _create_user_form(admin_client, email="  New.Court.User@Example.org ", role="court", court=court.code)
    assert response.status_code == 200
    shown = pages.read(response)
    assert "User created" in shown.text
    password = shown.text_of("#temporary-password")
    assert password

    user = db.session.scalars(select(User).where(User.email == "new.court.user@example.org")).one()
    assert user.role == "court"
    assert user.court_id == court.id
    assert user.must_change_password is True
    assert password not in user.password_hash
    # Shown once: not on the user's page, not on the list.
    assert password not in admin_client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert password not in admin_client.get("/admin/users").get_data(as_text=True)

    # The temporary password works once, and only to choose a new one.
    newcomer = app.test_client()
    assert _sign_in_password(newcomer, user.email, password).headers["Location"] == "/sign-in/new-password"
    assert newcomer.get("/home").status_code == 302


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"email": "taken@example.org", "role": "worker"}, "email", "A user with this email address already exists"),
        ({"email": "TAKEN@example.org ", "role": "cps"}, "email", "A user with this email address already exists"),
        ({"email": "court.nocourt@example.org", "role": "court"}, "court", "Select the court this user works at"),
        ({"email": "worker.court@example.org", "role": "worker", "court": "CRT1"}, "court", "Only court staff belong"),
        ({"email": "", "role": "worker"}, "email", "Enter an email address"),
        ({"email": "not-an-email", "role": "worker"}, "email", "Enter an email address in the correct format"),
        # Only "@" was checked once: an address a spreadsheet would run, or one with no domain, is refused.
        (
            {"email": '=hyperlink("http://evil.example","x")@x.example', "role": "worker"},
            "email",
            "Enter an email address in the correct format, like name@example.org",
        ),
        ({"email": "two@at@example.org", "role": "worker"}, "email", "Enter an email address in the correct format"),
        ({"email": "nodomain@", "role": "worker"}, "email", "Enter an email address in the correct format"),
        ({"email": "no.role@example.org"}, "role", "Select a role"),
        ({"email": "odd.role@example.org", "role": "superuser"}, "role", "Not a valid choice"),
    ],
)
def test_creating_a_user_refuses_what_breaks_the_rules(admin_client, fields, field: str, message: str) -> None:
    create_user(role="worker", email="taken@example.org")
    create_court(code="CRT1")
    users_before, events_before = db.session.scalar(select(func.count()).select_from(User)), _audit_count()
    response = _create_user_form(admin_client, **fields)
    assert response.status_code == 200
    page = pages.read(response)
    assert "There is a problem" in _error_summary(page)
    assert message in _error_summary(page)
    assert [link for link in page.error_summary_links if link.startswith(f"#{field}")]
    assert "temporary-password" not in page.html
    assert db.session.scalar(select(func.count()).select_from(User)) == users_before
    assert _audit_count() == events_before


def test_disabling_ends_the_users_sessions_and_enabling_lets_them_back(admin_client, app) -> None:
    user = create_user(role="worker")
    their_browser = log_in_as(app.test_client(), user)
    assert their_browser.get("/home").status_code == 200

    token = csrf_token(admin_client, f"/admin/users/{user.id}")
    response = admin_client.post(f"/admin/users/{user.id}/disable", data={"csrf_token": token})
    assert response.headers["Location"] == f"/admin/users/{user.id}"
    flashes = _flashes(admin_client)
    assert flashes == ["User disabled. Their sessions and API tokens have ended."]
    assert not any(user.email in message for message in flashes)
    assert _fresh_user(user.id).is_disabled is True
    assert their_browser.get("/home").status_code == 302
    assert sessions.live_session_count(user.id) == 0
    assert _sign_in_password(app.test_client(), user.email, PASSWORD).status_code == 200  # refused

    page = admin_client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "Disabled" in page
    assert "Enable user" in page
    response = admin_client.post(f"/admin/users/{user.id}/enable", data={"csrf_token": token})
    assert response.status_code == 302
    assert _fresh_user(user.id).is_disabled is False
    assert _sign_in_password(app.test_client(), user.email, PASSWORD).status_code == 302


def test_unlocking_lifts_a_lockout(admin_client, app) -> None:
    user = create_user(role="worker")
    with transaction():
        locked = db.session.get(User, user.id)
        locked.failed_login_count = 10
        locked.first_failed_login_at = utcnow()
        locked.locked_until = utcnow() + timedelta(minutes=15)
    page = admin_client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "Locked after failed sign-ins" in page
    assert _sign_in_password(app.test_client(), user.email, PASSWORD).status_code == 200  # refused while locked

    token = csrf_token(admin_client, f"/admin/users/{user.id}")
    admin_client.post(f"/admin/users/{user.id}/unlock", data={"csrf_token": token})
    unlocked = _fresh_user(user.id)
    assert not is_locked(unlocked)
    assert unlocked.failed_login_count == 0
    assert _flashes(admin_client) == ["User unlocked."]
    assert _sign_in_password(app.test_client(), user.email, PASSWORD).status_code == 302


def test_resetting_two_factor_clears_the_authenticator_codes_and_sessions(admin_client, app) -> None:
    user = create_user(role="manager")
    with transaction():
        _replace_recovery_codes(db.session.get(User, user.id))
    their_browser = log_in_as(app.test_client(), user)
    assert their_browser.get("/home").status_code == 200

    token = csrf_token(admin_client, f"/admin/users/{user.id}")
    admin_client.post(f"/admin/users/{user.id}/reset-two-factor", data={"csrf_token": token})
    reset = _fresh_user(user.id)
    assert reset.totp_secret is None
    assert reset.totp_enrolled_at is None
    assert reset.totp_last_step is None
    assert db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all() == []
    assert sessions.live_session_count(user.id) == 0
    assert their_browser.get("/home").status_code == 302
    assert not any(user.email in message for message in _flashes(admin_client))
    # At the next sign-in they set up a new authenticator.
    response = _sign_in_password(app.test_client(), user.email, PASSWORD)
    assert response.headers["Location"] == "/sign-in/set-up-authenticator"


def test_issuing_a_temporary_password_replaces_the_old_one(admin_client, app) -> None:
    create_court()  # a court of the administrator's scheme, which the CPS user covers: hers to manage
    user = create_user(role="cps")
    their_browser = log_in_as(app.test_client(), user)
    token = csrf_token(admin_client, f"/admin/users/{user.id}")
    response = admin_client.post(f"/admin/users/{user.id}/reset-password", data={"csrf_token": token})
    shown = pages.read(response)
    assert "Temporary password issued" in shown.text
    issued = shown.text_of("#temporary-password")
    assert issued
    assert _fresh_user(user.id).must_change_password is True
    assert their_browser.get("/home").status_code == 302
    assert _sign_in_password(app.test_client(), user.email, PASSWORD).status_code == 200  # the old one is refused
    newcomer = app.test_client()
    assert _sign_in_password(newcomer, user.email, issued).headers["Location"] == "/sign-in/new-password"
    token = csrf_token(newcomer, "/sign-in/new-password")
    done = newcomer.post(
        "/sign-in/new-password", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "csrf_token": token}
    )
    assert done.headers["Location"] == "/sign-in/security-code"
    assert _fresh_user(user.id).must_change_password is False


def test_user_actions_without_a_confirmation_token_change_nothing(admin_client) -> None:
    user = create_user(role="worker")
    before = _audit_count()
    for action in ("disable", "unlock", "reset-two-factor", "reset-password"):
        assert admin_client.post(f"/admin/users/{user.id}/{action}").status_code == 400, action
    after = _fresh_user(user.id)
    assert after.is_disabled is False
    assert after.totp_secret is not None
    assert _audit_count() == before


def test_an_unknown_action_is_not_found(admin_client) -> None:
    user = create_user(role="worker")
    token = csrf_token(admin_client, f"/admin/users/{user.id}")
    assert admin_client.post(f"/admin/users/{user.id}/delete", data={"csrf_token": token}).status_code == 404


# --- courts ---


def test_adding_and_renaming_a_court(admin_client) -> None:
    token = csrf_token(admin_client, "/admin/courts/new")
    response = admin_client.post(
        "/admin/courts/new", data={"code": "nth2", "name": "Northgate Magistrates' Court", "csrf_token": token}
    )
    assert response.headers["Location"] == "/admin/courts"
    assert _flashes(admin_client) == ["Court saved."]
    court = db.session.scalars(select(Court).where(Court.code == "NTH2")).one()
    assert court.name == "Northgate Magistrates' Court"
    assert "Northgate Magistrates&#39; Court" in admin_client.get("/admin/courts").get_data(as_text=True)

    edit = f"/admin/courts/{court.id}/edit"
    form = admin_client.get(edit).get_data(as_text=True)
    assert 'value="NTH2"' in form
    token = csrf_token(admin_client, edit)
    response = admin_client.post(edit, data={"code": "NTH2", "name": "Northgate Justice Centre", "csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Court, court.id).name == "Northgate Justice Centre"
    assert db.session.scalar(select(func.count()).select_from(Court).where(Court.code == "NTH2")) == 1


@pytest.mark.parametrize(
    ("path_kind", "fields", "message"),
    [
        ("new", {"code": "DUP", "name": "Second court"}, "A court with this code already exists"),
        ("new", {"code": "dup", "name": "Second court"}, "A court with this code already exists"),
        ("edit", {"code": "DUP", "name": "Renamed"}, "A court with this code already exists"),
        ("new", {"code": "", "name": "No code"}, "Enter a court code"),
        ("new", {"code": "OK1", "name": ""}, "Enter the court's name"),
        ("new", {"code": "BAD CODE!", "name": "Bad code"}, "Enter a court code of up to 16 letters and digits"),
        ("new", {"code": "X" * 17, "name": "Long code"}, "Court code must be 16 characters or fewer"),
    ],
)
def test_court_changes_that_break_the_rules_are_refused(admin_client, path_kind: str, fields, message: str) -> None:
    create_court(code="DUP", name="First court")
    other = create_court(code="OTHER", name="Other court")
    path = "/admin/courts/new" if path_kind == "new" else f"/admin/courts/{other.id}/edit"
    names_before = list(db.session.scalars(select(Court.code).order_by(Court.id)))
    response = admin_client.post(path, data={**fields, "csrf_token": csrf_token(admin_client, path)})
    assert response.status_code == 200
    summary = _error_summary(pages.read(response))
    assert "There is a problem" in summary
    assert message in summary
    db.session.expire_all()
    assert list(db.session.scalars(select(Court.code).order_by(Court.id))) == names_before
    assert db.session.get(Court, other.id).name == "Other court"


def test_court_users_can_be_created_only_for_an_active_court(admin_client) -> None:
    court = create_court(code="SHUT")
    with transaction():
        db.session.get(Court, court.id).is_active = False
    page = admin_client.get("/admin/users/new").get_data(as_text=True)
    assert 'value="SHUT"' not in page
    response = _create_user_form(admin_client, email="late.user@example.org", role="court", court="SHUT")
    assert "Not a valid choice" in _error_summary(pages.read(response))
    assert db.session.scalars(select(User).where(User.email == "late.user@example.org")).first() is None

"""The sign-in journey: password, second factor, enrolment, recovery codes, lockout, throttling, sessions."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa
from sqlalchemy import select

from diversion.audit.models import AuditEvent
from diversion.auth import services as auth_services
from diversion.auth.models import ApiToken, RecoveryCode, User, UserSession
from diversion.extensions import db
from tests import pages
from tests.factories import (
    PASSWORD,
    create_user,
    csrf_token,
    fresh_code,
    log_in_as,
    shown_totp_secret,
    sign_in,
    totp_secret,
)


def _post_password(client, email: str, password: str):
    return client.post(
        "/sign-in", data={"email": email, "password": password, "csrf_token": csrf_token(client, "/sign-in")}
    )


def _actions() -> list[str]:
    return [event.action for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_full_sign_in_reaches_home_and_is_audited(client, app_ctx) -> None:
    user = create_user(role="worker")
    response = sign_in(client, user)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/home")
    assert home.status_code == 200
    assert f"You are signed in as {user.display_name}" in home.get_data(as_text=True)
    assert "login.succeeded" in _actions()


def test_password_alone_does_not_sign_in(client, app_ctx) -> None:
    user = create_user()
    response = _post_password(client, user.email, PASSWORD)
    assert response.headers["Location"] == "/sign-in/security-code"
    assert client.get("/home").status_code == 302
    assert client.get("/account").headers["Location"] == "/sign-in?next=/account"


def test_unknown_email_and_wrong_password_get_the_same_message(client, app_ctx) -> None:
    user = create_user()
    unknown = pages.read(_post_password(client, "nobody@example.org", PASSWORD))
    wrong = pages.read(_post_password(client, user.email, "wrong password here"))

    assert unknown.errors["password"] == wrong.errors["password"]
    assert "Enter a correct email address and password" in unknown.errors["password"]
    assert unknown.error_summary == wrong.error_summary
    assert "There is a problem" in unknown.text


def test_eleventh_failure_is_refused_even_with_the_right_password(client, app_ctx, monkeypatch) -> None:
    user = create_user()
    for _ in range(10):
        _post_password(client, user.email, "wrong password here")
    refused = _post_password(client, user.email, PASSWORD)
    assert refused.status_code == 200  # the form again, not a redirect to the second factor
    assert "login.locked" in _actions()
    assert "login.refused_locked" in _actions()

    # After 15 minutes the lock has passed.
    later = auth_services.utcnow() + timedelta(minutes=16)
    monkeypatch.setattr(auth_services, "utcnow", lambda: later)
    assert _post_password(client, user.email, PASSWORD).status_code == 302


def test_failures_spread_over_more_than_the_window_do_not_lock(client, app_ctx, monkeypatch) -> None:
    user = create_user()
    start = auth_services.utcnow()
    for minute in range(0, 40, 4):  # ten failures, but never ten within 15 minutes
        monkeypatch.setattr(auth_services, "utcnow", lambda m=minute: start + timedelta(minutes=m * 2))
        _post_password(client, user.email, "wrong password here")
    assert _post_password(client, user.email, PASSWORD).status_code == 302


def test_admin_unlock_lifts_a_lockout(client, app_ctx) -> None:
    from diversion.admin.services import unlock_user

    user = create_user()
    for _ in range(10):
        _post_password(client, user.email, "wrong password here")
    assert _post_password(client, user.email, PASSWORD).status_code == 200
    unlock_user(db.session.get(User, user.id))
    assert _post_password(client, user.email, PASSWORD).status_code == 302


def test_wrong_totp_codes_count_towards_the_lockout(client, app_ctx) -> None:
    user = create_user()
    _post_password(client, user.email, PASSWORD)
    for _ in range(10):
        client.post(
            "/sign-in/security-code",
            data={"code": "000000", "csrf_token": csrf_token(client, "/sign-in/security-code")},
        )
    assert auth_services.is_locked(db.session.get(User, user.id))


def test_replayed_totp_code_is_refused(client, app_ctx, app) -> None:
    user = create_user()
    secret = totp_secret(user)
    code = fresh_code(secret, None)
    _post_password(client, user.email, PASSWORD)
    ok = client.post(
        "/sign-in/security-code", data={"code": code, "csrf_token": csrf_token(client, "/sign-in/security-code")}
    )
    assert ok.status_code == 302
    other = app.test_client()
    _post_password(other, user.email, PASSWORD)
    replay = other.post(
        "/sign-in/security-code", data={"code": code, "csrf_token": csrf_token(other, "/sign-in/security-code")}
    )
    assert replay.status_code == 200
    assert "Enter a correct security code" in replay.get_data(as_text=True)


def test_enrolment_shows_qr_and_secret_and_issues_ten_single_use_recovery_codes(client, app_ctx, app) -> None:
    user = create_user(enrolled=False)
    response = _post_password(client, user.email, PASSWORD)
    assert response.headers["Location"] == "/sign-in/set-up-authenticator"
    page = pages.get(client, "/sign-in/set-up-authenticator")
    assert page.has("svg")
    secret = shown_totp_secret(page)
    # The same secret on a reload, so a half-done enrolment can be finished.
    assert shown_totp_secret(pages.get(client, "/sign-in/set-up-authenticator")) == secret
    done = client.post(
        "/sign-in/set-up-authenticator",
        data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_token(client, "/sign-in/set-up-authenticator")},
    )
    items = [pages.normalise(item.get_text(" ")) for item in pages.read(done).select("li")]
    codes = [item for item in items if re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", item)]
    assert len(codes) == 10
    assert client.get("/home").status_code == 200
    stored = db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)).all()
    assert len(stored) == 10
    assert not any(code in stored for code in codes)  # hashed, not kept as typed

    # A recovery code signs in once, and only once.
    for attempt, expected in ((1, 302), (2, 200)):
        other = app.test_client()
        _post_password(other, user.email, PASSWORD)
        result = other.post(
            "/sign-in/security-code",
            data={"code": codes[0].upper(), "csrf_token": csrf_token(other, "/sign-in/security-code")},
        )
        assert result.status_code == expected, attempt
    assert "two_factor.enrolled" in _actions()
    assert "login.recovery_code_used" in _actions()


def test_enrolment_refuses_a_wrong_code(client, app_ctx) -> None:
    user = create_user(enrolled=False)
    _post_password(client, user.email, PASSWORD)
    response = client.post(
        "/sign-in/set-up-authenticator",
        data={"code": "123456", "csrf_token": csrf_token(client, "/sign-in/set-up-authenticator")},
    )
    assert response.status_code == 200
    assert "Enter a correct security code" in response.get_data(as_text=True)
    assert db.session.get(User, user.id).totp_enrolled_at is None


def test_totp_secret_is_stored_encrypted(app_ctx) -> None:
    user = create_user()
    secret = totp_secret(user)
    stored = db.session.execute(sa.text("SELECT totp_secret FROM users WHERE email = :e"), {"e": user.email}).scalar()
    assert secret.encode() not in bytes(stored)
    assert bytes(stored)[0] == 1  # format version byte


def test_temporary_password_must_be_changed_before_second_factor(client, app_ctx) -> None:
    user = create_user(must_change_password=True)
    assert _post_password(client, user.email, PASSWORD).headers["Location"] == "/sign-in/new-password"
    token = csrf_token(client, "/sign-in/new-password")
    weak = client.post(
        "/sign-in/new-password", data={"password": "password1234", "confirm": "password1234", "csrf_token": token}
    )
    assert "too common" in weak.get_data(as_text=True)
    new = "a quiet river at dawn"
    ok = client.post("/sign-in/new-password", data={"password": new, "confirm": new, "csrf_token": token})
    assert ok.headers["Location"] == "/sign-in/security-code"
    assert db.session.get(User, user.id).must_change_password is False


def test_pending_sign_in_expires(client, app_ctx, app, monkeypatch) -> None:
    import time as time_module

    user = create_user()
    _post_password(client, user.email, PASSWORD)
    real = time_module.time()
    monkeypatch.setattr("diversion.auth.views.time.time", lambda: real + 11 * 60)
    assert client.get("/sign-in/security-code").headers["Location"] == "/sign-in"


def test_sign_in_starts_a_fresh_session(client, app_ctx) -> None:
    user = create_user()
    with client.session_transaction() as before:
        before["planted"] = "by someone else"
    sign_in(client, user)
    with client.session_transaction() as after:
        assert "planted" not in after
        assert after.get("sid")


def test_idle_session_ends_after_30_minutes(client, app_ctx, monkeypatch) -> None:
    from diversion.auth import sessions

    user = create_user()
    log_in_as(client, user)
    assert client.get("/home").status_code == 200
    later = sessions.utcnow() + timedelta(minutes=31)
    monkeypatch.setattr(sessions, "utcnow", lambda: later)
    response = client.get("/home")
    assert response.headers["Location"] == "/sign-in?next=/home"
    assert "not done anything for 30 minutes" in client.get("/sign-in").get_data(as_text=True)


def test_activity_keeps_a_session_alive_until_the_absolute_limit(client, app_ctx, monkeypatch) -> None:
    from diversion.auth import sessions

    user = create_user()
    log_in_as(client, user)
    start = sessions.utcnow()
    for minutes in range(20, 600, 20):
        monkeypatch.setattr(sessions, "utcnow", lambda m=minutes: start + timedelta(minutes=m))
        assert client.get("/home").status_code == 200, minutes
    monkeypatch.setattr(sessions, "utcnow", lambda: start + timedelta(hours=10, minutes=1))
    assert client.get("/home").status_code == 302
    assert "signed in for 10 hours" in client.get("/sign-in").get_data(as_text=True)


def test_sign_out_ends_every_session_of_the_user(client, app_ctx, app) -> None:
    user = create_user()
    laptop = log_in_as(client, user)
    desktop = log_in_as(app.test_client(), user)
    assert desktop.get("/home").status_code == 200
    laptop.post("/sign-out", data={"csrf_token": csrf_token(laptop, "/home")})
    assert laptop.get("/home").status_code == 302
    assert desktop.get("/home").status_code == 302
    live = db.session.scalars(
        select(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    ).all()
    assert live == []


def test_disabling_a_user_ends_their_sessions_and_tokens(client, app_ctx, app) -> None:
    from diversion.admin.services import disable_user
    from diversion.auth.tokens import create_api_token, user_for_token

    user = create_user()
    log_in_as(client, user)
    raw = create_api_token(db.session.get(User, user.id))
    assert user_for_token(raw) is not None
    disable_user(db.session.get(User, user.id))
    assert client.get("/home").status_code == 302
    assert user_for_token(raw) is None
    assert db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).one().revoked_at is not None
    assert _post_password(app.test_client(), user.email, PASSWORD).status_code == 200


def test_session_cookie_is_httponly_and_lax(client, app_ctx) -> None:
    response = client.get("/sign-in")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short pass", "12 characters"),
        ("password1234", "too common"),
        ("aaaaaaaaaaaaaaaa", "too common"),
        ("samantha-jones-secret", "email name"),
        ("x" * 257, "256 characters"),
    ],
)
def test_password_rules(app_ctx, password: str, problem: str) -> None:
    from diversion.auth.passwords import password_problem

    assert problem in (password_problem(password, "samantha.jones@example.org") or "")


def test_long_passphrase_without_symbols_is_accepted(app_ctx) -> None:
    from diversion.auth.passwords import password_problem

    assert password_problem("purple tractors eat soup", "sam@example.org") is None


def test_passwords_are_hashed_with_argon2id(app_ctx) -> None:
    user = create_user()
    assert db.session.get(User, user.id).password_hash.startswith("$argon2id$")

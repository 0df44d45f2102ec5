"""The session checks the page makes (docs/sessions.md): signed-in pages say when the session ends, staying signed in
works, a session that has gone is told as a JSON 401 (never a redirect to the sign-in page), and after signing in again
the page gets a CSRF token that lets the form she typed be saved."""

from datetime import timedelta

from diversion.auth import sessions
from diversion.auth.models import User
from diversion.db import transaction
from diversion.extensions import db
from tests.factories import create_user, csrf_token, log_in_as, sign_in


def _signed_out(response) -> None:
    """A JSON 401 in the docs/api.md error shape, not a redirect and not the sign-in page."""
    assert response.status_code == 401
    assert "Location" not in response.headers
    assert response.is_json
    assert response.get_json()["error"]["code"] == "unauthorized"


def _end_sessions_elsewhere(user: User) -> None:
    """Sign-out on every device, done from another one: the server-side records end, this browser's cookie stays."""
    with transaction():
        assert sessions.end_all_sessions(user.id, "logout") >= 1


def test_signed_in_pages_carry_the_timeout_and_keep_alive_moves_it_on(client, app_ctx, monkeypatch) -> None:
    user = create_user()
    log_in_as(client, user)
    html = client.get("/home").get_data(as_text=True)
    assert 'data-session-timeout="1800"' in html
    assert 'data-keep-alive-url="/session/keep-alive"' in html
    assert 'data-session-url="/session"' in html
    token = csrf_token(client, "/home")
    start = sessions.utcnow()
    # 25 minutes in, she clicks "Stay signed in"; 25 minutes after that the session is still alive.
    monkeypatch.setattr(sessions, "utcnow", lambda: start + timedelta(minutes=25))
    response = client.post("/session/keep-alive", headers={"X-CSRFToken": token})
    assert response.status_code == 200
    assert response.get_json()["signed_in"] is True
    assert response.get_json()["user"] == str(user.id)
    assert response.get_json()["idle_timeout_seconds"] == 1800
    monkeypatch.setattr(sessions, "utcnow", lambda: start + timedelta(minutes=50))
    assert client.get("/home").status_code == 200


def test_keep_alive_after_the_session_ended_elsewhere_says_signed_out(client, app_ctx) -> None:
    user = create_user()
    log_in_as(client, user)
    token = csrf_token(client, "/home")
    _end_sessions_elsewhere(user)
    _signed_out(client.post("/session/keep-alive", headers={"X-CSRFToken": token}))
    # The first answer cleared the session (and its CSRF secret): asking again still says signed out, not "form
    # expired".
    _signed_out(client.post("/session/keep-alive", headers={"X-CSRFToken": token}))
    _signed_out(client.get("/session"))


def test_keep_alive_after_an_idle_timeout_says_signed_out(client, app_ctx, monkeypatch) -> None:
    log_in_as(client, create_user())
    token = csrf_token(client, "/home")
    start = sessions.utcnow()
    monkeypatch.setattr(sessions, "utcnow", lambda: start + timedelta(minutes=31))
    _signed_out(client.post("/session/keep-alive", headers={"X-CSRFToken": token}))


def test_keep_alive_needs_a_session_and_a_csrf_token(client, app_ctx) -> None:
    _signed_out(client.post("/session/keep-alive"))
    _signed_out(client.get("/session"))
    log_in_as(client, create_user())
    client.get("/home")
    refused = client.post("/session/keep-alive")
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "validation_error"


def test_session_answer_carries_a_token_for_this_session(client, app_ctx) -> None:
    user = create_user()
    log_in_as(client, user)
    answer = client.get("/session")
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    body = answer.get_json()
    assert body["signed_in"] is True
    assert body["user"] == str(user.id)
    made = client.post("/account/api-tokens", data={"name": "Reports", "csrf_token": body["csrf_token"]})
    assert made.status_code == 200
    assert "Reports" in made.get_data(as_text=True)


def test_a_form_typed_before_signing_in_again_saves_with_the_fresh_token(client, app_ctx) -> None:
    """The form was rendered in the old session; the session ended on another device; she signed in again (in
    another tab: same cookie). The page's old token belongs to the old session and is refused, so the page asks
    /session for the new one, and the save goes through."""
    user = create_user()
    log_in_as(client, user)
    old_token = csrf_token(client, "/account")
    _end_sessions_elsewhere(user)
    _signed_out(client.get("/session"))
    sign_in(client, db.session.get(User, user.id))
    assert client.get("/home").status_code == 200
    stale = client.post("/account/api-tokens", data={"name": "Court list", "csrf_token": old_token})
    assert stale.status_code == 400
    fresh = client.get("/session").get_json()["csrf_token"]
    saved = client.post("/account/api-tokens", data={"name": "Court list", "csrf_token": fresh})
    assert saved.status_code == 200
    assert "Court list" in saved.get_data(as_text=True)


def test_sign_in_page_has_no_timeout_attributes(client, app_ctx) -> None:
    html = client.get("/sign-in").get_data(as_text=True)
    assert "data-session-timeout" not in html
    assert "data-session-url" not in html

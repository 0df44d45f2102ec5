"""The session-timeout warning's server side: signed-in pages say when the session ends, and staying signed in works."""

from datetime import timedelta

from tests.factories import create_user, csrf_token, log_in_as


def test_signed_in_pages_carry_the_timeout_and_keep_alive_moves_it_on(client, app_ctx, monkeypatch) -> None:
    from diversion.auth import sessions

    log_in_as(client, create_user())
    html = client.get("/home").get_data(as_text=True)
    assert 'data-session-timeout="1800"' in html
    assert 'data-keep-alive-url="/session/keep-alive"' in html
    token = csrf_token(client, "/home")
    start = sessions.utcnow()
    # 25 minutes in, she clicks "Stay signed in"; 25 minutes after that the session is still alive.
    monkeypatch.setattr(sessions, "utcnow", lambda: start + timedelta(minutes=25))
    assert client.post("/session/keep-alive", headers={"X-CSRFToken": token}).status_code == 204
    monkeypatch.setattr(sessions, "utcnow", lambda: start + timedelta(minutes=50))
    assert client.get("/home").status_code == 200


def test_keep_alive_needs_a_csrf_token_and_a_session(client, app_ctx) -> None:
    assert client.post("/session/keep-alive").status_code in (302, 400)
    log_in_as(client, create_user())
    assert client.post("/session/keep-alive").status_code == 400


def test_sign_in_page_has_no_timeout_attributes(client, app_ctx) -> None:
    assert "data-session-timeout" not in client.get("/sign-in").get_data(as_text=True)

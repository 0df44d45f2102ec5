"""Request size limits: a body over MAX_CONTENT_LENGTH (1 MB by default) is refused with 413 before any other work
(no CSRF check, no rate-limit count, no sign-in attempt, no save): the GOV.UK error page for pages, the docs/api.md
JSON shape under /api/. Werkzeug's form limits (MAX_FORM_MEMORY_SIZE, MAX_FORM_PARTS) answer 413 the same way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from config import ConfigError, load_config
from diversion.auth.models import User
from diversion.auth.tokens import create_api_token
from diversion.extensions import db
from tests.api import bodies
from tests.factories import PASSWORD, create_court, create_user, csrf_token, log_in_as, row_counts
from tests.test_security import LEAKS

TEN_MB = 10 * 1024 * 1024
TOO_LARGE = "What you sent is too large"


def _assert_too_large_page(response) -> None:
    html = response.get_data(as_text=True)
    assert response.status_code == 413, (response.status_code, html[:300])
    assert response.mimetype == "text/html"
    assert TOO_LARGE in html
    for leak in LEAKS:
        assert leak not in html, leak


def _sign_in_state(user_id) -> tuple:
    db.session.expire_all()
    user = db.session.get(User, user_id)
    return user.failed_login_count, user.last_login_at, user.totp_last_step


def test_the_limits_are_1_mb_by_default_and_set_from_the_environment(tmp_path: Path) -> None:
    defaults = load_config(str(tmp_path), environ={}, name="testing")
    assert defaults["MAX_CONTENT_LENGTH"] == 1024 * 1024
    assert defaults["MAX_FORM_MEMORY_SIZE"] == 1024 * 1024
    assert defaults["MAX_FORM_PARTS"] == 1000
    chosen = load_config(
        str(tmp_path),
        environ={"MAX_CONTENT_LENGTH": "2097152", "MAX_FORM_MEMORY_SIZE": "500000", "MAX_FORM_PARTS": "200"},
        name="testing",
    )
    assert (chosen["MAX_CONTENT_LENGTH"], chosen["MAX_FORM_MEMORY_SIZE"], chosen["MAX_FORM_PARTS"]) == (
        2097152,
        500000,
        200,
    )


@pytest.mark.parametrize("value", ["0", "-1", "1MB", "lots"])
def test_a_limit_that_is_not_a_positive_number_refuses_to_start(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="MAX_CONTENT_LENGTH must be a whole number above 0"):
        load_config(str(tmp_path), environ={"MAX_CONTENT_LENGTH": value}, name="testing")


def test_a_10_mb_post_to_sign_in_is_refused_before_the_password_is_checked(client, app_ctx) -> None:
    user = create_user(role="worker")
    before = _sign_in_state(user.id), row_counts()
    token = csrf_token(client, "/sign-in")
    # The right password and a good CSRF token: refused all the same, and unread.
    data = {"email": user.email, "password": PASSWORD, "csrf_token": token, "padding": "x" * TEN_MB}
    _assert_too_large_page(client.post("/sign-in", data=data))
    assert (_sign_in_state(user.id), row_counts()) == before
    with client.session_transaction() as flask_session:
        assert "sid" not in flask_session
        assert "login_pending" not in str(dict(flask_session))


def test_oversized_sign_ins_are_refused_before_the_rate_limiter_counts_them(fresh_app, app_ctx) -> None:
    client = fresh_app(LOGIN_RATE_LIMIT="2 per minute").test_client()
    token = csrf_token(client, "/sign-in")
    large = {"email": "someone@example.org", "password": "not the password", "csrf_token": token, "pad": "x" * TEN_MB}
    for _ in range(3):
        _assert_too_large_page(client.post("/sign-in", data=large))
    small = {"email": "someone@example.org", "password": "not the password", "csrf_token": token}
    assert client.post("/sign-in", data=small).status_code == 200, "the three refusals used none of the limit"


def test_a_10_mb_form_from_a_signed_in_worker_is_refused_and_saves_nothing(client, app_ctx) -> None:
    court = create_court()
    log_in_as(client, create_user(role="worker"))
    token = csrf_token(client, "/cases/new")
    before = row_counts()
    data = {
        "csrf_token": token,
        "court": str(court.id),
        "urn": "01/AB/99999/26",
        "given_name": "Alex",
        "family_name": "Large",
        "notes": "x" * TEN_MB,
    }
    _assert_too_large_page(client.post("/cases/new", data=data))
    assert row_counts() == before


def test_a_10_mb_json_body_to_the_api_is_refused_in_the_json_shape(client, app_ctx) -> None:
    court = create_court()
    headers = {"Authorization": f"Bearer {create_api_token(create_user(role='worker'))}"}
    body = bodies.referral(court.code)
    body["notes"] = "x" * TEN_MB
    before = row_counts()
    response = client.post("/api/v1/referrals", json=body, headers=headers)
    assert response.status_code == 413
    assert response.mimetype == "application/json"
    assert response.get_json() == {
        "error": {"code": "payload_too_large", "message": "What was sent is too large. Shorten it and try again."}
    }
    assert row_counts() == before
    ok = client.post("/api/v1/referrals", json=bodies.referral(court.code), headers=headers)
    assert ok.status_code == 201, "the same request at its normal size goes through"


def _chunked(client, path: str, body: bytes, headers: dict[str, str]):
    """A POST without a Content-Length, as gunicorn hands on a chunked body it has decoded."""
    import io

    return client.post(
        path,
        input_stream=io.BytesIO(body),
        headers={**headers, "Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )


def test_a_body_sent_without_a_length_is_refused_past_the_limit_and_read_whole_within_it(client, app_ctx) -> None:
    court = create_court()
    headers = {"Authorization": f"Bearer {create_api_token(create_user(role='worker'))}"}
    before = row_counts()
    large = bodies.referral(court.code)
    large["notes"] = "x" * TEN_MB
    response = _chunked(client, "/api/v1/referrals", json.dumps(large).encode(), headers)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"
    assert row_counts() == before
    ok = _chunked(client, "/api/v1/referrals", json.dumps(bodies.referral(court.code)).encode(), headers)
    assert ok.status_code == 201, ok.get_data(as_text=True)[:300]


def test_the_form_limits_answer_413_too(fresh_app, app_ctx) -> None:
    application = fresh_app(MAX_FORM_MEMORY_SIZE=10_000, MAX_FORM_PARTS=20)
    client = application.test_client()
    user = create_user(role="worker")
    token = csrf_token(client, "/sign-in")
    # Under MAX_CONTENT_LENGTH, but one field larger than MAX_FORM_MEMORY_SIZE. Werkzeug applies both form limits to
    # multipart forms only; a URL-encoded form is read whole, so MAX_CONTENT_LENGTH is its limit.
    long_field = {"email": user.email, "password": PASSWORD, "csrf_token": token, "padding": "x" * 20_000}
    _assert_too_large_page(client.post("/sign-in", data=long_field, content_type="multipart/form-data"))
    # Small, but in more parts than MAX_FORM_PARTS.
    many = {"email": user.email, "password": PASSWORD, "csrf_token": token}
    many.update({f"field{number}": "x" for number in range(40)})
    _assert_too_large_page(client.post("/sign-in", data=many, content_type="multipart/form-data"))
    assert db.session.scalars(select(User.failed_login_count).where(User.id == user.id)).one() == 0

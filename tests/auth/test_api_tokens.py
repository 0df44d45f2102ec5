"""API tokens on the account page: named when created, shown once, listed with when last used, revoked."""

from __future__ import annotations

from sqlalchemy import select

from diversion.auth.models import ApiToken
from diversion.auth.tokens import user_for_token
from diversion.extensions import db
from tests import pages
from tests.factories import create_user, csrf_token, log_in_as, row_counts


def _tokens(user) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)))


def test_a_named_token_is_shown_once_then_listed_by_name_and_revoked(client, app_ctx) -> None:
    user = create_user(role="cps")
    log_in_as(client, user)
    created = client.post(
        "/account/api-tokens",
        data={"name": "  CPS   case system ", "csrf_token": csrf_token(client, "/account")},
    )
    assert created.status_code == 200
    shown = pages.read(created)
    raw = shown.text_of("#api-token")
    assert raw
    assert "Token name: CPS case system" in shown.text
    [token] = _tokens(user)
    assert token.name == "CPS case system"
    assert raw not in token.token_hash
    assert token.last_used_at is None

    account = client.get("/account").get_data(as_text=True)
    assert "CPS case system" in account
    assert raw not in account  # shown once only
    assert "Never" in account

    assert user_for_token(raw).id == user.id  # using it records when
    db.session.refresh(token)
    assert token.last_used_at is not None
    assert "Never" not in client.get("/account").get_data(as_text=True)

    client.post(f"/account/api-tokens/{token.id}/revoke", data={"csrf_token": csrf_token(client, "/account")})
    db.session.refresh(token)
    assert token.revoked_at is not None
    assert user_for_token(raw) is None
    assert "Revoked" in client.get("/account").get_data(as_text=True)


def test_a_token_needs_a_name_and_a_refusal_creates_nothing(client, app_ctx) -> None:
    user = create_user(role="worker")
    log_in_as(client, user)
    for name, message in (
        ("", "Enter a name for the token"),
        ("   ", "Enter a name for the token"),
        ("x" * 61, "The token name must be 60 characters or fewer"),
    ):
        before = row_counts()
        response = client.post("/account/api-tokens", data={"name": name, "csrf_token": csrf_token(client, "/account")})
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "govuk-error-summary" in html
        assert message in html
        assert 'id="api-token"' not in html
        assert row_counts() == before
    assert _tokens(user) == []


def test_another_users_token_cannot_be_revoked(client, app_ctx) -> None:
    owner, other = create_user(role="worker"), create_user(role="worker")
    log_in_as(client, owner)
    client.post("/account/api-tokens", data={"name": "Mine", "csrf_token": csrf_token(client, "/account")})
    [token] = _tokens(owner)
    log_in_as(client, other)
    client.post(f"/account/api-tokens/{token.id}/revoke", data={"csrf_token": csrf_token(client, "/account")})
    db.session.refresh(token)
    assert token.revoked_at is None
    assert "Mine" not in client.get("/account").get_data(as_text=True)

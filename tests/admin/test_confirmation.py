"""Separation of duties: an account an administrator creates for anyone who reads client data, or whose password or
authenticator an administrator resets, signs in but opens no case until a manager confirms it. Otherwise an
administrator could reset a worker's two factors, sign in as her and read every case."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from diversion.admin import services
from diversion.audit.models import AuditEvent
from diversion.auth.models import User
from diversion.auth.tokens import create_api_token
from diversion.errors import Forbidden
from diversion.extensions import db
from tests.factories import create_court, create_user, csrf_token, log_in_as


@pytest.fixture
def admin(app_ctx) -> User:
    return create_user(role="admin", email="the.admin@example.org")


@pytest.fixture
def manager(app_ctx) -> User:
    return create_user(role="manager", email="the.manager@example.org")


def _fresh(user_id: Any) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def _confirmed_events(user: User) -> int:
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "user.confirmed", AuditEvent.object_id == str(user.id))
        )
        or 0
    )


def test_an_account_an_administrator_creates_opens_no_case_until_a_manager_confirms_it(
    client: FlaskClient, app, app_ctx, admin, manager
) -> None:
    log_in_as(client, admin)
    token = csrf_token(client, "/admin/users/new")
    response = client.post(
        "/admin/users/new",
        data={
            "display_name": "New Worker",
            "email": "new.worker@example.org",
            "role": "worker",
            "court": "",
            "csrf_token": token,
        },
    )
    assert response.status_code == 200
    worker = db.session.scalar(select(User).where(User.email == "new.worker@example.org"))
    assert worker.confirmation_needed_at is not None
    assert worker.confirmation_reason == "created"
    # The administrator cannot confirm it.
    assert client.get("/admin/accounts-to-confirm").status_code == 403

    as_worker = log_in_as(app.test_client(), worker)
    assert as_worker.get("/cases").status_code == 403
    home = as_worker.get("/home").get_data(as_text=True)
    assert "A manager must confirm it before you can open" in home
    assert 'href="/cases"' not in home
    api = as_worker.get("/api/v1/referrals", headers={"Authorization": f"Bearer {create_api_token(worker)}"})
    assert api.status_code == 403

    as_manager = log_in_as(app.test_client(), manager)
    page = as_manager.get("/admin/accounts-to-confirm").get_data(as_text=True)
    assert "new.worker@example.org" in page
    assert "Account created" in page
    token = csrf_token(as_manager, "/admin/accounts-to-confirm")
    assert as_manager.post(f"/admin/accounts-to-confirm/{worker.id}", data={"csrf_token": token}).status_code == 302
    assert _fresh(worker.id).confirmation_needed_at is None
    assert _confirmed_events(worker) == 1
    assert "No account is waiting" in as_manager.get("/admin/accounts-to-confirm").get_data(as_text=True)

    assert as_worker.get("/cases").status_code == 200


@pytest.mark.parametrize(
    ("path", "reason"), [("reset-two-factor", "two_factor_reset"), ("reset-password", "password_reset")]
)
def test_an_administrators_reset_of_a_case_readers_sign_in_waits_for_a_manager(
    client: FlaskClient, app_ctx, admin, path, reason
) -> None:
    worker = create_user(role="worker")
    court_user = create_user(role="court", court=create_court())
    log_in_as(client, admin)
    for user in (worker, court_user):
        token = csrf_token(client, f"/admin/users/{user.id}")
        assert client.post(f"/admin/users/{user.id}/{path}", data={"csrf_token": token}).status_code in (200, 302)
    assert _fresh(worker.id).confirmation_reason == reason
    # Court staff see names, dates of birth and URNs: their reset waits for a manager too (test_admin_accounts.py).
    assert _fresh(court_user.id).confirmation_reason == reason


def test_the_command_line_and_a_managers_own_account_are_handled_apart(app_ctx, manager) -> None:
    made, _ = services.create_user("from.cli@example.org", "worker", display_name="From Cli")
    assert made.confirmation_needed_at is None  # whoever runs the server's commands is not an administrator in the app
    services.reset_two_factor(manager, actor=create_user(role="admin"))
    with pytest.raises(Forbidden):
        services.confirm_account(manager, manager)
    assert _fresh(manager.id).confirmation_needed_at is not None
    other = create_user(role="manager")
    services.confirm_account(manager, other)
    assert _fresh(manager.id).confirmation_needed_at is None


def test_confirming_needs_the_csrf_token_and_a_manager(client: FlaskClient, app_ctx, manager) -> None:
    worker = create_user(role="worker")
    services.reset_password(worker, actor=create_user(role="admin"))
    log_in_as(client, manager)
    assert client.post(f"/admin/accounts-to-confirm/{worker.id}", data={}).status_code == 400
    assert _fresh(worker.id).confirmation_needed_at is not None
    log_in_as(client, create_user(role="worker"))
    assert client.get("/admin/accounts-to-confirm").status_code == 403

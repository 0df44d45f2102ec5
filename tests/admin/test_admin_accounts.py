"""Separation of duties for every account that reads client data: when an administrator creates, re-enables or changes
the role of a support worker's, manager's, court staff or CPS account, or resets its password or authenticator, the
account opens nothing (pages, API, exports, emails) until a manager who is not that administrator confirms it.
Otherwise an administrator could make a CPS account, sign in with its temporary password and read every court's
names, URNs and dates of birth (docs/people.md)."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from diversion.admin import services
from diversion.audit.models import AuditEvent
from diversion.auth.models import User
from diversion.auth.tokens import create_api_token
from diversion.dates import today
from diversion.errors import Forbidden, ValidationFailed
from diversion.extensions import db
from diversion.notifications.digests import queue_digests, set_notice_emails
from diversion.notifications.services import deliver
from diversion.referrals.models import State
from diversion.referrals.withdrawal import withdraw
from tests.factories import create_court, create_referral, create_user, csrf_token, log_in_as
from tests.notifications.helpers import london, messages

ROLES = ("worker", "manager", "court", "cps")
CHANGES = ("create", "enable", "role_change", "password_reset", "two_factor_reset")
REASONS = {
    "create": "created",
    "enable": "enabled",
    "role_change": "role_changed",
    "password_reset": "password_reset",
    "two_factor_reset": "two_factor_reset",
}
WAITING = "A manager must confirm"


@pytest.fixture
def morning(app_ctx, monkeypatch):
    """Digests go from 07:30 London; this is tomorrow at 07:45."""
    monkeypatch.setitem(app_ctx.config, "DIGEST_AT", "07:30")
    monkeypatch.setitem(app_ctx.config, "SERVICE_URL", "https://cases.example.org/")
    return london(1, 7, 45).astimezone(UTC)


def _fresh(user_id: Any) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def _events(action: str, user: User) -> list[AuditEvent]:
    return list(
        db.session.scalars(select(AuditEvent).where(AuditEvent.action == action, AuditEvent.object_id == str(user.id)))
    )


def _change(admin_client: FlaskClient, role: str, change: str, court_code: str) -> User:
    """Make the change through the administrator's own pages, as an attacker would."""
    email = f"{role}.{change.replace('_', '-')}@example.org"
    court = court_code if role == "court" else ""
    if change == "create":
        token = csrf_token(admin_client, "/admin/users/new")
        data = {"display_name": "New Person", "email": email, "role": role, "court": court, "csrf_token": token}
        assert admin_client.post("/admin/users/new", data=data).status_code == 200
        return db.session.scalar(select(User).where(User.email == email))
    if change == "role_change":
        # Another administrator's account turned into a data-reading one.
        user = create_user(role="admin", email=email)
        token = csrf_token(admin_client, f"/admin/users/{user.id}/role")
        data = {"role": role, "court": court, "csrf_token": token}
        assert admin_client.post(f"/admin/users/{user.id}/role", data=data).status_code == 302
        return _fresh(user.id)
    user = create_user(role=role, email=email, court=services.court_by_code(court_code) if role == "court" else None)
    if change == "enable":
        services.disable_user(user)
    token = csrf_token(admin_client, f"/admin/users/{user.id}")
    path = {"enable": "enable", "password_reset": "reset-password", "two_factor_reset": "reset-two-factor"}[change]
    assert admin_client.post(f"/admin/users/{user.id}/{path}", data={"csrf_token": token}).status_code in (200, 302)
    return _fresh(user.id)


def _what_opens(app, user: User, referral, morning) -> dict[str, bool]:
    """Every way her data could reach this account: its list and case pages, the API, an export, an email."""
    client = log_in_as(app.test_client(), user)
    support = user.role in ("worker", "manager")
    pages = ["/cases", f"/cases/{referral.id}"] if support else ["/statuses", f"/cases/{referral.id}/status"]
    opened = {}
    name = str(referral.client.family_name)
    for page in pages:
        response = client.get(page)
        body = response.get_data(as_text=True)
        opened[page] = response.status_code == 200
        if not opened[page]:
            assert response.status_code == 403
            assert WAITING in body  # the page says why, and shows nothing of hers
            assert name not in body
    headers = {"Authorization": f"Bearer {create_api_token(user)}"}
    api = app.test_client().get(f"/api/v1/referrals/{referral.id}", headers=headers)
    opened["api"] = api.status_code == 200
    if not opened["api"]:
        assert api.status_code == 403
        assert api.get_json()["error"]["code"] == "forbidden"
        assert name not in api.get_data(as_text=True)
    export = {
        "manager": "/reports/completion.csv",
        "court": "/reports/completion.csv",
        "cps": "/reports/completion.csv",
    }.get(user.role)
    if export is not None:
        opened["export"] = client.get(export).status_code == 200
    if support:
        queue_digests(morning)
        opened["email"] = bool(messages(user_id=user.id, kind="digest"))
    else:
        set_notice_emails(user, True)
        case = create_referral(state=State.OPTED_IN, court=referral.court)
        withdraw(case, "Moved away.", create_user(role="worker"))
        opened["email"] = bool(messages(user_id=user.id, kind="notice_email"))
    return opened


@pytest.mark.parametrize("change", CHANGES)
@pytest.mark.parametrize("role", ROLES)
def test_an_administrators_change_opens_nothing_until_another_manager_confirms_it(
    app, app_ctx, morning, role: str, change: str
) -> None:
    court = create_court()
    admin = create_user(role="admin", email="the.admin@example.org")
    admin_client = log_in_as(app.test_client(), admin)
    user = _change(admin_client, role, change, court.code)
    assert user.role == role
    assert user.confirmation_reason == REASONS[change]
    assert user.confirmation_asked_by_id == admin.id
    [asked] = _events("user.confirmation_needed", user)
    assert asked.details == {"reason": REASONS[change], "role": role}
    assert asked.actor_id == admin.id

    referral = create_referral(
        state=State.OPTED_IN,
        court=court,
        worker=user if role == "worker" else None,
        return_date=today() + timedelta(days=2),
    )
    waiting = _what_opens(app, user, referral, morning)
    assert not any(waiting.values()), waiting

    # The administrator cannot confirm it; a manager can, and it is audited.
    assert admin_client.get("/admin/accounts-to-confirm").status_code == 403
    manager = log_in_as(app.test_client(), create_user(role="manager"))
    assert user.email in manager.get("/admin/accounts-to-confirm").get_data(as_text=True)
    token = csrf_token(manager, "/admin/accounts-to-confirm")
    assert manager.post(f"/admin/accounts-to-confirm/{user.id}", data={"csrf_token": token}).status_code == 302
    user = _fresh(user.id)
    assert user.confirmation_needed_at is None
    [confirmed] = _events("user.confirmed", user)
    assert confirmed.details == {"reason": REASONS[change], "role": role}

    opened = _what_opens(app, user, referral, morning)
    assert all(opened.values()), opened
    assert set(opened) == set(waiting)


def test_the_administrator_who_made_the_change_cannot_confirm_it_from_a_managers_account(app_ctx) -> None:
    admin = create_user(role="admin")
    worker = create_user(role="worker")
    services.reset_password(worker, actor=admin)
    # The same person later holds a manager's account (say the administrator's own account is made a manager's by
    # another administrator and confirmed by a third person): still not theirs to confirm.
    other_admin = create_user(role="admin")
    services.change_role(admin, "manager", actor=other_admin)
    services.confirm_account(admin, create_user(role="manager"))
    with pytest.raises(Forbidden):
        services.confirm_account(worker, _fresh(admin.id))
    assert _fresh(worker.id).confirmation_needed_at is not None
    # A manager whose own account is waiting confirms nothing either.
    waiting_manager = create_user(role="manager")
    services.reset_two_factor(waiting_manager, actor=other_admin)
    with pytest.raises(Forbidden):
        services.confirm_account(worker, _fresh(waiting_manager.id))
    assert _fresh(worker.id).confirmation_needed_at is not None


def test_an_account_holds_one_role_and_nobody_changes_their_own(client: FlaskClient, app_ctx) -> None:
    admin = create_user(role="admin")
    log_in_as(client, admin)
    token = csrf_token(client, f"/admin/users/{admin.id}/role")
    response = client.post(f"/admin/users/{admin.id}/role", data={"role": "manager", "court": "", "csrf_token": token})
    assert response.status_code == 200
    assert "You cannot change your own role" in response.get_data(as_text=True)
    assert _fresh(admin.id).role == "admin"
    # A waiting account made an administrator's is no longer waiting: an administrator reads nothing.
    worker = create_user(role="worker")
    services.reset_password(worker, actor=admin)
    services.change_role(worker, "admin", actor=create_user(role="admin"))
    assert _fresh(worker.id).role == "admin"
    assert _fresh(worker.id).confirmation_needed_at is None
    with pytest.raises(ValidationFailed):
        services.change_role(_fresh(worker.id), "court", None, actor=admin)  # court staff need a court
    assert _fresh(worker.id).role == "admin"


def test_a_role_change_ends_the_accounts_api_tokens(app, app_ctx) -> None:
    court_user = create_user(role="court", court=create_court())
    token = create_api_token(court_user)
    services.change_role(court_user, "cps", actor=create_user(role="admin"))
    services.confirm_account(court_user, create_user(role="manager"))
    response = app.test_client().get("/api/v1/referrals", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_an_email_queued_before_the_change_is_not_sent_while_the_account_waits(morning) -> None:
    worker = create_user(role="worker")
    create_referral(state=State.OPTED_IN, worker=worker, return_date=today() + timedelta(days=2))
    assert queue_digests(morning) == 1
    [digest] = messages(user_id=worker.id)
    services.reset_two_factor(worker, actor=create_user(role="admin"))
    assert deliver(digest.id, morning) == "cancelled"
    [digest] = messages(user_id=worker.id)
    assert digest.reason == "account_not_confirmed"


def test_the_command_line_is_trusted(app_ctx) -> None:
    made, _ = services.create_user("cps.from.cli@example.org", "cps", display_name="From Cli")
    assert made.confirmation_needed_at is None
    services.disable_user(made)
    services.enable_user(made)
    assert _fresh(made.id).confirmation_needed_at is None

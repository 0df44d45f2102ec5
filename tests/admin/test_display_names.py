"""Staff display names (docs/people.md): given when an account is made, changed by the person themselves or by an
administrator and nobody else, and shown wherever a person is named; the email only on account pages."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select

from diversion.admin import services as admin_services
from diversion.audit.models import AuditEvent
from diversion.auth.models import User
from diversion.auth.names import change_display_name, name_from_email
from diversion.errors import Forbidden, ValidationFailed
from diversion.extensions import db
from tests import pages
from tests.conftest import build_app, dispose_app, make_environ
from tests.factories import create_user, csrf_token, log_in_as

LONG_NAME = "A" * 101


def _fresh(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def _users() -> int:
    return int(db.session.scalar(select(func.count()).select_from(User)) or 0)


def _renames(user: User) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user.renamed", AuditEvent.object_id == str(user.id))
        )
    )


def _error_summary(page: pages.Page) -> str:
    """The text of the page's one error summary."""
    return page.text_of(".govuk-error-summary")


def _post(client: FlaskClient, path: str, **data: str) -> Any:
    return client.post(path, data={**data, "csrf_token": csrf_token(client, path)})


def _seen(response) -> str:
    seen = pages.read(response).hidden_fields().get("seen")
    assert seen is not None, "the form carries the name it started from"
    return seen


# --- creating an account ---


def _create(client: FlaskClient, **fields: str) -> Any:
    data = {"display_name": "", "email": "", "role": "worker", "court": "", **fields}
    return _post(client, "/admin/users/new", **data)


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "Enter a name"), ("   ", "Enter a name"), (LONG_NAME, "Name must be 100 characters or fewer")],
)
def test_creating_a_user_needs_a_name(client, app_ctx, name: str, message: str) -> None:
    log_in_as(client, create_user(role="admin"))
    before = _users()
    response = _create(client, display_name=name, email="nameless@example.org")
    assert response.status_code == 200
    page = pages.read(response)
    assert message in _error_summary(page)
    assert "#display_name" in page.error_summary_links
    assert _users() == before


def test_a_new_users_name_is_trimmed_and_shown_on_their_page(client, app_ctx) -> None:
    log_in_as(client, create_user(role="admin"))
    response = _create(client, display_name="  Ruth   Adeyemi ", email="ruth@example.org")
    assert "User created" in response.get_data(as_text=True)
    user = db.session.scalars(select(User).where(User.email == "ruth@example.org")).one()
    assert user.display_name == "Ruth Adeyemi"
    page = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert '<h1 class="govuk-heading-l">Ruth Adeyemi</h1>' in page
    assert "ruth@example.org" in page  # an account page: the email is shown here
    listing = client.get("/admin/users").get_data(as_text=True)
    assert "Ruth Adeyemi" in listing


def test_the_service_refuses_a_user_without_a_name(app_ctx) -> None:
    before = _users()
    with pytest.raises(ValidationFailed) as refused:
        admin_services.create_user("blank@example.org", "worker", display_name=" \t ")
    assert refused.value.fields == {"display_name": "Enter a name"}
    assert _users() == before


def test_a_name_from_an_email_is_the_part_before_the_at() -> None:
    assert name_from_email(" sam.jones@example.org ") == "sam.jones"
    assert name_from_email("x" * 120 + "@example.org") == "x" * 100


# --- the person changes her own ---


def test_a_user_changes_her_own_name_on_her_account_page(client, app_ctx) -> None:
    worker = create_user(role="worker", display_name="Sam Jones")
    log_in_as(client, worker)
    account = client.get("/account").get_data(as_text=True)
    assert "Sam Jones" in account
    assert 'href="/account/name"' in account
    form = client.get("/account/name").get_data(as_text=True)
    assert 'autocomplete="name"' in form
    response = _post(client, "/account/name", display_name="  Samantha   Jones ", seen="Sam Jones")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account"
    assert _fresh(worker).display_name == "Samantha Jones"
    assert "Your name has been saved." in client.get("/account").get_data(as_text=True)
    [event] = _renames(worker)
    assert event.actor_id == worker.id
    assert "Samantha" not in str(event.details or "")


@pytest.mark.parametrize(
    ("name", "message"),
    [("  ", "Enter a name"), (LONG_NAME, "Name must be 100 characters or fewer")],
)
def test_a_bad_name_is_refused_with_a_message_and_changes_nothing(client, app_ctx, name: str, message: str) -> None:
    worker = create_user(role="worker", display_name="Sam Jones")
    log_in_as(client, worker)
    response = _post(client, "/account/name", display_name=name, seen="Sam Jones")
    assert response.status_code == 200
    page = pages.read(response)
    assert message in _error_summary(page)
    assert page.title.startswith("Error:")
    assert _fresh(worker).display_name == "Sam Jones"
    assert _renames(worker) == []


def test_a_name_changed_meanwhile_is_not_overwritten(client, app_ctx) -> None:
    worker = create_user(role="worker", display_name="Sam Jones")
    log_in_as(client, worker)
    seen = _seen(client.get("/account/name"))
    assert seen == "Sam Jones"
    change_display_name(worker, "Sam Jones-Okafor", actor=create_user(role="admin"))
    response = _post(client, "/account/name", display_name="Samantha Jones", seen=seen)
    assert response.status_code == 409
    assert "Someone else changed this name to" in _error_summary(pages.read(response))
    assert _fresh(worker).display_name == "Sam Jones-Okafor"
    # The form now starts from the saved name: saving again is her choice, and it is taken.
    assert _seen(response) == "Sam Jones-Okafor"
    again = _post(client, "/account/name", display_name="Samantha Jones", seen=_seen(response))
    assert again.status_code == 302
    assert _fresh(worker).display_name == "Samantha Jones"


# --- an administrator changes anyone's; nobody else changes anyone's ---


def test_an_administrator_changes_a_users_name(client, app_ctx) -> None:
    admin = create_user(role="admin")
    worker = create_user(role="worker", display_name="Sam Jones")
    log_in_as(client, admin)
    detail = client.get(f"/admin/users/{worker.id}").get_data(as_text=True)
    assert f'href="/admin/users/{worker.id}/name"' in detail
    path = f"/admin/users/{worker.id}/name"
    response = _post(client, path, display_name="Samira Jones", seen="Sam Jones")
    assert response.status_code == 302
    assert _fresh(worker).display_name == "Samira Jones"
    [event] = _renames(worker)
    assert event.actor_id == admin.id
    # Sent again from the page as it was: she has been renamed since, so it is refused, not overwritten.
    stale = _post(client, path, display_name="Sami Jones", seen="Sam Jones")
    assert stale.status_code == 409
    assert _fresh(worker).display_name == "Samira Jones"


@pytest.mark.parametrize("role", ["worker", "manager", "court", "cps"])
def test_nobody_else_changes_another_users_name(client, app_ctx, role: str) -> None:
    other = create_user(role="worker", display_name="Sam Jones")
    actor = create_user(role=role)
    log_in_as(client, actor)
    path = f"/admin/users/{other.id}/name"
    assert client.get(path).status_code == 403
    token = csrf_token(client, "/account/name")
    response = client.post(path, data={"display_name": "Hijacked", "seen": "Sam Jones", "csrf_token": token})
    assert response.status_code == 403
    # Her own form changes only her own name, whatever it is sent.
    _post(client, "/account/name", display_name="Own Name", seen=actor.display_name, user_id=str(other.id))
    assert _fresh(other).display_name == "Sam Jones"
    assert _fresh(actor).display_name == "Own Name"
    with pytest.raises(Forbidden):
        change_display_name(other, "Hijacked", actor=actor)
    assert _fresh(other).display_name == "Sam Jones"
    assert _renames(other) == []


# --- the migration ---


def test_the_migration_names_existing_accounts_from_their_email(databases, master_keys, tmp_path) -> None:
    url = databases.new("names")
    app: Flask = build_app(make_environ(url, f"sqlite:///{tmp_path / 'ks.db'}", master_keys, tmp_path))
    with app.app_context():
        upgrade(revision="e4b7c1a9d350")
        insert = sa.text(
            "INSERT INTO users (id, email, role, password_hash, must_change_password, is_disabled,"
            " failed_login_count, created_at, updated_at) VALUES (:id, :email, 'worker', 'x', false, false, 0,"
            " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )
        sqlite = db.engine.dialect.name == "sqlite"
        with db.engine.begin() as connection:
            for email in ("sam.jones@example.org", "y" * 120 + "@example.org"):
                row_id = uuid.uuid4().hex if sqlite else str(uuid.uuid4())
                connection.execute(insert, {"id": row_id, "email": email})
        upgrade()
        with db.engine.connect() as connection:
            names = dict(connection.execute(sa.text("SELECT email, display_name FROM users")).all())
        assert names == {"sam.jones@example.org": "sam.jones", "y" * 120 + "@example.org": "y" * 100}
        with db.engine.begin() as connection, pytest.raises(sa.exc.IntegrityError):
            connection.execute(sa.text("UPDATE users SET display_name = NULL"))
        downgrade(revision="e4b7c1a9d350")
        columns = {column["name"] for column in sa.inspect(db.engine).get_columns("users")}
        assert "display_name" not in columns
        upgrade()
    dispose_app(app)


# --- pages that name people show the name, never the email ---


@pytest.fixture
def named_case(app_ctx):
    """A case referred and opted in by a named support worker, seen by a named manager."""
    from tests.factories import create_referral

    worker = create_user(role="worker", display_name="Sam Okafor", email="s.okafor@example.org")
    manager = create_user(role="manager", display_name="Jo Whitfield", email="j.whitfield@example.org")
    referral = create_referral(state="OPTED_IN", worker=worker)
    return worker, manager, referral


def _page(client: FlaskClient, path: str) -> str:
    return pages.get(client, path).html


def test_the_overview_history_and_consent_record_name_the_worker(client, named_case) -> None:
    worker, manager, referral = named_case
    log_in_as(client, manager)
    for page in ("", "/history", "/consent"):
        html = _page(client, f"/cases/{referral.id}{page}")
        assert "Sam Okafor" in html, page
        assert worker.email not in html, page
    history = _page(client, f"/cases/{referral.id}/history")
    assert "by Sam Okafor" in history


def test_the_worker_choices_name_people(client, named_case) -> None:
    worker, manager, referral = named_case
    log_in_as(client, manager)
    assign = _page(client, f"/cases/{referral.id}/worker")
    assert "Sam Okafor (support worker)" in assign
    assert "Jo Whitfield (service manager)" in assign
    booking = _page(client, f"/cases/{referral.id}/appointments/new")
    assert ">Sam Okafor</option>" in booking
    for html in (assign, booking):
        assert worker.email not in html
        assert manager.email not in html


def test_the_appointment_lists_name_the_worker(client, named_case) -> None:
    from datetime import timedelta

    from diversion.db import utcnow
    from tests.factories import book

    worker, manager, referral = named_case
    book(referral=referral, worker=worker, number=1, starts_at=utcnow() + timedelta(days=1))
    log_in_as(client, manager)
    appointments = _page(client, f"/cases/{referral.id}/appointments")
    assert "Sam Okafor" in appointments
    assert worker.email not in appointments


def test_the_teams_digest_says_whose_case_each_is(named_case) -> None:
    from datetime import timedelta

    from diversion.dates import today
    from diversion.notifications.digests import digest_body
    from tests.factories import create_referral

    worker, manager, _ = named_case
    create_referral(state="OPTED_IN", worker=worker, return_date=today() + timedelta(days=2))
    team = digest_body(manager, today()) or ""
    own = digest_body(worker, today()) or ""
    assert re.search(r"^- \S+ return date [^\n]*, Sam Okafor: https?://", team, re.M), team
    assert worker.email not in team
    assert own
    assert "Sam Okafor" not in own  # her own digest is all hers


# --- courts are named; the code only beside the name where a table has no room ---


@pytest.fixture
def northgate_notice(app_ctx):
    from diversion.notices.models import OutcomeNotice
    from tests.factories import create_court, create_referral

    court = create_court(code="NTH", name="Northgate Magistrates' Court")
    referral = create_referral(state="COMPLETED", court=court)
    notice = db.session.scalars(select(OutcomeNotice).where(OutcomeNotice.referral_id == referral.id)).one()
    return court, referral, notice


@pytest.mark.parametrize("role", ["cps", "court", "manager"])
def test_the_notice_and_its_letter_name_the_court(client, northgate_notice, role: str) -> None:
    import io

    from pypdf import PdfReader

    court, referral, notice = northgate_notice
    log_in_as(client, create_user(role=role, court=court if role == "court" else None))
    page = pages.get(client, f"/notices/{notice.id}")
    assert page.summary_list()["Court"] == "Northgate Magistrates' Court"
    status = pages.get(client, f"/cases/{referral.id}/status")
    assert status.summary_list()["Court"] == "Northgate Magistrates' Court"
    pdf = client.get(f"/notices/{notice.id}/letter.pdf")
    assert pdf.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Northgate Magistrates' Court" in text
    assert "NTH" not in text


@pytest.mark.usefixtures("northgate_notice")
def test_tables_give_the_courts_name_beside_its_code(client) -> None:
    log_in_as(client, create_user(role="cps"))
    shown = '<abbr title="Northgate Magistrates&#39; Court">NTH</abbr>'
    assert shown in _page(client, "/notices")
    assert shown in _page(client, "/statuses")

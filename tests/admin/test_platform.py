"""The platform operator (docs/organisations.md, "The platform operator"): after signing in she lands on the list
of organisations (names, short names, counts of schemes and users: nothing about a case or a client), adds an
organisation with its first administrator, and opens nothing else."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from diversion.admin.services import create_user as make_user
from diversion.audit.models import AuditEvent
from diversion.auth.models import User
from diversion.auth.tokens import create_api_token
from diversion.errors import ValidationFailed
from diversion.extensions import db
from diversion.organisations.models import Organisation
from diversion.organisations.services import organisation_by_slug
from tests import pages
from tests.factories import create_referral, create_user, log_in_as, main_scheme, sign_in
from tests.test_permissions import build_urls, role_rule_endpoints
from tests.walls import MARKER, other_case, other_organisation

# What the operator may open: her two pages, and her own account's.
HERS = {
    "organisations.platform",
    "organisations.new_organisation",
    "auth.account",
    "auth.change_name",
    "auth.language",
    "auth.session_status",
}
# And the forms of those pages: signing out, her name, her language, her API tokens, keeping her session alive.
HER_FORMS = {
    "organisations.new_organisation",
    "auth.logout",
    "auth.change_name",
    "auth.language",
    "auth.create_token",
    "auth.revoke_token",
    "auth.keep_alive",
}


@pytest.fixture
def operator(app_ctx) -> User:
    return create_user(role="operator", email="operator@example.org", display_name="Opal Platform")


@pytest.fixture
def operator_client(client: FlaskClient, operator) -> FlaskClient:
    return log_in_as(client, operator)


def _count(model, *where) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_she_lands_on_the_list_of_organisations_after_signing_in(client, operator) -> None:
    answer = sign_in(client, operator)
    assert answer.status_code == 302
    landing = client.get(answer.headers["Location"])
    assert landing.headers["Location"] == "/platform/organisations"
    assert client.get("/home").headers["Location"] == "/platform/organisations"
    page = pages.get(client, "/platform/organisations")
    assert page.title.startswith("Organisations - ")
    # Her navigation is her list and her account, nothing else.
    navigation = [text for text, _ in page.links(".govuk-service-navigation__list")]
    assert navigation == ["Organisations", "Your account"]


def test_the_list_names_each_organisation_and_counts_schemes_and_users_only(operator_client, app_ctx) -> None:
    other = other_organisation()
    create_referral(worker=create_user(role="worker"), family_name="Quillfeather")
    other_case(other)
    page = pages.get(operator_client, "/platform/organisations")
    rows = page.table_rows()
    main = main_scheme().organisation
    main_users = _count(User, User.organisation_id == main.id)
    assert [main.name, main.slug, "1", str(main_users)] in rows
    assert [other.organisation.name, other.organisation.slug, "1", "3"] in rows
    assert [cell.text for cell in page.select("thead th")] == ["Organisation", "Short name", "Schemes", "Users"]
    # Nothing of a case or a client: no client's name, no court, no count beside schemes and users.
    for absent in ("Quillfeather", f"{MARKER}son", other.court.name):
        assert absent not in page.html, absent


def test_she_adds_an_organisation_and_its_first_administrator(operator_client, app, operator) -> None:
    form = pages.get(operator_client, "/platform/organisations/new")
    assert form.title.startswith("Add an organisation - ")
    created = pages.post(
        operator_client,
        "/platform/organisations/new",
        {
            "name": "Northgate Women's Project",
            "slug": "northgate",
            "admin_name": "Nadia Keel",
            "admin_email": "Nadia.Keel@Northgate.example.org",
        },
    )
    assert "Organisation added" in created.text
    password = created.text_of("#temporary-password")
    assert password
    organisation = organisation_by_slug("northgate")
    assert organisation.name == "Northgate Women's Project"
    assert organisation.index_salt  # its own blind-index key
    administrator = db.session.scalar(select(User).where(User.email == "nadia.keel@northgate.example.org"))
    assert (administrator.role, administrator.organisation_id) == ("admin", organisation.id)
    assert administrator.display_name == "Nadia Keel"
    assert administrator.must_change_password is True
    assert password not in administrator.password_hash
    events = {
        event.action: event
        for event in db.session.scalars(select(AuditEvent).where(AuditEvent.actor_id == operator.id))
    }
    assert events["organisation.created"].object_id == str(organisation.id)
    assert events["user.created"].object_id == str(administrator.id)
    assert events["user.created"].details == {"role": "admin", "organisation": "northgate"}
    # Shown once: the list does not show it.
    listed = pages.get(operator_client, "/platform/organisations")
    assert password not in listed.html
    assert ["Northgate Women's Project", "northgate", "0", "1"] in listed.table_rows()
    # The administrator signs in with it, straight to choosing a password of her own.
    newcomer = app.test_client()
    token = pages.get(newcomer, "/sign-in").csrf_token
    answer = newcomer.post("/sign-in", data={"email": administrator.email, "password": password, "csrf_token": token})
    assert answer.headers["Location"] == "/sign-in/new-password"
    # She sees her organisation's accounts only: herself.
    as_admin = log_in_as(app.test_client(), administrator)
    assert pages.get(as_admin, "/admin/users").table_rows()[0][0] == "Nadia Keel"
    assert len(pages.get(as_admin, "/admin/users").table_rows()) == 1


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": ""}, "name", "Enter the organisation's name"),
        ({"slug": ""}, "slug", "Enter a short name for the organisation"),
        ({"slug": "Bad Slug"}, "slug", "Enter a short name for the organisation"),
        ({"slug": "main"}, "slug", "An organisation with this short name already exists"),
        ({"admin_name": ""}, "admin_name", "Enter"),
        ({"admin_email": ""}, "admin_email", "Enter the administrator's email address"),
        ({"admin_email": "not-an-email"}, "admin_email", "Enter an email address in the correct format"),
        ({"admin_email": "taken@example.org"}, "admin_email", "A user with this email address already exists"),
    ],
)
def test_a_new_organisation_that_breaks_the_rules_adds_nothing(operator_client, fields, field, message) -> None:
    create_user(role="worker", email="taken@example.org")
    data = {
        "name": "Eastfield Project",
        "slug": "eastfield",
        "admin_name": "Edie Vale",
        "admin_email": "edie@example.org",
    }
    before = (_count(Organisation), _count(User), _count(AuditEvent))
    page = pages.post(operator_client, "/platform/organisations/new", {**data, **fields}, status=422)
    assert any(message in item for item in page.error_summary), page.error_summary
    assert [link for link in page.error_summary_links if link == f"#{field}"]
    assert "temporary-password" not in page.html
    assert (_count(Organisation), _count(User), _count(AuditEvent)) == before


def test_the_operator_opens_nothing_but_her_pages_and_her_account(operator_client, app: Flask, operator) -> None:
    """Walk every page and API read as the operator, with real ids of a case, a client, users and a court: only
    her own pages answer 200; her home sends her to her list; everything else is refused."""
    other = other_organisation()
    referral = create_referral(worker=create_user(role="worker"))
    theirs = other_case(other)
    ids = {
        "referral_id": referral.id,
        "client_id": referral.client_id,
        "user_id": other.admin.id,
        "court_id": other.court.id,
        "scheme_id": main_scheme().id,
    }
    bearer = {"Authorization": f"Bearer {create_api_token(operator)}"}
    answered = {}
    for rule, _declared in role_rule_endpoints(app, "GET"):
        for url in build_urls(app, rule, ids):
            response = operator_client.get(url, headers=bearer if url.startswith("/api/") else None)
            answered[url] = (rule.endpoint, response.status_code)
            if rule.endpoint in HERS:
                assert response.status_code == 200, url
            elif rule.endpoint == "main.home":
                assert response.headers["Location"] == "/platform/organisations"
            else:
                assert response.status_code in (403, 404), (url, response.status_code)
            assert str(theirs.client.family_name) not in response.get_data(as_text=True)
    assert {endpoint for endpoint, status in answered.values() if status == 200} == HERS
    # Her forms are hers; every other form is refused, and changes nothing.
    token = pages.get(operator_client, "/account").csrf_token
    before = _count(AuditEvent)
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        for rule, _declared in role_rule_endpoints(app, method):
            if rule.endpoint in HER_FORMS:
                continue
            for url in build_urls(app, rule, ids):
                if url.startswith("/api/"):
                    response = operator_client.open(url, method=method, json={}, headers=bearer)
                else:
                    data = {"csrf_token": token, "name": "X", "code": "X"}
                    response = operator_client.open(url, method=method, data=data)
                assert response.status_code == 403, (method, url, response.status_code)
    assert _count(AuditEvent) == before


@pytest.mark.parametrize("role", ["worker", "manager", "court", "cps", "admin"])
def test_nobody_else_opens_the_operators_pages(client, app_ctx, role) -> None:
    log_in_as(client, create_user(role=role))
    for path in ("/platform/organisations", "/platform/organisations/new"):
        assert client.get(path).status_code == 403, path
    token = pages.get(client, "/account").csrf_token
    before = _count(Organisation)
    data = {"csrf_token": token, "name": "Rogue", "slug": "rogue", "admin_name": "R", "admin_email": "r@example.org"}
    assert client.post("/platform/organisations/new", data=data).status_code == 403
    assert _count(Organisation) == before


def test_the_operator_is_made_on_the_command_line(app, app_ctx) -> None:
    result = app.test_cli_runner().invoke(
        args=["users", "create", "olive@example.org", "--role", "operator", "--name", "Olive Platform"]
    )
    assert result.exit_code == 0, result.output
    assert "created with role operator" in result.output
    made = db.session.scalar(select(User).where(User.email == "olive@example.org"))
    assert (made.role, made.organisation_id, made.court_id, made.schemes) == ("operator", None, None, [])
    # An administrator cannot make one.
    administrator = create_user(role="admin")
    with pytest.raises(
        ValidationFailed, match="Only the platform operator's own command line makes a platform operator"
    ):
        make_user("another.operator@example.org", "operator", actor=administrator, display_name="Another")

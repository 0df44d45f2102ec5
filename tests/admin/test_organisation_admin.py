"""Administration per organisation (docs/organisations.md, "Administration per organisation"): an administrator sees
and changes only her organisation's staff and the court and CPS users of the courts its schemes serve; new accounts
choose their schemes or courts; a manager confirms only her organisation's accounts."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from diversion.admin import services
from diversion.audit.models import AuditEvent
from diversion.auth.models import User
from diversion.courts.models import Court
from diversion.db import transaction
from diversion.errors import NotFound, ValidationFailed
from diversion.extensions import db
from diversion.organisations.services import link_court
from tests import pages
from tests.factories import create_court, create_scheme, create_user, log_in_as, main_scheme
from tests.walls import MARKER, other_organisation


@pytest.fixture
def admin(app_ctx) -> User:
    return create_user(role="admin", email="main.admin@example.org", display_name="Main Admin")


@pytest.fixture
def admin_client(client: FlaskClient, admin) -> FlaskClient:
    return log_in_as(client, admin)


@pytest.fixture
def other(app_ctx):
    return other_organisation()


def _audit_count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def _fresh(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def _new_user(client: FlaskClient, **fields: Any) -> pages.Page:
    data = {"display_name": "New Person", "email": "new.person@example.org", "role": "worker", "court": "", **fields}
    return pages.post(client, "/admin/users/new", data)


# --- who she sees ---


def test_the_users_list_holds_her_organisations_accounts_and_its_courts_partners_only(admin_client, other) -> None:
    court = create_court(name="Ashby Magistrates' Court", cps_covers=False)
    worker = create_user(role="worker", display_name="Wendy Own")
    court_user = create_user(role="court", court=court, display_name="Clara Own")
    cps = create_user(role="cps", cps_courts=[court], display_name="Cyril Own")
    operator = create_user(role="operator", display_name="Olive Platform")
    page = pages.get(admin_client, "/admin/users")
    for name in ("Wendy Own", "Clara Own", "Cyril Own", "Main Admin"):
        assert name in page.text
    assert MARKER not in page.html
    assert operator.display_name not in page.text
    for user in (worker, court_user, cps):
        assert f"/admin/users/{user.id}" in page.hrefs()


def test_another_organisations_accounts_answer_404_and_nothing_changes(admin_client, other) -> None:
    operator = create_user(role="operator")
    token = pages.get(admin_client, "/admin/users").csrf_token
    before = _audit_count()
    for user in [*other.staff, *other.partners, operator]:
        for path in ("", "/name", "/role"):
            assert admin_client.get(f"/admin/users/{user.id}{path}").status_code == 404, (user.role, path)
        for action in ("disable", "enable", "unlock", "reset-two-factor", "reset-password", "name", "role"):
            data = {"csrf_token": token, "display_name": "Taken Over", "role": "worker", "seen": user.display_name}
            response = admin_client.post(f"/admin/users/{user.id}/{action}", data=data)
            assert response.status_code == 404, (user.role, action)
        fresh = _fresh(user)
        assert (fresh.is_disabled, fresh.role, fresh.display_name) == (False, user.role, user.display_name)
        assert fresh.must_change_password is False
    assert _audit_count() == before


def test_the_other_administrator_sees_her_own_and_not_the_main_organisations(client, app_ctx, other) -> None:
    main_worker = create_user(role="worker", display_name="Wendy Main")
    log_in_as(client, other.admin)
    page = pages.get(client, "/admin/users")
    assert f"{MARKER} Worker" in page.text
    assert f"{MARKER} Clerk" in page.text
    assert f"{MARKER} Prosecutor" in page.text
    assert "Wendy Main" not in page.text
    assert client.get(f"/admin/users/{main_worker.id}").status_code == 404


def test_a_cps_user_of_both_organisations_courts_keeps_the_courts_the_other_serves(admin_client, other) -> None:
    own = create_court(name="Ashby Magistrates' Court", cps_covers=False)
    shared = create_user(role="cps", cps_courts=[own, other.court])
    page = pages.get(admin_client, f"/admin/users/{shared.id}/role")
    # Her choices are her own courts; the other organisation's court is not offered.
    assert own.code in [tag["value"] for tag in page.inputs("cps_courts")]
    assert other.court.code not in page.html
    newer = create_court(name="Brompton Magistrates' Court", cps_covers=False)
    pages.post(
        admin_client,
        f"/admin/users/{shared.id}/role",
        {"role": "cps", "cps_courts": [newer.code]},
        status=302,
    )
    covered = {court.code for court in _fresh(shared).cps_courts}
    assert covered == {newer.code, other.court.code}
    # A court was added: the account waits for a manager again.
    assert _fresh(shared).confirmation_reason == "access_changed"


# --- new accounts choose their schemes and courts ---


def test_an_organisation_with_one_scheme_has_it_chosen_already(admin_client) -> None:
    page = pages.get(admin_client, "/admin/users/new")
    assert page.checked("schemes") == [main_scheme().slug]
    worker = _new_user(admin_client, schemes=[main_scheme().slug])
    assert "User created" in worker.text
    user = db.session.scalar(select(User).where(User.email == "new.person@example.org"))
    assert [scheme.slug for scheme in user.schemes] == [main_scheme().slug]


def test_with_two_schemes_a_new_worker_must_be_given_one_of_hers(admin_client, other) -> None:
    second = create_scheme(slug="outreach")
    page = pages.get(admin_client, "/admin/users/new")
    assert page.checked("schemes") == []
    assert sorted(tag["value"] for tag in page.inputs("schemes")) == sorted([main_scheme().slug, "outreach"])
    assert other.scheme.slug not in page.html
    users_before = db.session.scalar(select(func.count()).select_from(User))
    missing = _new_user(admin_client)
    assert missing.error_summary == ["Select the schemes this user works in"]
    assert missing.error_summary_links == ["#schemes"]
    foreign = _new_user(admin_client, schemes=[other.scheme.slug])
    assert foreign.error_summary == ["Select schemes of this organisation"]
    assert db.session.scalar(select(func.count()).select_from(User)) == users_before
    made = _new_user(admin_client, role="manager", schemes=["outreach"])
    assert "User created" in made.text
    user = db.session.scalar(select(User).where(User.email == "new.person@example.org"))
    assert [scheme.slug for scheme in user.schemes] == [second.slug]
    assert user.organisation_id == main_scheme().organisation_id


def test_a_new_cps_user_covers_courts_her_schemes_serve_only(admin_client, other) -> None:
    first, second = (
        create_court(name="Ashby Magistrates' Court", cps_covers=False),
        create_court(name="Brompton Magistrates' Court", cps_covers=False),
    )
    page = pages.get(admin_client, "/admin/users/new")
    offered = [tag["value"] for tag in page.inputs("cps_courts")]
    assert first.code in offered
    assert second.code in offered
    assert other.court.code not in offered
    assert _new_user(admin_client, role="cps").error_summary == ["Select the courts this CPS user covers"]
    foreign = _new_user(admin_client, role="cps", cps_courts=[other.court.code])
    assert foreign.error_summary == ["Select courts your organisation's schemes serve"]
    assert "User created" in _new_user(admin_client, role="cps", cps_courts=[second.code]).text
    user = db.session.scalar(select(User).where(User.email == "new.person@example.org"))
    assert [court.code for court in user.cps_courts] == [second.code]
    # A scheme box left ticked for a CPS user is not hers to have: she has none.
    assert user.schemes == []


def test_a_court_user_is_placed_only_at_a_court_her_schemes_serve(admin_client, admin, other) -> None:
    page = pages.get(admin_client, "/admin/users/new")
    assert other.court.code not in [tag["value"] for tag in page.select("select#court option")]
    refused = _new_user(admin_client, role="court", court=other.court.code)
    assert refused.error_summary == ["Not a valid choice."]
    assert db.session.scalar(select(User).where(User.email == "new.person@example.org")) is None
    with pytest.raises(ValidationFailed, match="Select a court your organisation's schemes serve"):
        services.create_user(
            "direct@example.org",
            "court",
            other.court.code,
            actor=admin,
            display_name="Direct",
        )


def test_changing_a_workers_schemes_is_audited_and_an_added_one_waits_for_a_manager(admin_client) -> None:
    second = create_scheme(slug="outreach")
    worker = create_user(role="worker")
    page = pages.get(admin_client, f"/admin/users/{worker.id}/role")
    assert page.checked("schemes") == [main_scheme().slug]
    pages.post(
        admin_client,
        f"/admin/users/{worker.id}/role",
        {"role": "worker", "schemes": [main_scheme().slug, second.slug]},
        status=302,
    )
    fresh = _fresh(worker)
    assert sorted(scheme.slug for scheme in fresh.schemes) == sorted([main_scheme().slug, "outreach"])
    assert fresh.role == "worker"
    assert fresh.confirmation_reason == "access_changed"
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.access_changed")).all()
    assert set(event.details["schemes"]) == {main_scheme().slug, "outreach"}
    assert event.object_id == str(worker.id)
    same = pages.post(
        admin_client,
        f"/admin/users/{worker.id}/role",
        {"role": "worker", "schemes": [main_scheme().slug, second.slug]},
    )
    assert same.error_summary == ["This user already has this role and court"]
    none = pages.post(admin_client, f"/admin/users/{worker.id}/role", {"role": "worker"})
    assert none.error_summary == ["Select the schemes this user works in"]


def test_the_users_page_names_the_schemes_and_courts_of_each_account(admin_client) -> None:
    court = create_court(name="Ashby Magistrates' Court", cps_covers=False)
    worker = create_user(role="worker")
    cps = create_user(role="cps", cps_courts=[court])
    assert pages.get(admin_client, f"/admin/users/{worker.id}").summary_list()["Schemes"] == main_scheme().name
    assert pages.get(admin_client, f"/admin/users/{cps.id}").summary_list()["Courts covered"] == court.name


# --- courts ---


def test_the_court_list_holds_the_courts_her_schemes_serve(admin_client, other) -> None:
    own = create_court(name="Ashby Magistrates' Court", cps_covers=False)
    page = pages.get(admin_client, "/admin/courts")
    assert "Ashby Magistrates" in page.text
    assert MARKER not in page.html
    assert f"/admin/courts/{own.id}/edit" in page.hrefs()
    assert admin_client.get(f"/admin/courts/{other.court.id}/edit").status_code == 404
    token = pages.get(admin_client, "/account").csrf_token
    response = admin_client.post(
        f"/admin/courts/{other.court.id}/edit", data={"code": "HIJACK", "name": "Taken", "csrf_token": token}
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Court, other.court.id).code == other.court.code


def test_a_new_court_asks_which_of_her_schemes_serve_it(admin_client, other) -> None:
    page = pages.get(admin_client, "/admin/courts/new")
    assert page.checked("schemes") == [str(main_scheme().id)]
    second = create_scheme(slug="outreach")
    page = pages.get(admin_client, "/admin/courts/new")
    assert page.checked("schemes") == []
    assert str(other.scheme.id) not in [tag["value"] for tag in page.inputs("schemes")]
    missing = pages.post(admin_client, "/admin/courts/new", {"code": "NEW1", "name": "Newtown Magistrates' Court"})
    assert missing.error_summary == ["Select the schemes that serve this court"]
    foreign = pages.post(
        admin_client,
        "/admin/courts/new",
        {"code": "NEW1", "name": "Newtown Magistrates' Court", "schemes": [str(other.scheme.id)]},
    )
    assert foreign.error_summary == ["Select the schemes that serve this court"]
    assert services.court_by_code("NEW1") is None
    pages.post(
        admin_client,
        "/admin/courts/new",
        {"code": "NEW1", "name": "Newtown Magistrates' Court", "schemes": [str(second.id)]},
        status=302,
        redirect="/admin/courts",
    )
    court = services.court_by_code("NEW1")
    db.session.refresh(second)
    assert court in second.courts
    assert court not in main_scheme().courts
    listed = pages.get(admin_client, "/admin/courts")
    assert [
        "NEW1",
        "Newtown Magistrates' Court",
        second.name,
        "Change Newtown Magistrates' Court",
    ] in listed.table_rows()


def test_a_court_another_organisation_serves_too_is_not_hers_to_rename(admin_client, other) -> None:
    shared = create_court(name="Shared Magistrates' Court", cps_covers=False)
    with transaction():
        link_court(other.scheme, shared)
    refused = pages.post(admin_client, f"/admin/courts/{shared.id}/edit", {"code": shared.code, "name": "Renamed"})
    assert refused.error_summary == [
        "Another organisation's schemes serve this court too, so its code and name are not yours to change"
    ]
    db.session.expire_all()
    assert db.session.get(Court, shared.id).name == "Shared Magistrates' Court"


# --- a manager confirms her organisation's accounts only ---


def test_a_manager_sees_and_confirms_only_her_organisations_waiting_accounts(client, app_ctx, admin, other) -> None:
    own_court = create_court(name="Ashby Magistrates' Court", cps_covers=False)
    ours = services.create_user("ours@example.org", "worker", actor=admin, display_name="Olga Ours")[0]
    our_cps = services.create_user(
        "our.cps@example.org", "cps", actor=admin, display_name="Cora Ours", cps_courts=[own_court.code]
    )[0]
    theirs = services.create_user(
        f"new@{MARKER.lower()}.example.org",
        "worker",
        actor=other.admin,
        display_name=f"{MARKER} Newcomer",
        schemes=[other.scheme.slug],
    )[0]
    their_clerk = services.create_user(
        f"clerk@{MARKER.lower()}.example.org",
        "court",
        other.court.code,
        actor=other.admin,
        display_name=f"{MARKER} New Clerk",
    )[0]
    manager = create_user(role="manager", display_name="Mona Main")
    log_in_as(client, manager)
    page = pages.get(client, "/admin/accounts-to-confirm")
    assert "Olga Ours" in page.text
    assert "Cora Ours" in page.text
    assert MARKER not in page.html
    for user in (theirs, their_clerk):
        response = client.post(f"/admin/accounts-to-confirm/{user.id}", data={"csrf_token": page.csrf_token})
        assert response.status_code == 404
        assert _fresh(user).confirmation_needed_at is not None
    pages.post(client, f"/admin/accounts-to-confirm/{ours.id}", {}, token_from="/admin/accounts-to-confirm", status=302)
    assert _fresh(ours).confirmation_needed_at is None
    assert _fresh(our_cps).confirmation_needed_at is not None
    # The service says the same to a manager of the other organisation about ours.
    with pytest.raises(NotFound, match="There is no such account"):
        services.confirm_account(_fresh(our_cps), other.manager)


def test_the_other_organisations_manager_confirms_its_own(client, app_ctx, other) -> None:
    theirs = services.create_user(
        f"new@{MARKER.lower()}.example.org",
        "worker",
        actor=other.admin,
        display_name=f"{MARKER} Newcomer",
        schemes=[other.scheme.slug],
    )[0]
    log_in_as(client, other.manager)
    page = pages.get(client, "/admin/accounts-to-confirm")
    assert f"{MARKER} Newcomer" in page.text
    pages.post(
        client, f"/admin/accounts-to-confirm/{theirs.id}", {}, token_from="/admin/accounts-to-confirm", status=302
    )
    assert _fresh(theirs).confirmation_needed_at is None

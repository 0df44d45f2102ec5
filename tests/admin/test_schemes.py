"""The administrator's scheme pages (docs/organisations.md, "Administration per organisation"): her organisation's
schemes with their courts; adding one with version 1 of its programme; changing its name, courts and access rule,
audited; another organisation's scheme answers 404."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from diversion.admin.services import save_court
from diversion.audit.models import AuditEvent
from diversion.extensions import db
from diversion.organisations.models import ProgrammeVersion, Scheme
from diversion.organisations.services import current_version, scheme_by_slug
from diversion.referrals.programme import scheme_programme
from tests import pages
from tests.factories import create_court, create_user, log_in_as, main_scheme
from tests.walls import MARKER, other_organisation


@pytest.fixture
def admin_client(client: FlaskClient, app_ctx) -> FlaskClient:
    return log_in_as(client, create_user(role="admin"))


@pytest.fixture
def other(app_ctx):
    return other_organisation()


def _count(model) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_the_schemes_page_lists_her_organisations_schemes_with_their_courts(admin_client, other) -> None:
    court = create_court(name="Ashby Magistrates' Court", cps_covers=False)
    page = pages.get(admin_client, "/admin/schemes")
    assert page.title.startswith("Schemes - ")
    [row] = page.table_rows()
    assert row[0] == main_scheme().name
    assert row[1] == main_scheme().slug
    assert f"{court.name} ({court.code})" in row[2]
    assert row[3] == "Team"
    assert MARKER not in page.html
    assert page.link("Add a scheme") == "/admin/schemes/new"
    # In the administrator's navigation, marked as the current section.
    assert 'href="/admin/schemes" aria-current="true"' in page.html


def test_adding_a_scheme_makes_version_1_of_its_programme(admin_client, other) -> None:
    first = create_court(name="Ashby Magistrates' Court", cps_covers=False)
    form = pages.get(admin_client, "/admin/schemes/new")
    assert form.checked("access") == ["team"]
    assert form.value("appointments") == "2"
    offered = [tag["value"] for tag in form.inputs("courts")]
    # Courts are the country's: any open court may be served, the other organisation's too.
    assert first.code in offered
    assert other.court.code in offered
    pages.post(
        admin_client,
        "/admin/schemes/new",
        {
            "name": "Engagement and Support",
            "slug": "eso",
            "courts": [first.code],
            "access": "assigned",
            "appointments": "3",
        },
        status=302,
        redirect="/admin/schemes",
    )
    scheme = scheme_by_slug(main_scheme().organisation, "eso")
    assert (scheme.name, scheme.access, [court.code for court in scheme.courts]) == (
        "Engagement and Support",
        "assigned",
        [first.code],
    )
    version = current_version(scheme.id)
    assert version.number == 1
    assert len(scheme_programme(scheme.id).steps) == 3
    [event] = [event for event in _events("scheme.created") if event.object_id == str(scheme.id)]
    assert event.details["courts"] == [first.code]
    listed = pages.get(admin_client, "/admin/schemes")
    assert "Engagement and Support" in listed.text
    assert "Scheme added." in listed.text


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": ""}, "name", "Enter the scheme's name"),
        ({"slug": ""}, "slug", "Enter a short name for the scheme of up to 40 lower case letters, digits and hyphens"),
        ({"slug": "Not A Slug!"}, "slug", "Enter a short name for the scheme"),
        ({"slug": "diversion"}, "slug", "Already in use"),
        ({"appointments": "0"}, "appointments", "Enter the number of appointments, from 1 to 6"),
        ({"appointments": "7"}, "appointments", "Enter the number of appointments, from 1 to 6"),
        ({"appointments": "two"}, "appointments", "Enter the number of appointments, from 1 to 6"),
        ({"access": ""}, "access", "Choose who opens a case"),
        ({"access": "everyone"}, "access", "Not a valid choice"),
        ({"courts": ["NOPE"]}, "courts", "Select courts from the list"),
    ],
)
def test_a_new_scheme_that_breaks_the_rules_is_refused_and_nothing_is_added(
    admin_client, fields, field, message
) -> None:
    data = {"name": "Outreach", "slug": "outreach", "courts": [], "access": "team", "appointments": "2", **fields}
    before = (_count(Scheme), _count(ProgrammeVersion), _count(AuditEvent))
    page = pages.post(admin_client, "/admin/schemes/new", data, status=422)
    assert any(message in item for item in page.error_summary), page.error_summary
    assert [link for link in page.error_summary_links if link.startswith(f"#{field}")]
    assert (_count(Scheme), _count(ProgrammeVersion), _count(AuditEvent)) == before


def test_changing_a_schemes_name_courts_and_access_is_audited(admin_client) -> None:
    scheme = main_scheme()
    kept = create_court(name="Ashby Magistrates' Court", cps_covers=False)
    dropped = create_court(name="Brompton Magistrates' Court", cps_covers=False)
    added = save_court("CARL1", "Carlton Magistrates' Court", schemes=[])  # served by no scheme yet
    path = f"/admin/schemes/{scheme.id}/edit"
    form = pages.get(admin_client, path)
    assert form.value("name") == scheme.name
    assert set(form.checked("courts")) >= {kept.code, dropped.code}
    assert form.checked("access") == ["team"]
    assert not form.inputs("slug")
    assert not form.inputs("appointments")
    versions = _count(ProgrammeVersion)
    chosen = [code for code in form.checked("courts") if code != dropped.code] + [added.code]
    pages.post(
        admin_client,
        path,
        {"name": "Women's Diversion", "courts": chosen, "access": "assigned"},
        status=302,
        redirect="/admin/schemes",
    )
    db.session.expire_all()
    scheme = db.session.get(Scheme, scheme.id)
    assert scheme.name == "Women's Diversion"
    assert scheme.access == "assigned"
    codes = {court.code for court in scheme.courts}
    assert kept.code in codes
    assert added.code in codes
    assert dropped.code not in codes
    # The programme is not changed here: its manager keeps it, as versions.
    assert _count(ProgrammeVersion) == versions
    [event] = _events("scheme.changed")
    assert event.details["changed"] == ["name", "courts", "access"]
    assert event.details["added_courts"] == [added.code]
    assert event.details["removed_courts"] == [dropped.code]
    unchanged = pages.post(
        admin_client, path, {"name": "Women's Diversion", "courts": chosen, "access": "assigned"}, status=422
    )
    assert unchanged.error_summary == ["Nothing has changed"]


def test_another_organisations_scheme_answers_404_and_is_not_changed(admin_client, other) -> None:
    token = pages.get(admin_client, "/account").csrf_token
    path = f"/admin/schemes/{other.scheme.id}/edit"
    assert admin_client.get(path).status_code == 404
    response = admin_client.post(path, data={"csrf_token": token, "name": "Taken", "access": "assigned"})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Scheme, other.scheme.id).name != "Taken"
    assert admin_client.get("/admin/schemes/999999/edit").status_code == 404
    assert _events("scheme.changed") == []


@pytest.mark.parametrize("role", ["worker", "manager", "court", "cps", "operator"])
def test_only_an_administrator_opens_the_scheme_pages(client, app_ctx, role) -> None:
    log_in_as(client, create_user(role=role))
    for path in ("/admin/schemes", "/admin/schemes/new", f"/admin/schemes/{main_scheme().id}/edit"):
        assert client.get(path).status_code == 403, path

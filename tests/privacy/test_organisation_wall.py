"""Data protection behind the organisation wall (docs/organisations.md, "The wall elsewhere"): a manager exports,
holds and erases only her organisation's clients (another's answer 404 and nothing changes); retention runs per
organisation; ``flask retention run`` and ``flask clients export`` take ``--org``, which must be given once the
service holds more than one organisation."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from diversion.audit.models import AuditEvent
from diversion.clients.models import Client
from diversion.dates import today
from diversion.errors import NotFound
from diversion.extensions import db
from diversion.organisations.services import organisation_by_slug
from diversion.privacy import services
from diversion.privacy.models import ErasureRequest
from diversion.privacy.retention import add_years, retention_status, run_retention, set_legal_hold
from tests import pages
from tests.factories import MAIN_ORG_ID, create_referral, create_user, log_in_as
from tests.walls import MARKER, other_case, other_organisation


def _later():
    """Ten years on from the test's today: every client whose cases ended is past her period."""
    return add_years(today(), 10)


@pytest.fixture
def other(app_ctx):
    return other_organisation()


@pytest.fixture
def manager(app_ctx):
    return create_user(role="manager")


def _count(model) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def _client(client_id) -> Client:
    db.session.expire_all()
    return db.session.get(Client, client_id)


def test_another_organisations_client_answers_404_and_nothing_changes(client, manager, other) -> None:
    theirs = other_case(other, state="WITHDRAWN")
    request = services.request_erasure(theirs.client, "duplicate", other.manager)
    log_in_as(client, manager)
    token = pages.get(client, "/privacy").csrf_token
    base = f"/privacy/clients/{theirs.client_id}"
    before = (_count(AuditEvent), _count(ErasureRequest))
    assert client.get(base).status_code == 404
    for action, data in (
        ("hold", {"hold": "y"}),
        ("export", {"fmt": "json"}),
        ("erasure", {"reason": "duplicate"}),
    ):
        response = client.post(f"{base}/{action}", data={"csrf_token": token, **data})
        assert response.status_code == 404, action
        assert MARKER not in response.get_data(as_text=True)
    assert client.get(f"/privacy/erasures/{request.id}").status_code == 404
    response = client.post(f"/privacy/erasures/{request.id}", data={"csrf_token": token, "confirm": "y"})
    assert response.status_code == 404
    assert (_count(AuditEvent), _count(ErasureRequest)) == before
    fresh = _client(theirs.client_id)
    assert (fresh.has_legal_hold, fresh.is_erased) == (False, False)
    assert db.session.get(ErasureRequest, request.id).is_pending


def test_the_services_refuse_another_organisations_manager_too(manager, other) -> None:
    theirs = other_case(other, state="WITHDRAWN")
    with pytest.raises(NotFound):
        set_legal_hold(theirs.client, True, manager)
    with pytest.raises(NotFound):
        services.request_erasure(theirs.client, "duplicate", manager)
    request = services.request_erasure(theirs.client, "duplicate", other.manager)
    for decide in (services.confirm_erasure, services.cancel_erasure):
        with pytest.raises(NotFound):
            decide(request, manager)
    assert request.is_pending


def test_the_data_protection_page_lists_her_organisations_clients_and_requests_only(client, manager, other) -> None:
    ours = create_referral(state="WITHDRAWN")
    theirs = other_case(other, state="WITHDRAWN")
    mine = services.request_erasure(ours.client, "duplicate", manager)
    their_request = services.request_erasure(theirs.client, "duplicate", other.manager)
    log_in_as(client, manager)
    page = pages.get(client, "/privacy")
    assert f"/privacy/erasures/{mine.id}" in page.hrefs()
    assert str(theirs.client_id) not in page.html
    assert str(their_request.id) not in page.html
    assert MARKER not in page.html
    # The other organisation's manager sees hers, not ours.
    log_in_as(client, other.manager)
    theirs_page = pages.get(client, "/privacy")
    assert str(ours.client_id) not in theirs_page.html
    assert f"/privacy/erasures/{their_request.id}" in theirs_page.hrefs()
    assert str(mine.id) not in theirs_page.html


def test_her_own_clients_export_holds_nothing_of_the_other_organisation(client, manager, other) -> None:
    ours = create_referral(state="OPTED_IN", family_name="Ashcombe")
    other_case(other)
    log_in_as(client, manager)
    page = f"/privacy/clients/{ours.client_id}"
    token = pages.get(client, page).csrf_token
    response = client.post(f"{page}/export", data={"csrf_token": token, "fmt": "json"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Ashcombe" in body
    assert MARKER not in body
    assert MARKER.lower() not in body


def test_retention_is_reckoned_and_run_per_organisation(manager, other) -> None:
    ours = create_referral(state="WITHDRAWN")
    theirs = other_case(other, state="WITHDRAWN")
    due = {item.client_id for item in retention_status(_later(), organisation_id=MAIN_ORG_ID).due}
    assert ours.client_id in due
    assert theirs.client_id not in due
    due = {item.client_id for item in retention_status(_later(), organisation_id=other.organisation.id).due}
    assert theirs.client_id in due
    assert ours.client_id not in due
    run = run_retention(_later(), organisation=other.organisation)
    assert run.erased == [str(theirs.client_id)]
    assert _client(theirs.client_id).is_erased
    assert not _client(ours.client_id).is_erased
    [event] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "retention.run").order_by(AuditEvent.id.desc()).limit(1)
    ).all()
    assert event.details["organisation"] == other.organisation.slug


def test_the_commands_take_the_organisation(app, manager) -> None:
    runner = app.test_cli_runner()
    later = _later().isoformat()
    # One organisation: --org may be left out, as before.
    alone = runner.invoke(args=["retention", "run", "--dry-run", "--today", later])
    assert alone.exit_code == 0, alone.output
    assert "Dry run for main on" in alone.output
    ours = create_referral(state="WITHDRAWN")
    other = other_organisation()
    theirs = other_case(other, state="WITHDRAWN")
    # Two: it must be named, and the error says how.
    unnamed = runner.invoke(args=["retention", "run", "--dry-run", "--today", later])
    assert unnamed.exit_code == 1
    assert "Name the organisation with --org SLUG: the service holds more than one." in unnamed.output
    unknown = runner.invoke(args=["retention", "run", "--org", "nowhere", "--dry-run"])
    assert unknown.exit_code == 1
    assert "There is no organisation 'nowhere'." in unknown.output
    named = runner.invoke(args=["retention", "run", "--org", other.organisation.slug, "--today", later])
    assert named.exit_code == 0, named.output
    assert f"Client {theirs.client_id} erased (retention)." in named.output
    assert str(ours.client_id) not in named.output
    assert not _client(ours.client_id).is_erased

    unnamed_export = runner.invoke(args=["clients", "export", str(ours.client_id)])
    assert unnamed_export.exit_code == 1
    assert "--org" in unnamed_export.output
    wrong = runner.invoke(args=["clients", "export", str(ours.client_id), "--org", other.organisation.slug])
    assert wrong.exit_code == 1
    assert "No client with that id." in wrong.output
    right = runner.invoke(args=["clients", "export", str(ours.client_id), "--org", "main"])
    assert right.exit_code == 0, right.output
    assert json.loads(right.output)["client_id"] == str(ours.client_id)
    assert organisation_by_slug("main").id == MAIN_ORG_ID

"""Venues behind the organisation wall (docs/organisations.md, "The wall elsewhere"): a manager lists, changes,
retires and brings back only her organisation's venues; another's answers 404 and is left as it was."""

from __future__ import annotations

from diversion.extensions import db
from diversion.venues.models import Venue
from diversion.venues.services import save_venue
from tests import pages
from tests.factories import audit_events, create_user, log_in_as
from tests.walls import MARKER, other_organisation


def test_another_organisations_venue_answers_404_and_is_not_changed(client, app_ctx) -> None:
    other = other_organisation()
    theirs = save_venue(f"{MARKER} drop-in", "1 Harbour Road", actor=other.manager)
    ours = save_venue("Canal Street centre", "12 Canal Street", organisation="main")
    manager = create_user(role="manager")
    log_in_as(client, manager)
    listed = pages.get(client, "/venues")
    assert "Canal Street centre" in listed.text
    assert MARKER not in listed.html
    assert f"/venues/{ours.id}/edit" in listed.hrefs()
    events = len(audit_events())
    assert client.get(f"/venues/{theirs.id}/edit").status_code == 404
    token = pages.get(client, "/account").csrf_token
    edit = client.post(f"/venues/{theirs.id}/edit", data={"csrf_token": token, "name": "Taken", "address": "Here"})
    assert edit.status_code == 404
    assert client.post(f"/venues/{theirs.id}/active", data={"csrf_token": token}).status_code == 404
    db.session.expire_all()
    venue = db.session.get(Venue, theirs.id)
    assert (venue.name, venue.address, venue.is_active) == (f"{MARKER} drop-in", "1 Harbour Road", True)
    assert len(audit_events()) == events
    # The other organisation's manager keeps hers.
    log_in_as(client, other.manager)
    page = f"/venues/{theirs.id}/edit"
    pages.post(client, page, {"name": f"{MARKER} centre", "address": "1 Harbour Road"}, status=302, redirect="/venues")
    db.session.expire_all()
    assert db.session.get(Venue, theirs.id).name == f"{MARKER} centre"
    assert client.get(f"/venues/{ours.id}/edit").status_code == 404

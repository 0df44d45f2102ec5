"""An organisation's first responder setting (docs/modern-slavery.md): its administrator changes it, audited; it is
her organisation's alone; nobody else reaches the page."""

from __future__ import annotations

import pytest

from diversion.extensions import db
from diversion.organisations.models import Organisation
from tests import pages
from tests.factories import MAIN_ORG_ID, audit_events, create_organisation, create_user, log_in_as

URL = "/admin/organisation/first-responder"


def _setting(organisation_id: int = MAIN_ORG_ID) -> bool:
    db.session.expire_all()
    return db.session.get(Organisation, organisation_id).is_first_responder


def test_an_administrator_makes_her_organisation_a_first_responder(client, app_ctx) -> None:
    other = create_organisation()
    log_in_as(client, create_user(role="admin"))
    schemes = pages.get(client, "/admin/schemes")
    assert "your organisation is not a first responder" in schemes.text
    assert URL in schemes.hrefs()
    page = pages.get(client, URL)
    assert page.checked("is_first_responder") == ["no"]
    pages.post(client, URL, {"is_first_responder": "yes"}, status=302, redirect="/admin/schemes")
    assert _setting() is True
    assert _setting(other.id) is False
    [event] = audit_events(action="organisation.changed")
    assert event.details == {"changed": ["is_first_responder"], "is_first_responder": True}
    assert "your organisation is a first responder" in pages.get(client, "/admin/schemes").text
    # Saving the same answer changes nothing and audits nothing.
    pages.post(client, URL, {"is_first_responder": "yes"}, status=302)
    assert len(audit_events(action="organisation.changed")) == 1


def test_no_answer_gets_the_error_summary(client, app_ctx) -> None:
    log_in_as(client, create_user(role="admin"))
    page = pages.post(client, URL, {}, status=422)
    assert page.error_summary == ["Select yes if your organisation is a first responder"]
    assert _setting() is False


@pytest.mark.parametrize("role", ["worker", "manager", "court", "cps", "operator"])
def test_nobody_else_reaches_the_page(client, app_ctx, role) -> None:
    log_in_as(client, create_user(role=role))
    assert client.get(URL).status_code == 403
    assert client.post(URL, data={"is_first_responder": "yes"}).status_code in (400, 403)
    assert _setting() is False

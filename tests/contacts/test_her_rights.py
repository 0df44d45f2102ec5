"""Her rights over the contact log (docs/contacts.md, "Her rights"; docs/privacy.md): her contacts are a section of
the subject-access export with their words; erasing her (crypto-shredding) makes with whom and what happened
unreadable on the page, in the API and in the export, keeps the plain columns, and nothing more can be logged."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from diversion.auth.tokens import create_api_token
from diversion.clients.erasure import erase_client
from diversion.clients.models import Client
from diversion.contacts.models import Contact
from diversion.contacts.services import ERASED, ContactInput, log_contact
from diversion.crypto.fields import ERASED as ERASED_VALUE
from diversion.db import utcnow
from diversion.errors import InvalidTransition
from diversion.extensions import db
from diversion.privacy.export import SECTION_TITLES, build_export
from diversion.referrals.models import State
from tests import pages
from tests.api.conftest import Api, error_of
from tests.contacts.helpers import log
from tests.factories import create_referral, create_user, log_in_as

pytestmark = pytest.mark.clock("2026-12-01 10:00")

WITH = "Canary-with: the outreach van"
NOTE = "Canary-note: she said the flat on Eastgate is not safe"


@pytest.fixture
def worker(app_ctx):
    return create_user(role="worker", display_name="Sam Ortiz")


@pytest.fixture
def closed(worker):
    """A withdrawn case with a contact logged before it closed."""
    referral = create_referral(state=State.OPTED_IN, worker=worker)
    log(referral, worker, utcnow() - timedelta(days=1), kind="outreach", direction="out", with_whom=WITH, note=NOTE)
    from diversion.referrals.withdrawal import withdraw

    withdraw(referral, "She moved away.", worker)
    return referral


def test_her_contacts_are_a_section_of_her_export(closed) -> None:
    made = build_export(db.session.get(Client, closed.client_id))
    assert SECTION_TITLES["contacts"] == "Contact log"
    [contact] = made.sections["contacts"]
    assert contact["with_whom"] == WITH
    assert contact["note"] == NOTE
    assert (contact["kind"], contact["direction"], contact["logged_by"]) == ("outreach", "out", "Sam Ortiz")
    # Its logging is among the audit events about her, with no words.
    logged = [event for event in made.audit_events if event["action"] == "contact.logged"]
    assert len(logged) == 1
    assert "Canary" not in json.dumps(logged)


def test_erasure_makes_her_contacts_unreadable_everywhere_and_keeps_the_plain_columns(client, worker, closed) -> None:
    erase_client(db.session.get(Client, closed.client_id), "erasure_request")
    db.session.expire_all()
    contact = db.session.query(Contact).one()
    assert contact.with_whom is ERASED_VALUE
    assert contact.note is ERASED_VALUE
    assert (contact.kind, contact.direction, contact.logged_by_id) == ("outreach", "out", worker.id)

    made = build_export(db.session.get(Client, closed.client_id))
    assert "Canary" not in json.dumps(made.as_dict())
    assert made.sections["contacts"][0]["note"] == "erased"

    log_in_as(client, worker)
    page = pages.get(client, f"/cases/{closed.id}/contacts")
    assert "Canary" not in page.html
    assert "Outreach, outgoing" in page.text
    assert "With: erased" in page.text
    history = pages.get(client, f"/cases/{closed.id}/history")
    assert "Canary" not in history.html

    api = Api(client, create_api_token(worker))
    [item] = api.get(f"/referrals/{closed.id}/contacts").get_json()["items"]
    assert (item["with"], item["note"], item["unreadable_fields"]) == (None, None, ["with", "note"])


def test_nothing_more_is_logged_on_an_erased_clients_case(client, worker, closed) -> None:
    erase_client(db.session.get(Client, closed.client_id), "erasure_request")
    with pytest.raises(InvalidTransition, match="erased"):
        log_contact(closed, ContactInput(kind="call", direction="in", contacted_at=utcnow()), worker)
    api = Api(client, create_api_token(worker))
    body = {"kind": "call", "direction": "in", "at": "2026-12-01T09:00:00Z", "note": NOTE}
    error = error_of(api.post(f"/referrals/{closed.id}/contacts", body), 422, "invalid_transition")
    assert error["message"] == ERASED
    assert db.session.query(Contact).count() == 1

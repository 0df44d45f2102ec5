"""The data protection pages in Welsh, for a manager whose account reads the service in Welsh (docs/languages.md, "The
service in Welsh"). Needs the Welsh catalogue to hold the data protection pages' words."""

from __future__ import annotations

from diversion.auth.models import User
from diversion.db import transaction
from diversion.extensions import db
from diversion.privacy.services import request_erasure
from tests import pages
from tests.factories import create_referral, create_user, log_in_as


def _reads_welsh(user: User) -> None:
    with transaction():
        db.session.merge(user).language = "cy"


def test_the_data_protection_pages_read_in_welsh_for_a_manager_who_reads_welsh(client, app_ctx) -> None:
    asker, manager = create_user(role="manager"), create_user(role="manager")
    referral = create_referral(state="COMPLETED")
    request_erasure(referral.client, "erasure_request", asker)
    _reads_welsh(manager)
    signed_in = log_in_as(client, manager)

    index = pages.get(signed_in, "/privacy")
    assert index.select_one("html")["lang"] == "cy"
    assert index.text_of("h1") == "Diogelu data"
    assert "Yn aros am ail reolwr" in index.text
    assert "Gofynnodd hi i'w chofnod gael ei ddileu" in index.text  # the request's reason, from a lazy label

    record = f"/privacy/clients/{referral.client_id}"
    page = pages.get(signed_in, record)
    assert page.text_of("h1") == "Ei chofnod: diogelu data"
    assert page.summary_list()["Cadw cyfreithiol"] == "Na"
    assert "PDF darllenadwy" in page.text  # the export's radios, lazy labels of the form

    audit = pages.get(signed_in, "/privacy/audit")
    assert audit.text_of("h1") == "Log archwilio"
    searched = pages.get(signed_in, "/privacy/audit?client_id=not-an-id", status=422)
    assert searched.error_summary == ["Rhowch id y cleient fel y mae'n ymddangos ar ei thudalen diogelu data"]

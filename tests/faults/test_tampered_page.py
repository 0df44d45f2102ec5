"""A tampered ciphertext on a real page: the case page and the caseload show "unreadable" for that field, every other
field reads as before, and the rest of the case works (a save goes through and leaves the tampered bytes alone, so
they can still be looked into)."""

from __future__ import annotations

from sqlalchemy import update

from diversion.clients.models import Client
from diversion.db import transaction
from diversion.extensions import db
from diversion.referrals.models import Referral, State
from tests.factories import create_referral, create_user, csrf_token, log_in_as, raw_column


def test_a_tampered_name_reads_unreadable_on_the_pages_and_the_case_still_works(client, app_ctx) -> None:
    worker = create_user(role="worker")
    case = create_referral(worker=worker, state="OPTED_IN", given_name="Bernadette", family_name="Tamperfield")
    case_id, client_id = case.id, case.client_id
    blob = raw_column(model=Client, column="family_name", row_id=client_id)
    tampered = blob[:-5] + bytes([blob[-5] ^ 0x01]) + blob[-4:]
    with transaction():
        db.session.execute(
            update(Client.__table__).where(Client.__table__.c.id == client_id).values(family_name=tampered)
        )
    log_in_as(client, worker)

    for path in (f"/cases/{case_id}", "/cases?tab=open", f"/cases/{case_id}/history"):
        response = client.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert "Tamperfield" not in html, path
        if path != f"/cases/{case_id}/history":
            assert "unreadable" in html, path
            assert "Bernadette" in html, path

    token = csrf_token(client, f"/cases/{case_id}/withdraw")
    saved = client.post(
        f"/cases/{case_id}/withdraw", data={"reason": "She moved away", "confirmed": "yes", "csrf_token": token}
    )
    assert saved.status_code == 302
    assert db.session.get(Referral, case_id).state == State.WITHDRAWN
    assert raw_column(model=Client, column="family_name", row_id=client_id) == tampered

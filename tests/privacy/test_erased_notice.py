"""An erased woman's outcome notice that the CPS has not acknowledged: the URN, court, outcome and dates stay
readable to the CPS, kept under a key of the notice's own, with a note that her record was erased; after the
acknowledgement or 35 days they are gone and unreadable (docs/privacy.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from markupsafe import escape
from sqlalchemy import select

from diversion.auth.tokens import create_api_token
from diversion.clients.erasure import erase_client
from diversion.clients.models import Client
from diversion.crypto.errors import CryptoError
from diversion.dates import today
from diversion.extensions import db
from diversion.keyring import keystore
from diversion.notices import services as notices
from diversion.notices.models import OutcomeNotice
from diversion.referrals.urns import format_urn
from tests.factories import create_referral, create_user, log_in_as


def _erased_with_pending_notice():
    worker = create_user(role="worker")
    referral = create_referral(state="WITHDRAWN", worker=worker)
    urn = referral.urn
    family = referral.client.family_name
    notice = notices.notice_for(referral)
    assert notice is not None
    assert notice.acknowledged_at is None
    erase_client(db.session.get(Client, referral.client_id), "erasure_request", actor=worker)
    db.session.expire_all()
    return db.session.get(OutcomeNotice, notice.id), urn, family, referral


def _api(client, user, path):
    token = create_api_token(user, name="test")
    return client.get(path, headers={"Authorization": f"Bearer {token}"})


def test_the_cps_sees_what_it_needs_and_the_erasure_note(app_ctx, client) -> None:
    notice, urn, family, referral = _erased_with_pending_notice()
    assert notice.kept_urn == urn
    assert notice.shown_urn == urn
    assert notice.subject_erased
    assert notice.kept_until is not None
    cps = create_user(role="cps")
    log_in_as(client, cps)
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert format_urn(urn) in page
    assert "She asked for her record to be erased" in page
    assert str(escape(referral.court.name)) in page
    assert family not in page
    inbox = client.get("/notices").get_data(as_text=True)
    assert "her record was erased" in inbox
    answer = _api(client, cps, "/api/v1/notices?status=new")
    assert answer.status_code == 200, answer.get_json()
    body = next(item for item in answer.get_json()["items"] if item["id"] == str(notice.id))
    assert body["urn"] is not None
    assert body["identity_erased"] is True
    assert body["family_name"] is None
    assert body["outcome"] == "withdrawn"
    assert body["outcome_date"] is not None
    assert "She asked for her record to be erased" in body["erasure_note"]


def test_after_acknowledgement_the_kept_urn_is_gone_and_unreadable(app_ctx, client) -> None:
    notice, urn, _family, _referral = _erased_with_pending_notice()
    cps = create_user(role="cps")
    notices.acknowledge(notice, "proceeding", today(), cps)
    db.session.expire_all()
    notice = db.session.get(OutcomeNotice, notice.id)
    assert notice.kept_until is None
    assert notice.shown_urn is None
    assert db.session.scalar(select(OutcomeNotice.__table__.c.kept_urn).where(OutcomeNotice.id == notice.id)) is None
    with pytest.raises(CryptoError):
        keystore().get_data_key(notice.id)
    log_in_as(client, cps)
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert format_urn(urn) not in page
    assert "have been destroyed" in page


def test_after_35_days_the_sweep_destroys_what_was_kept(app_ctx, clock) -> None:
    notice, _urn, _family, _referral = _erased_with_pending_notice()
    assert notices.sweep_kept() == 0
    clock.shift(timedelta(days=35, minutes=1))
    assert notices.sweep_kept() == 1
    db.session.expire_all()
    notice = db.session.get(OutcomeNotice, notice.id)
    assert notice.kept_until is None
    assert notice.shown_urn is None
    with pytest.raises(CryptoError):
        keystore().get_data_key(notice.id)


def test_an_erasure_with_no_pending_notice_keeps_nothing(app_ctx) -> None:
    worker = create_user(role="worker")
    referral = create_referral(state="WITHDRAWN", worker=worker)
    notice = notices.notice_for(referral)
    notices.acknowledge(notice, "proceeding", today(), create_user(role="cps"))
    erase_client(db.session.get(Client, referral.client_id), "erasure_request", actor=worker)
    db.session.expire_all()
    notice = db.session.get(OutcomeNotice, notice.id)
    assert not notice.subject_erased
    assert notice.kept_until is None
    assert notice.kept_urn is None


def test_the_erasure_note_gives_london_dates() -> None:
    """Erased at 23:30 UTC on 30 June is 1 July in London, and so is what the note says (and its kept-until date)."""
    from datetime import UTC, datetime

    from diversion.notices.models import OutcomeNotice

    notice = OutcomeNotice(
        subject_erased_at=datetime(2026, 6, 30, 23, 30, tzinfo=UTC),
        subject_erasure_reason="erasure_request",
        kept_until=datetime(2026, 8, 4, 23, 30, tzinfo=UTC),
    )
    note = notice.erasure_note
    assert note is not None
    assert "erased on 1 July 2026" in note
    assert "until 5 August 2026" in note

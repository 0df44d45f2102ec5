"""Alerts and her record (docs/alerts.md, "Records, erasure and retention"): the subject access export holds them;
erasing her leaves their plain rows, which name no one, and their pages still answer; nothing of hers is stored in
them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from diversion.alerts import services as alerts
from diversion.alerts.models import Alert, Kind
from diversion.clients.erasure import erase_client
from diversion.db import transaction
from diversion.extensions import db
from diversion.privacy.export import build_export
from diversion.referrals.models import State
from diversion.referrals.withdrawal import withdraw
from tests import pages
from tests.factories import create_referral, create_user, log_in_as


@pytest.fixture
def worker(app_ctx):
    return create_user(role="worker")


def test_her_subject_access_export_holds_her_alerts_and_their_acknowledgement(worker) -> None:
    referral = create_referral(state=State.OPTED_IN, worker=worker)
    with transaction():
        (alert,) = alerts.raise_alert(referral, Kind.SAFEGUARDING_FLAG, "safeguarding_flag:export")
    alerts.acknowledge(alert, worker)
    export = build_export(referral.client)
    (row,) = export.sections["alerts"]
    assert row["id"] == str(alert.id)
    assert row["kind"] == "safeguarding_flag"
    assert row["recipient"] == worker.display_name
    assert row["acknowledged_by"] == worker.display_name
    assert row["acknowledged_at"] is not None
    assert {event["action"] for event in export.audit_events} >= {"alert.raised", "alert.acknowledged"}


def test_erasing_her_keeps_the_alerts_plain_rows_which_name_no_one(client, worker) -> None:
    referral = create_referral(state=State.OPTED_IN, worker=worker)
    with transaction():
        (alert,) = alerts.raise_alert(referral, Kind.MESSAGE_FAILED, "message_failed:erased")
    name, family = referral.client.given_name, referral.client.family_name
    withdraw(referral, "She moved away.", worker)
    erase_client(referral.client, "erasure_request", create_user(role="manager"))
    db.session.expire_all()
    kept = db.session.scalars(select(Alert).where(Alert.id == alert.id)).one()
    assert (kept.kind, kept.referral_id, kept.recipient_id) == ("message_failed", referral.id, worker.id)
    # Her alert still opens, and says nothing of her: her identity is gone with her key.
    log_in_as(client, worker)
    for url in ("/alerts", f"/alerts/{alert.id}"):
        page = pages.get(client, url)
        assert name not in page.html
        assert family not in page.html


def test_an_alert_row_holds_codes_ids_and_times_only() -> None:
    columns = {column.name: type(column.type).__name__ for column in Alert.__table__.columns}
    assert columns == {
        "id": "Uuid",
        "referral_id": "Uuid",
        "client_id": "Uuid",
        "recipient_id": "Uuid",
        "kind": "String",
        "event_key": "String",
        "created_at": "UTCDateTime",
        "acknowledged_at": "UTCDateTime",
        "acknowledged_by_id": "Uuid",
    }

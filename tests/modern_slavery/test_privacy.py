"""Her National Referral Mechanism outcome in her subject access export; erasure shreds its note and keeps the plain
outcome and date the funder return counts; nothing more can be recorded about an erased woman."""

from __future__ import annotations

import json

import pytest

from diversion.clients.erasure import erase_client
from diversion.clients.models import Client
from diversion.dates import today
from diversion.errors import InvalidTransition
from diversion.extensions import db
from diversion.modern_slavery import services
from diversion.modern_slavery.models import NrmDecision
from diversion.privacy.export import SECTION_TITLES, build_export
from diversion.referrals.withdrawal import withdraw
from tests.factories import create_user
from tests.modern_slavery.helpers import NOTE, flagged_case


def test_the_export_holds_the_outcome_its_note_and_its_audit_event(app_ctx) -> None:
    worker = create_user(role="worker")
    referral = flagged_case(worker)
    decision = services.record_nrm_outcome(referral, worker, outcome="declined", decided_on=today(), note=NOTE)
    made = build_export(db.session.get(Client, referral.client_id))
    [row] = made.sections["nrm_decisions"]
    assert (row["outcome"], row["decided_on"], row["note"]) == ("declined", today().isoformat(), NOTE)
    assert row["recorded_by"] == worker.display_name
    assert SECTION_TITLES["nrm_decisions"]
    assert any(
        event["action"] == "nrm.recorded" and event["object_id"] == str(decision.id) for event in made.audit_events
    )


def test_erasure_shreds_the_note_and_keeps_the_counted_columns(app_ctx) -> None:
    worker = create_user(role="worker")
    referral = flagged_case(worker)
    services.record_nrm_outcome(referral, worker, outcome="nrm_referred", decided_on=today(), note=NOTE)
    withdraw(referral, "She moved away.", worker)
    client = db.session.get(Client, referral.client_id)
    erase_client(client, "erasure_request")
    db.session.expire_all()
    decision = db.session.query(NrmDecision).one()
    assert str(decision.note) == "erased"
    assert (decision.outcome, decision.decided_on) == ("nrm_referred", today())
    made = build_export(client)
    assert NOTE not in json.dumps(made.as_dict())
    assert made.sections["nrm_decisions"][0]["note"] == "erased"
    with pytest.raises(InvalidTransition):
        services.record_nrm_outcome(
            db.session.get(type(referral), referral.id), worker, outcome="declined", decided_on=today(), version=1
        )

"""A ciphertext that fails authentication (a flipped byte, a value moved to another record, the wrong master key)
reads as "unreadable", is logged as a security event with ids only, and is named by ``keys verify``; it never falls
back to plaintext and never raises into the caller."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select, update

from diversion.clients.models import Client
from diversion.clients.services import find_clients
from diversion.crypto.fields import UNREADABLE
from diversion.crypto.keys import generate_master_key_line
from diversion.db import transaction
from diversion.extensions import db
from diversion.keyring import key_provider
from diversion.referrals.models import Referral
from tests.crypto_app.records import Canaries, create_case, create_staff
from tests.factories import MAIN_ORG_ID


@pytest.fixture
def security_log(caplog):
    caplog.set_level(logging.WARNING, logger="diversion.security")
    return caplog


def _raw(model, column: str, row_id) -> bytes:
    table = model.__table__
    return bytes(db.session.execute(select(table.c[column]).where(table.c.id == row_id)).scalar_one())


def _put_raw(model, column: str, row_id, value: bytes) -> None:
    table = model.__table__
    db.session.execute(update(table).where(table.c.id == row_id).values({column: value}))


def _security_records(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "diversion.security"]


def test_a_flipped_byte_reads_unreadable_is_logged_and_named_by_verify(app, app_ctx, security_log) -> None:
    canaries = Canaries()
    court, worker = create_staff(canaries)
    case = create_case(canaries, court, worker)
    blob = _raw(Client, "family_name", case.client_id)
    with transaction():
        _put_raw(Client, "family_name", case.client_id, blob[:-5] + bytes([blob[-5] ^ 0x40]) + blob[-4:])
    db.session.expire_all()
    key_provider().clear()

    client = db.session.get(Client, case.client_id)
    assert client.family_name is UNREADABLE
    assert str(client.family_name) == "unreadable"
    assert client.given_name == canaries.values[("Client", "given_name", str(case.client_id))]
    assert find_clients(case.family_name, case.date_of_birth, [MAIN_ORG_ID]) == []
    with pytest.raises(ValueError, match="unreadable marker"):
        client.family_name = client.family_name

    records = _security_records(security_log)
    assert len(records) >= 1
    record = records[0]
    assert record.levelno == logging.WARNING
    assert record.event == "field_unreadable"
    assert (record.table, record.column, record.row_id, record.client_id) == (
        "clients",
        "family_name",
        str(case.client_id),
        str(case.client_id),
    )
    assert case.family_name not in security_log.text

    result = app.test_cli_runner().invoke(args=["keys", "verify"])
    assert result.exit_code == 1
    assert f"unreadable: table=clients column=family_name row={case.client_id}" in result.stderr
    assert "Error: " in result.stderr
    for text in canaries.texts:
        assert text not in result.output


def test_a_value_moved_to_another_case_reads_unreadable(app_ctx, security_log) -> None:
    canaries = Canaries()
    court, worker = create_staff(canaries)
    first, second = create_case(canaries, court, worker), create_case(canaries, court, worker)
    with transaction():
        _put_raw(Referral, "notes", second.referral_id, _raw(Referral, "notes", first.referral_id))
        # Within one case too: her notes moved to another column of the same row.
        _put_raw(Referral, "consent_scope", first.referral_id, _raw(Referral, "notes", first.referral_id))
    db.session.expire_all()
    key_provider().clear()
    moved = db.session.get(Referral, second.referral_id)
    assert moved.notes is UNREADABLE
    assert moved.urn == second.urn
    same_row = db.session.get(Referral, first.referral_id)
    assert same_row.consent_scope is UNREADABLE
    assert same_row.notes == canaries.values[("Referral", "notes", str(first.referral_id))]
    logged = {(record.table, record.column, record.row_id) for record in _security_records(security_log)}
    assert logged == {
        ("referrals", "notes", str(second.referral_id)),
        ("referrals", "consent_scope", str(first.referral_id)),
    }


def test_the_wrong_master_key_reads_nothing_and_verify_fails(committed_app, security_log) -> None:
    committed = committed_app()
    canaries = Canaries()
    with committed.app.app_context():
        court, worker = create_staff(canaries)
        worker_id = worker.id
        case = create_case(canaries, court, worker)
    stranger = committed_app(
        keys=generate_master_key_line("other"), main_url=committed.main_url, keys_url=committed.keys_url
    )
    with stranger.app.app_context():
        client = db.session.get(Client, case.client_id)
        assert client.family_name is UNREADABLE
        assert client.date_of_birth is UNREADABLE
        assert db.session.get(Referral, case.referral_id).urn is UNREADABLE
    assert _security_records(security_log)
    result = stranger.cli("keys", "verify")
    assert result.exit_code == 1
    assert f"data key of client {case.client_id} does not unwrap" in result.stderr
    assert f"table=users column=totp_secret row={worker_id}" in result.stderr
    for text in canaries.texts:
        assert text not in result.output

"""Erasure by crypto-shredding: the erased client is unreadable in a copy of the main database made before the
erasure (the key store was the only place her key lived), has no index values left, and still counts in reports."""

from __future__ import annotations

import logging
import uuid

import pytest
from sqlalchemy import func, select

from diversion.audit.models import AuditEvent
from diversion.clients.models import Client
from diversion.clients.services import find_clients
from diversion.crypto.fields import ERASED, encrypted_fields, is_unreadable
from diversion.extensions import db
from diversion.keyring import keystore
from diversion.referrals.models import Referral
from tests.conftest import dispose_app
from tests.crypto_app.records import Canaries, CaseRecords, create_case, create_staff, encrypted_models
from tests.factories import MAIN_ORG_ID

FREE_TEXT_REASON = "She phoned on Tuesday and asked us to delete everything"


@pytest.fixture
def security_log(caplog):
    caplog.set_level(logging.WARNING, logger="diversion.security")
    return caplog


def _rows_of(client_id: uuid.UUID) -> list[object]:
    """Every row holding an encrypted field of this client."""
    rows: list[object] = []
    for cls in encrypted_models():
        if cls is Client:
            rows.append(db.session.get(Client, client_id))
        elif "client_id" in cls.__table__.columns:
            rows.extend(db.session.scalars(select(cls).where(cls.client_id == client_id)))
    return rows


def _values(row: object) -> dict[str, object]:
    return {name: getattr(row, name) for name in encrypted_fields(type(row))}


def test_erased_client_is_unreadable_in_a_copy_of_the_database(committed_app, caplog) -> None:
    committed = committed_app()
    canaries = Canaries()
    with committed.app.app_context():
        court, worker = create_staff(canaries)
        court_id = court.id
        her: CaseRecords = create_case(canaries, court, worker)
        other: CaseRecords = create_case(canaries, court, worker)
    copy_url = committed.copy_main_database()

    result = committed.cli("clients", "erase", str(her.client_id), "--reason", FREE_TEXT_REASON)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        f"Client {her.client_id} erased: her data key is destroyed and her encrypted fields cannot be read."
    )

    # The copy, made before the erasure, read with the live key store: she is unreadable there too.
    copy = committed_app(main_url=copy_url, keys_url=committed.keys_url)
    with copy.app.app_context():
        client = db.session.get(Client, her.client_id)
        assert client.erased_at is None  # the copy predates the erasure
        rows = _rows_of(her.client_id)
        assert len(rows) >= 8
        for row in rows:
            values = _values(row)
            assert values
            assert all(value is ERASED or value is None for value in values.values()), (type(row), values)
            assert any(value is ERASED for value in values.values())
        assert find_clients(her.family_name, her.date_of_birth, [MAIN_ORG_ID]) == []
        for row in _rows_of(other.client_id):
            assert all(not is_unreadable(value) for value in _values(row).values())
        assert [found.id for found in find_clients(other.family_name, other.date_of_birth, [MAIN_ORG_ID])] == [
            other.client_id
        ]
    dispose_app(copy.app)
    # An erased client reads as "erased", on purpose: not logged as a security event, as tampering would be.
    assert not [record for record in caplog.records if record.name == "diversion.security"]

    # The live database: no index values of hers remain; plain columns stay for reports; the audit has a code only.
    with committed.app.app_context():
        client = db.session.get(Client, her.client_id)
        assert client.erased_at is not None
        assert client.name_dob_index is None
        assert client.birth_year_band == her.date_of_birth.year - her.date_of_birth.year % 5
        referral = db.session.get(Referral, her.referral_id)
        assert referral.urn_index != her.urn_index
        assert len(referral.urn_index) == len(her.urn_index)
        assert (referral.state, referral.court_id, referral.offence_code) == ("COMPLETED", court_id, "SOA1959_S1")
        assert db.session.scalar(select(func.count()).where(Referral.urn_index == her.urn_index)) == 0
        assert db.session.get(Referral, other.referral_id).urn_index == other.urn_index
        assert keystore().get_many([her.client_id, other.client_id]).keys() == {str(other.client_id)}
        assert str(her.client_id) in keystore().shredded_client_ids()
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "client.erased")).one()
        assert event.object_id == str(her.client_id)
        assert event.details == {"reason": "other", "referrals": 1}
        assert find_clients(her.family_name, her.date_of_birth, [MAIN_ORG_ID]) == []
    stored = committed.sqlite_files() if committed.kind == "sqlite" else {"dump": committed.pg_dump(committed.main_url)}
    assert FREE_TEXT_REASON.encode() not in b"".join(stored.values())

    verified = committed.cli("keys", "verify")
    assert verified.exit_code == 0, verified.output
    assert "values of erased clients skipped" in verified.output

    again = committed.cli("clients", "erase", str(her.client_id), "--reason", "erasure_request")
    assert again.exit_code == 1
    assert "This client has already been erased" in again.stderr


def test_erasure_is_refused_while_she_has_an_open_case(committed_app) -> None:
    committed = committed_app()
    canaries = Canaries()
    with committed.app.app_context():
        court, worker = create_staff(canaries)
        her = create_case(canaries, court, worker, state="OPTED_IN")
    result = committed.cli("clients", "erase", str(her.client_id), "--reason", "erasure_request")
    assert result.exit_code == 1
    assert "She has an open case" in result.stderr
    with committed.app.app_context():
        assert db.session.get(Client, her.client_id).erased_at is None
        assert keystore().get_many([her.client_id])
    unknown = committed.cli("clients", "erase", str(uuid.uuid4()), "--reason", "erasure_request")
    assert unknown.exit_code == 1
    assert "No client with that id." in unknown.stderr
    blank = committed.cli("clients", "erase", str(her.client_id), "--reason", "  ")
    assert blank.exit_code == 1


def test_reapply_erasures_after_restoring_either_database(committed_app) -> None:
    committed = committed_app()
    canaries = Canaries()
    with committed.app.app_context():
        court, worker = create_staff(canaries)
        first, second, third = (create_case(canaries, court, worker) for _ in range(3))
        keys_before = {cid: keystore().get_data_key(cid) for cid in (first.client_id, second.client_id)}
    main_backup = committed.copy_main_database()
    for case in (first, second):
        assert committed.cli("clients", "erase", str(case.client_id), "--reason", "retention").exit_code == 0

    # A key store restored from before the erasure of `first`: its key is live again.
    with committed.app.app_context():
        store = keystore()
        with store.engine.begin() as connection:
            connection.execute(
                store.table.update()
                .where(store.table.c.client_id == str(first.client_id))
                .values(
                    wrapped=store_wrapped(store, first.client_id, keys_before[first.client_id]),
                    master_key_id=store.keyring.active.id,
                    destroyed_at=None,
                )
            )
        assert keystore().get_many([first.client_id])
    verified = committed.cli("keys", "verify")
    assert verified.exit_code == 1
    assert f"client {first.client_id} is marked erased but her data key is live" in verified.stderr
    result = committed.cli("keys", "reapply-erasures")
    assert result.exit_code == 0, result.output
    assert "Data keys destroyed again: 1; clients marked erased again: 0." in result.output
    assert committed.cli("keys", "verify").exit_code == 0

    # A main database restored from before both erasures, with the live key store; and a register naming `third`.
    restored = committed_app(main_url=main_backup, keys_url=committed.keys_url)
    register = committed.tmp / "erasures.txt"
    register.write_text(f"# erasure register\n{third.client_id}\n", encoding="utf-8")
    result = restored.cli("keys", "reapply-erasures", "--ids-file", str(register))
    assert result.exit_code == 0, result.output
    assert "Data keys destroyed again: 1; clients marked erased again: 3." in result.output
    with restored.app.app_context():
        for case in (first, second, third):
            client = db.session.get(Client, case.client_id)
            assert client.erased_at is not None
            assert client.name_dob_index is None
            assert db.session.get(Referral, case.referral_id).urn_index != case.urn_index
    assert restored.cli("keys", "verify").exit_code == 0


def store_wrapped(store, client_id: uuid.UUID, key: bytes) -> bytes:
    """The key wrapped again, as a key-store backup from before the erasure would hold it."""
    from diversion.crypto.datakeys import wrap_with_keyring

    return wrap_with_keyring(store.keyring, str(client_id), key)[1]


def test_erase_client_in_a_unit_of_work_that_already_read_her(app_ctx, security_log) -> None:
    from diversion.clients.erasure import erase_client, reason_code

    canaries = Canaries()
    court, worker = create_staff(canaries)
    case = create_case(canaries, court, worker)
    client = db.session.get(Client, case.client_id)
    referral = db.session.get(Referral, case.referral_id)
    assert client.family_name == case.family_name
    assert referral.urn == case.urn
    erase_client(client, "  Retention ", actor=worker)
    # Values this unit of work decrypted before the erasure are not shown after it.
    assert client.family_name is ERASED
    assert referral.urn is ERASED
    assert str(client.family_name) == "erased"
    assert client.is_erased
    assert not any(record.name == "diversion.security" for record in security_log.records)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "client.erased")).one()
    assert (event.details, event.actor_id) == ({"reason": "retention", "referrals": 1}, worker.id)
    assert reason_code("duplicate") == "duplicate"
    assert reason_code("she asked for a duplicate to be removed") == "other"

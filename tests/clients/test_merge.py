"""Merging two records of the same woman (docs/merging.md): every encrypted value she owns reads the same after the
merge, under the kept record's key; the absorbed record's key is destroyed; refusals change nothing."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from diversion.audit.models import AuditEvent
from diversion.clients.merge import merge_clients
from diversion.clients.models import Client
from diversion.clients.services import find_clients
from diversion.crypto.errors import KeyDestroyedError
from diversion.crypto.fields import encrypted_fields, is_unreadable
from diversion.db import transaction
from diversion.drafts import services as drafts
from diversion.errors import DomainError
from diversion.extensions import db
from diversion.idempotency import services as idempotency
from diversion.keyring import key_provider, keystore
from diversion.referrals.models import Referral
from diversion.referrals.readjournment import change_return_date
from tests.factories import MAIN_ORG_ID, create_referral, create_user

BORN = date(1987, 6, 5)


def owned_rows(client_id: uuid.UUID) -> list[Any]:
    """Every row, of every model, with a value encrypted under this client's key (her own record included)."""
    rows = []
    for mapper in db.Model.registry.mappers:
        cls = mapper.class_
        if mapper.inherits is not None:
            continue
        fields = encrypted_fields(cls)
        if not any(spec.purpose == "client" for spec in fields.values()):
            continue
        if cls is Client:
            rows += list(db.session.scalars(select(Client).where(Client.id == client_id)))
        elif "client_id" in mapper.attrs:
            rows += list(db.session.scalars(select(cls).where(mapper.attrs["client_id"].class_attribute == client_id)))
    return rows


def plaintexts(client_id: uuid.UUID) -> dict[tuple[str, str, str], Any]:
    """Every encrypted value under the client's key, decrypted, by (table, row id, field); none is unreadable."""
    values: dict[tuple[str, str, str], Any] = {}
    for row in owned_rows(client_id):
        for name, spec in encrypted_fields(type(row)).items():
            if spec.purpose != "client" or getattr(row, spec.attr) is None:
                continue
            value = getattr(row, name)
            assert not is_unreadable(value), (type(row).__name__, name)
            values[(type(row).__table__.name, str(row.id), name)] = value
    return values


def fill_empty_fields(client_id: uuid.UUID) -> None:
    """A canary in every empty encrypted text field of her rows (not her own record), so every column is covered."""
    with transaction():
        for row in owned_rows(client_id):
            if isinstance(row, Client):
                continue
            for name, spec in encrypted_fields(type(row)).items():
                if spec.purpose == "client" and getattr(row, spec.attr) is None:
                    setattr(row, name, f"canary {type(row).__table__.name}.{name} {uuid.uuid4().hex[:6]}")


def her_records(worker, family: str, *, aliases: str | None = None) -> Client:
    """A woman with a completed case (appointments, assessment, plan, consents) and an open one (re-adjourned, a
    draft typed about her, her reminder settings, a remembered API answer), every encrypted field filled."""
    completed = create_referral(
        state="COMPLETED", worker=worker, family_name=family, date_of_birth=BORN, new_person=True
    )
    client_id = completed.client_id
    open_case = create_referral(worker=worker, family_name=family, date_of_birth=BORN, link_client_id=client_id)
    change_return_date(
        open_case, open_case.return_date + timedelta(days=7), "Re-adjourned", open_case.version, worker, "test"
    )
    drafts.save(worker.id, "withdraw", str(open_case.id), client_id, {"reason": ["typed about her"]})
    claim = idempotency.claim(worker.id, uuid.uuid4().hex, "fingerprint")
    idempotency.complete(
        claim.key_id, status=201, location="/x", body=b'{"answer": "about her"}', referral_id=open_case.id,
        client_id=client_id,
    )  # fmt: skip
    with transaction():
        client = db.session.get(Client, client_id)
        client.address = "1 Canary Row"
        client.aliases = aliases
    fill_empty_fields(client_id)
    return db.session.get(Client, client_id)


def test_every_value_she_owns_reads_the_same_under_the_kept_key_and_the_absorbed_key_is_gone(app_ctx) -> None:
    worker = create_user(role="worker")
    absorbed = her_records(worker, "Mergeperson")
    kept_case = create_referral(worker=worker, family_name="Mergeperson", date_of_birth=BORN, new_person=True)
    kept = kept_case.client
    kept_id, absorbed_id = kept.id, absorbed.id
    before = plaintexts(absorbed_id)
    tables = {table for table, _, _ in before}
    # Every kind of row she can own is really there (her key covers all of these).
    assert {
        "referrals", "appointments", "assessments", "assessment_domains", "care_plans", "care_plan_goals",
        "care_plan_actions", "return_date_changes", "drafts", "idempotency_keys", "clients",
    } <= tables  # fmt: skip
    ciphertexts = {
        key: bytes(getattr(row, encrypted_fields(type(row))[key[2]].attr))
        for row in owned_rows(absorbed_id)
        for key in [(type(row).__table__.name, str(row.id), name) for name in encrypted_fields(type(row))]
        if key in before
    }

    result = merge_clients(kept, absorbed, "Same woman: she told us her earlier name", worker)

    assert result.key_destroyed
    db.session.expire_all()
    key_provider().clear()
    after = plaintexts(kept_id)
    # Every row value she owned is under the kept key now, unchanged; her own record's details joined the kept one.
    for (table, row_id, name), value in before.items():
        if table == "clients":
            continue
        assert after[(table, row_id, name)] == value, (table, name)
    kept = db.session.get(Client, kept_id)
    assert kept.address == "1 Canary Row"
    assert kept.phone == absorbed_phone(before)
    for row in owned_rows(kept_id):
        for name, spec in encrypted_fields(type(row)).items():
            key = (type(row).__table__.name, str(row.id), name)
            if key in ciphertexts:
                assert bytes(getattr(row, spec.attr)) != ciphertexts[key], key  # written again, not copied
    # Nothing is left under the absorbed record, and its key is destroyed, as erasure destroys one.
    assert owned_rows(absorbed_id) == [db.session.get(Client, absorbed_id)]
    gone = db.session.get(Client, absorbed_id)
    assert gone.merged_into_id == kept_id
    assert gone.is_erased
    assert gone.name_dob_index is None
    assert all(getattr(gone, spec.attr) is None for spec in encrypted_fields(Client).values())
    with pytest.raises(KeyDestroyedError):
        keystore().get_data_key(absorbed_id)
    assert str(absorbed_id) in keystore().shredded_client_ids()
    # Found again by her name and date of birth: one record, the kept one, with both her cases and the new one.
    assert [client.id for client in find_clients("mergeperson", BORN, [MAIN_ORG_ID])] == [kept_id]
    cases = db.session.scalars(select(Referral).where(Referral.client_id == kept_id)).all()
    assert len(cases) == 3
    # Audited with ids, counts and a reason code: never her details or the reason's words.
    (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "client.merged")).all()
    assert event.object_id == str(kept_id)
    assert event.details["absorbed"] == str(absorbed_id)
    assert event.details["reason"] == "other"
    assert "earlier name" not in str(event.details)
    assert "Mergeperson" not in str(event.details)


def absorbed_phone(before: dict[tuple[str, str, str], Any]) -> str:
    (phone,) = [value for (table, _, name), value in before.items() if table == "clients" and name == "phone"]
    return phone


def test_the_kept_record_keeps_its_own_details_and_gains_her_other_name_as_an_alias(app_ctx) -> None:
    worker = create_user(role="worker")
    kept = create_referral(worker=worker, given_name="Jo", family_name="Keptname", date_of_birth=BORN).client
    other = create_referral(
        worker=worker, given_name="Joanne", family_name="Oldname", date_of_birth=BORN, phone="07700 100982"
    ).client
    with transaction():
        other.aliases = "JoJo"
    merge_clients(kept, other, "duplicate", worker)
    db.session.expire_all()
    kept = db.session.get(Client, kept.id)
    assert kept.phone == "+447700100123"  # its own phone stands
    assert kept.aliases == "JoJo; Joanne Oldname"


def test_a_verify_after_a_merge_finds_nothing_unreadable(app_ctx) -> None:
    from diversion.keys.services import verify_encryption

    worker = create_user(role="worker")
    absorbed = her_records(worker, "Verifyperson")
    kept = create_referral(worker=worker, family_name="Verifyperson", date_of_birth=BORN, new_person=True).client
    merge_clients(kept, absorbed, "duplicate", worker)
    key_provider().clear()
    report = verify_encryption()
    assert report.failures == []
    assert report.erased_with_live_key == []


def _refused(kept: Client | None, absorbed: Client | None, reason: str, worker) -> DomainError:
    events = db.session.scalar(select(db.func.count()).select_from(AuditEvent))
    with pytest.raises(DomainError) as caught:
        merge_clients(kept, absorbed, reason, worker)  # type: ignore[arg-type]
    assert db.session.scalar(select(db.func.count()).select_from(AuditEvent)) == events
    return caught.value


def test_a_merge_of_a_record_with_itself_an_erased_record_or_without_a_reason_is_refused(app_ctx) -> None:
    from diversion.clients.erasure import erase_client

    worker = create_user(role="worker")
    first = create_referral(worker=worker, family_name="Refusedmerge", date_of_birth=BORN).client
    second_case = create_referral(
        worker=worker, family_name="Refusedmerge", date_of_birth=BORN, new_person=True, state="DECLINED"
    )
    second = second_case.client
    assert "same record" in _refused(first, first, "duplicate", worker).message
    assert set(_refused(first, second, "  ", worker).fields) == {"reason"}
    erase_client(second, "duplicate")
    error = _refused(first, second, "duplicate", worker)
    assert "erased" in error.message
    error = _refused(second, first, "duplicate", worker)
    assert "erased" in error.message
    # Nothing moved: her case is still on the erased record, and the first record's key still reads.
    assert db.session.get(Referral, second_case.id).client_id == second.id
    assert db.session.get(Client, first.id).family_name == "Refusedmerge"

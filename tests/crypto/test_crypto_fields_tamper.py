"""Encrypted fields refuse tampering: a moved, flipped or foreign ciphertext reads as UNREADABLE and is logged."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from diversion.crypto.fields import ERASED, UNREADABLE, is_unreadable
from diversion.crypto.keys import KeyRing, MasterKey
from diversion.crypto.keystore import KeyStore
from diversion.crypto.provider import KeyStoreProvider, key_provider
from tests.crypto.field_models import (
    CLIENTS,
    NOTES,
    TEXT_FIELDS,
    BrokenStore,
    Client,
    Note,
    User,
    assert_unreadable_logged,
    make_client,
    put_raw,
    raw,
)


def test_swapped_between_rows_reads_unreadable(
    engine: Engine,
    ring: KeyRing,
    store: KeyStore,
    provider: KeyStoreProvider,
    new_request: Callable[[], KeyStoreProvider],
    security_log: pytest.LogCaptureFixture,
) -> None:
    first = make_client(engine, provider, family_name="Abbott")
    second = make_client(engine, provider, family_name="Zephyr")
    first_blob = raw(engine, "clients", "family_name", first.hex)
    put_raw(engine, CLIENTS, "family_name", second, first_blob)
    new_request()
    with Session(engine) as session:
        moved = session.get(Client, second)
        assert moved is not None
        assert moved.family_name is UNREADABLE
        original = session.get(Client, first)
        assert original is not None
        assert original.family_name == "Abbott"
    assert_unreadable_logged(security_log, "Abbott", second)


def test_moved_to_another_column_or_client_reads_unreadable(
    engine: Engine,
    ring: KeyRing,
    store: KeyStore,
    provider: KeyStoreProvider,
    new_request: Callable[[], KeyStoreProvider],
    security_log: pytest.LogCaptureFixture,
) -> None:
    first = make_client(engine, provider, family_name="Abbott", given_name="Zoe")
    second = make_client(engine, provider)
    put_raw(engine, CLIENTS, "given_name", first, raw(engine, "clients", "family_name", first.hex))
    note_ids = []
    with Session(engine) as session:
        for owner in (first, second):
            note = Note(id=uuid.uuid4(), client_id=owner)
            note.text = f"note of {owner}"
            session.add(note)
            note_ids.append(note.id)
        session.commit()
    # The second note takes the first note's ciphertext: another row and another client.
    put_raw(engine, NOTES, "text", note_ids[1], raw(engine, "notes", "text", note_ids[0].hex))
    new_request()
    with Session(engine) as session:
        client = session.get(Client, first)
        assert client is not None
        assert client.given_name is UNREADABLE
        assert client.family_name == "Abbott"
        assert session.get(Note, note_ids[0]).text == f"note of {first}"  # type: ignore[union-attr]
        assert session.get(Note, note_ids[1]).text is UNREADABLE  # type: ignore[union-attr]
    assert_unreadable_logged(security_log, "Abbott", first)
    assert_unreadable_logged(security_log, f"note of {first}", note_ids[1])


def test_every_flipped_byte_reads_unreadable(
    engine: Engine, provider: KeyStoreProvider, security_log: pytest.LogCaptureFixture
) -> None:
    client_id = make_client(engine, provider, family_name="Blackwood")
    with Session(engine) as session:
        client = session.get(Client, client_id)
        assert client is not None
        blob = client._family_name  # type: ignore[attr-defined]
        for position in range(len(blob)):
            tampered = bytearray(blob)
            tampered[position] ^= 0x01
            client._family_name = bytes(tampered)  # type: ignore[attr-defined]
            security_log.clear()
            assert client.family_name is UNREADABLE, position
            assert_unreadable_logged(security_log, "Blackwood", client_id)
            assert blob.hex() not in security_log.text
        client._family_name = blob  # type: ignore[attr-defined]
        assert client.family_name == "Blackwood"


def test_wrong_master_key_reads_unreadable(
    engine: Engine, tmp_path: Path, provider: KeyStoreProvider, security_log: pytest.LogCaptureFixture
) -> None:
    client_id = make_client(engine, provider, family_name="Carver")
    with Session(engine) as session:
        user = User(id=7)
        user.totp_secret = "JBSWY3DPEHPK3PXP"
        session.add(user)
        session.commit()
    impostor_ring = KeyRing([MasterKey("k2", secrets.token_bytes(32)), MasterKey("k1", secrets.token_bytes(32))])
    impostor_store = KeyStore(f"sqlite:///{tmp_path / 'keystore.db'}", impostor_ring)
    try:
        with key_provider(KeyStoreProvider(impostor_ring, impostor_store)), Session(engine) as session:
            assert session.get(Client, client_id).family_name is UNREADABLE  # type: ignore[union-attr]
            assert session.get(User, 7).totp_secret is UNREADABLE  # type: ignore[union-attr]
    finally:
        impostor_store.close()
    assert_unreadable_logged(security_log, "Carver", client_id)
    assert "JBSWY3DPEHPK3PXP" not in security_log.text


def test_shredded_client_reads_erased(
    engine: Engine,
    ring: KeyRing,
    store: KeyStore,
    provider: KeyStoreProvider,
    new_request: Callable[[], KeyStoreProvider],
    security_log: pytest.LogCaptureFixture,
) -> None:
    client_id = make_client(engine, provider, **TEXT_FIELDS)
    store.destroy(client_id)
    new_request()
    with Session(engine) as session:
        client = session.get(Client, client_id)
        assert client is not None
        assert all(getattr(client, name) is ERASED for name in TEXT_FIELDS)
        assert all(is_unreadable(getattr(client, name)) for name in TEXT_FIELDS)
    # Erased on purpose, not tampered with: nothing for the security log.
    assert "destroyed" not in security_log.text


def test_key_store_outage_reads_unreadable_and_blocks_writes(
    engine: Engine, provider: KeyStoreProvider, security_log: pytest.LogCaptureFixture
) -> None:
    client_id = make_client(engine, provider, family_name="Dunmore", date_of_birth=date(1999, 9, 9))
    with key_provider(BrokenStore()), Session(engine) as session:
        client = session.get(Client, client_id)
        assert client is not None
        assert client.family_name is UNREADABLE
        assert client.date_of_birth is UNREADABLE
        with pytest.raises(RuntimeError):
            client.family_name = "New"
    assert "RuntimeError" in security_log.text
    assert "10.0.0.5" not in security_log.text
    assert_unreadable_logged(security_log, "Dunmore", client_id)

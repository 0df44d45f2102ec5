"""The encrypted-field descriptor on a tiny plain-SQLAlchemy model: writing, reading, caching, key providers."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import LargeBinary, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from diversion.crypto.aead import FieldCipher
from diversion.crypto.errors import EncryptionError, KeyConfigurationError
from diversion.crypto.fields import UNREADABLE, encrypted_fields, is_unreadable, read_fields, stored_key_id
from diversion.crypto.keys import KeyRing
from diversion.crypto.keystore import KeyStore
from diversion.crypto.provider import (
    DATA_KEY_ID,
    KeyStoreProvider,
    bind_key_provider,
    current_key_provider,
    key_provider,
    reset_key_provider,
)
from diversion.crypto.rotation import reencrypt_fields
from tests.crypto.field_models import CLIENTS, TEXT_FIELDS, Base, Client, Note, Referral, User, make_client, raw


def test_single_declaration_maps_a_binary_column() -> None:
    assert "family_name" in Client.__table__.c
    assert isinstance(Client.__table__.c.family_name.type, LargeBinary)
    assert Client.__table__.c.family_name.nullable
    assert "text" in Note.__table__.c
    assert set(encrypted_fields(Client)) == {*TEXT_FIELDS, "date_of_birth"}


def test_write_and_read_back(
    engine: Engine,
    ring: KeyRing,
    store: KeyStore,
    provider: KeyStoreProvider,
    new_request: Callable[[], KeyStoreProvider],
) -> None:
    client_id = make_client(engine, provider, date_of_birth=date(1990, 1, 2), **TEXT_FIELDS)
    new_request()
    with Session(engine) as session:
        client = session.get(Client, client_id)
        assert client is not None
        for name, value in TEXT_FIELDS.items():
            assert getattr(client, name) == value
        assert client.date_of_birth == date(1990, 1, 2)
        assert type(client.date_of_birth) is date
    for name, value in TEXT_FIELDS.items():
        stored = raw(engine, "clients", name, client_id.hex)
        assert stored is not None
        assert value.encode() not in stored
        assert stored[2:4] == DATA_KEY_ID.encode()


def test_null_and_overwrite(engine: Engine, provider: KeyStoreProvider) -> None:
    client_id = make_client(engine, provider, family_name="Smith")
    with Session(engine) as session:
        client = session.get(Client, client_id)
        assert client is not None
        assert client.given_name is None
        client.family_name = None
        assert client.family_name is None
        client.given_name = "Ann"
        session.commit()
        assert client.given_name == "Ann"
    assert raw(engine, "clients", "family_name", client_id.hex) is None


def test_date_kind_refuses_other_types(engine: Engine, provider: KeyStoreProvider) -> None:
    client = Client()
    provider.new_client_key(client.id)
    with pytest.raises(TypeError):
        client.date_of_birth = datetime(1990, 1, 2, 3, 4)  # type: ignore[assignment]
    with pytest.raises(TypeError):
        client.date_of_birth = "1990-01-02"  # type: ignore[assignment]
    with pytest.raises(TypeError):
        client.family_name = 42  # type: ignore[assignment]


def test_missing_ids_are_clear_errors(provider: KeyStoreProvider) -> None:
    note = Note()
    with pytest.raises(EncryptionError, match="needs id"):
        note.text = "hello"
    note.id = uuid.uuid4()
    with pytest.raises(EncryptionError, match="needs client_id"):
        note.text = "hello"
    note.client_id = uuid.uuid4()
    with pytest.raises(EncryptionError, match="No key"):
        note.text = "hello"  # the client has no data key yet


def test_no_provider_is_a_wiring_error() -> None:
    client = Client()
    with pytest.raises(KeyConfigurationError):
        client.family_name = "x"
    with pytest.raises(KeyConfigurationError):
        current_key_provider()


def test_unreadable_marker_is_refused_on_write(provider: KeyStoreProvider) -> None:
    client = Client()
    provider.new_client_key(client.id)
    with pytest.raises(ValueError):
        client.family_name = UNREADABLE
    assert str(UNREADABLE) == "unreadable"
    assert repr(UNREADABLE) == "UNREADABLE"
    assert is_unreadable(UNREADABLE)
    assert not is_unreadable("unreadable")


def test_data_key_read_once_per_request_and_values_once_per_instance(
    engine: Engine,
    ring: KeyRing,
    store: KeyStore,
    provider: KeyStoreProvider,
    new_request: Callable[[], KeyStoreProvider],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client_id = make_client(engine, provider, date_of_birth=date(1980, 3, 4), **TEXT_FIELDS)
    request = new_request()
    store_reads: list[object] = []
    real_unwrap_texts = store.unwrap_texts  # every key-store read of unwrapped keys goes through it
    monkeypatch.setattr(store, "unwrap_texts", lambda ids: store_reads.append(ids) or real_unwrap_texts(ids))
    decryptions: list[object] = []
    real_decrypt, real_decrypt_placed = FieldCipher.decrypt, FieldCipher.decrypt_placed
    monkeypatch.setattr(FieldCipher, "decrypt", lambda *a: decryptions.append(a) or real_decrypt(*a))
    monkeypatch.setattr(FieldCipher, "decrypt_placed", lambda *a: decryptions.append(a) or real_decrypt_placed(*a))
    with Session(engine) as session:
        client = session.get(Client, client_id)
        assert client is not None
        for _ in range(3):
            for name in [*TEXT_FIELDS, "date_of_birth"]:
                assert getattr(client, name) is not None
    assert len(store_reads) == 1
    assert request.cache.store_reads == 1
    assert len(decryptions) == 10
    # The next request starts with an empty cache.
    next_request = new_request()
    with Session(engine) as session:
        assert session.get(Client, client_id).phone == TEXT_FIELDS["phone"]  # type: ignore[union-attr]
    assert len(store_reads) == 2
    assert next_request.cache.store_reads == 1


def test_a_held_cipher_goes_with_the_key_it_was_built_for(
    engine: Engine, store: KeyStore, new_request: Callable[[], KeyStoreProvider]
) -> None:
    first = make_client(engine, new_request(), family_name="First")
    second = make_client(engine, new_request(), family_name="Second")
    request = new_request()
    request.prefetch([first, second])
    text = str(first)
    cipher = request.held_client_cipher(text)
    assert cipher is not None
    assert request.held_client_cipher(text) is cipher  # built once for the request
    assert request.held_client_cipher(str(second)) not in (None, cipher)  # one per client
    request.cache.forget(first)  # as erasure does after destroying her key
    assert request.held_client_cipher(text) is None
    request.prefetch([first])  # read again: held again
    assert request.held_client_cipher(text) is not None
    request.clear()
    assert request.held_client_cipher(text) is None


def test_read_fields_decrypts_each_field_of_each_record_once(
    engine: Engine, new_request: Callable[[], KeyStoreProvider], monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [make_client(engine, new_request(), family_name=f"Family{n}", phone=f"0700 900 00{n}") for n in range(3)]
    request = new_request()
    decryptions: list[object] = []
    real_decrypt_placed = FieldCipher.decrypt_placed
    monkeypatch.setattr(FieldCipher, "decrypt_placed", lambda *a: decryptions.append(a) or real_decrypt_placed(*a))
    with Session(engine) as session:
        clients = [session.get(Client, client_id) for client_id in ids]
        request.prefetch(ids)
        read_fields(clients, "family_name", "phone")
        assert len(decryptions) == 6
        assert [(c.family_name, c.phone) for c in clients if c] == [(f"Family{n}", f"0700 900 00{n}") for n in range(3)]
        assert len(decryptions) == 6  # the page's later reads are the values already decrypted


def test_cache_follows_the_ciphertext(engine: Engine, provider: KeyStoreProvider) -> None:
    client_id = make_client(engine, provider, family_name="First")
    with Session(engine) as session:
        client = session.get(Client, client_id)
        assert client is not None
        assert client.family_name == "First"
        # A valid ciphertext for the same place, written past this instance, as another request would.
        blob = Client(id=client_id, family_name="Second")._family_name  # type: ignore[attr-defined]
        session.execute(update(CLIENTS).where(CLIENTS.c.id == client_id).values(family_name=blob))
        session.refresh(client)
        assert client.family_name == "Second"


def test_user_fields_use_master_key_ids_and_rotate(
    engine: Engine, tmp_path: Path, ring: KeyRing, store: KeyStore, provider: KeyStoreProvider
) -> None:
    old_only = KeyRing([ring.get("k1")])
    with key_provider(KeyStoreProvider(old_only, store)), Session(engine) as session:
        user = User(id=1)
        user.totp_secret = "JBSWY3DPEHPK3PXP"
        session.add(user)
        session.commit()
        assert stored_key_id(user, "totp_secret") == "k1"
    with Session(engine) as session:
        user = session.get(User, 1)
        assert user is not None
        assert user.totp_secret == "JBSWY3DPEHPK3PXP"
        assert reencrypt_fields([user], ["totp_secret"]) == 1
        session.commit()
        assert stored_key_id(user, "totp_secret") == "k2"
    new_only = KeyRing([ring.get("k2")])
    with key_provider(KeyStoreProvider(new_only, store)), Session(engine) as session:
        assert session.get(User, 1).totp_secret == "JBSWY3DPEHPK3PXP"  # type: ignore[union-attr]


def test_provider_binding_is_per_context(ring: KeyRing, store: KeyStore) -> None:
    token = bind_key_provider(KeyStoreProvider(ring, store))
    seen: list[str] = []

    def other_thread() -> None:
        try:
            current_key_provider()
            seen.append("bound")
        except KeyConfigurationError:
            seen.append("unbound")

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert seen == ["unbound"]
    reset_key_provider(token)
    with pytest.raises(KeyConfigurationError):
        current_key_provider()


def test_client_fields_refuse_other_key_ids(ring: KeyRing, store: KeyStore) -> None:
    provider = KeyStoreProvider(ring, store)
    client_id = str(uuid.uuid4())
    key = provider.new_client_key(client_id)
    assert provider.key_for_client(client_id) == (DATA_KEY_ID, key)
    assert provider.client_key(client_id, DATA_KEY_ID) == key
    with pytest.raises(Exception, match="not the data key"):
        provider.client_key(client_id, "k2")


def test_deferred_column_loads_on_first_read(engine: Engine, provider: KeyStoreProvider) -> None:
    Base.metadata.create_all(engine)
    client_id = make_client(engine, provider)
    referral_id = uuid.uuid4()
    with Session(engine) as session:
        referral = Referral(id=referral_id, client_id=client_id)
        referral.notes = "Referred by the duty solicitor."
        session.add(referral)
        session.commit()
    with Session(engine) as session:
        loaded = session.get(Referral, referral_id)
        assert loaded is not None
        assert "_notes" not in loaded.__dict__
        assert loaded.notes == "Referred by the duty solicitor."

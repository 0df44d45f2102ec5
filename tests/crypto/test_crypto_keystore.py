"""The key store, on SQLite and PostgreSQL: data keys created, read, destroyed, swept and verified."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, make_url, select, update
from sqlalchemy.pool import NullPool

from diversion.crypto.errors import DecryptionError, KeyConfigurationError, KeyStoreError
from diversion.crypto.keys import KeyRing, MasterKey
from diversion.crypto.keystore import KeyStore, RequestKeyCache, data_keys


def new_ids(count: int) -> list[str]:
    """Fresh client ids, as the app makes them."""
    return [str(uuid.uuid4()) for _ in range(count)]


def raw_row(store: KeyStore, client_id: str) -> Any:
    """The stored row of one client, read past the key store's API."""
    with store.engine.connect() as conn:
        return conn.execute(select(data_keys).where(data_keys.c.client_id == client_id)).one_or_none()


class QueryCounter:
    """Counts SELECT statements sent through an engine."""

    def __init__(self, store: KeyStore) -> None:
        self.selects = 0
        event.listen(store.engine, "before_cursor_execute", self._count)

    def _count(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            self.selects += 1


def test_create_and_get(keystore: KeyStore, keystore_url: str, keyring: KeyRing) -> None:
    client_id = uuid.uuid4()
    key = keystore.create_data_key(client_id)
    assert len(key) == 32
    assert keystore.get_data_key(client_id) == key
    assert keystore.get_data_key(str(client_id)) == key
    row = raw_row(keystore, str(client_id))
    assert row.master_key_id == "k1"
    assert key not in row.wrapped
    assert row.created_at is not None
    assert row.destroyed_at is None
    # Committed at once, in its own transaction: another engine on the same database sees it.
    other = KeyStore(keystore_url, keyring)
    try:
        assert other.get_data_key(client_id) == key
    finally:
        other.close()


def test_duplicate_and_missing(keystore: KeyStore) -> None:
    client_id = str(uuid.uuid4())
    keystore.create_data_key(client_id)
    with pytest.raises(KeyStoreError):
        keystore.create_data_key(client_id)
    with pytest.raises(DecryptionError, match="no data key"):
        keystore.get_data_key(str(uuid.uuid4()))


def test_destroy_removes_key_material(keystore: KeyStore) -> None:
    doomed, kept = new_ids(2)
    keystore.create_data_key(doomed)
    kept_key = keystore.create_data_key(kept)
    keystore.destroy(doomed)
    with pytest.raises(DecryptionError, match="destroyed"):
        keystore.get_data_key(doomed)
    row = raw_row(keystore, doomed)
    assert bytes(row.wrapped) == b""
    assert row.destroyed_at is not None
    assert keystore.get_data_key(kept) == kept_key
    assert keystore.shredded_client_ids() == [doomed]
    # Destroying twice keeps the first date.
    keystore.destroy(doomed)
    assert raw_row(keystore, doomed).destroyed_at == row.destroyed_at


def test_destroy_leaves_no_trace_in_sqlite_files(tmp_path: Path, keyring: KeyRing) -> None:
    store = KeyStore(f"sqlite:///{tmp_path / 'ks.db'}", keyring)
    store.ensure_schema()
    try:
        ids = new_ids(50)
        store.create_data_keys(ids)
        wrapped = bytes(raw_row(store, ids[7]).wrapped)
        store.destroy(ids[7])
        files = [path for path in tmp_path.iterdir() if path.name.startswith("ks.db")]
        assert files
        for path in files:
            assert wrapped not in path.read_bytes(), path.name
        assert store.get_data_key(ids[8])
    finally:
        store.close()


def test_sqlite_pragmas(tmp_path: Path, keyring: KeyRing) -> None:
    store = KeyStore(f"sqlite:///{tmp_path / 'ks.db'}", keyring)
    try:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
            assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    finally:
        store.close()


def test_destroy_unknown_client_leaves_tombstone(keystore: KeyStore) -> None:
    client_id = str(uuid.uuid4())
    keystore.destroy(client_id)
    assert keystore.shredded_client_ids() == [client_id]
    with pytest.raises(DecryptionError):
        keystore.get_data_key(client_id)
    with pytest.raises(KeyStoreError):
        keystore.create_data_key(client_id)


def test_shredded_list_reapplied_after_restore(keystore: KeyStore, keystore_url: str, keyring: KeyRing) -> None:
    ids = new_ids(5)
    keystore.create_data_keys(ids)
    backup = {cid: raw_row(keystore, cid) for cid in ids}
    keystore.destroy(ids[0])
    keystore.destroy(ids[3])
    shredded = keystore.shredded_client_ids()
    # Simulate restoring an older backup of the key store, taken before the erasures.
    with keystore.engine.begin() as conn:
        for cid in shredded:
            conn.execute(
                update(data_keys)
                .where(data_keys.c.client_id == cid)
                .values(wrapped=backup[cid].wrapped, destroyed_at=None)
            )
    assert keystore.get_data_key(ids[0])
    assert keystore.apply_shredded(shredded) == 2
    assert sorted(keystore.get_many(ids)) == sorted([ids[1], ids[2], ids[4]])


def test_get_many_is_one_query(keystore: KeyStore) -> None:
    ids = new_ids(60)
    keys = keystore.create_data_keys(ids)
    keystore.destroy(ids[0])
    missing = str(uuid.uuid4())
    counter = QueryCounter(keystore)
    found = keystore.get_many([*ids, missing])
    assert counter.selects == 1
    assert found == {cid: keys[cid] for cid in ids[1:]}
    results = keystore.unwrap_many([ids[0], missing])
    assert isinstance(results[ids[0]], DecryptionError)
    assert isinstance(results[missing], DecryptionError)


def test_get_many_splits_huge_lists(keystore: KeyStore) -> None:
    ids = new_ids(1200)
    keys = keystore.create_data_keys(ids)
    assert keystore.get_many(ids) == keys


def test_swapped_or_relabelled_wrapped_keys_fail(keystore: KeyStore) -> None:
    first, second = new_ids(2)
    keystore.create_data_keys([first, second])
    with keystore.engine.begin() as conn:
        conn.execute(
            update(data_keys).where(data_keys.c.client_id == first).values(wrapped=raw_row(keystore, second).wrapped)
        )
    with pytest.raises(DecryptionError, match="authentication"):
        keystore.get_data_key(first)
    assert list(keystore.verify_all()) == [(first, f"The data key of client {first} failed authentication.")]


def test_wrong_master_key_material_fails(keystore: KeyStore, keystore_url: str) -> None:
    client_id = str(uuid.uuid4())
    keystore.create_data_key(client_id)
    impostor = KeyStore(keystore_url, KeyRing([MasterKey("k1", secrets.token_bytes(32))]))
    try:
        with pytest.raises(DecryptionError):
            impostor.get_data_key(client_id)
        assert [cid for cid, _reason in impostor.verify_all()] == [client_id]
    finally:
        impostor.close()


def test_verify_all_pages_through_everything(keystore: KeyStore) -> None:
    ids = new_ids(30)
    keystore.create_data_keys(ids)
    assert list(keystore.verify_all(batch_size=7)) == []
    broken = sorted(ids)[11]
    with keystore.engine.begin() as conn:
        conn.execute(update(data_keys).where(data_keys.c.client_id == broken).values(wrapped=b"\x01" + b"\x00" * 60))
    assert [cid for cid, _ in keystore.verify_all(batch_size=7)] == [broken]


def _age(store: KeyStore, client_ids: list[str], days: int) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            update(data_keys)
            .where(data_keys.c.client_id.in_(client_ids))
            .values(created_at=datetime.now(UTC) - timedelta(days=days))
        )


def test_sweep_orphans(keystore: KeyStore) -> None:
    known, orphans, young, shredded = new_ids(3), new_ids(4), new_ids(2), new_ids(1)
    keystore.create_data_keys(known + orphans + young + shredded)
    _age(keystore, known + orphans + shredded, days=3)
    keystore.destroy(shredded[0])
    assert keystore.sweep_orphans(set(known), older_than=timedelta(days=1)) == 4
    assert sorted(keystore.get_many(known + orphans + young)) == sorted(known + young)
    assert keystore.shredded_client_ids() == shredded
    assert keystore.sweep_orphans(set(known), older_than=timedelta(days=1)) == 0


def test_sweep_orphans_with_a_lookup_function(keystore: KeyStore) -> None:
    known, orphans = new_ids(600), new_ids(3)
    keystore.create_data_keys(known + orphans)
    _age(keystore, known + orphans, days=2)
    pages: list[int] = []

    def exists(page: Any) -> set[str]:
        pages.append(len(page))
        return {cid for cid in page if cid in set(known)}

    assert keystore.sweep_orphans(exists) == 3
    assert len(pages) == 2
    assert len(keystore.get_many(known)) == 600


def test_sweep_refuses_when_it_looks_like_the_wrong_database(keystore: KeyStore) -> None:
    ids = new_ids(20)
    keystore.create_data_keys(ids)
    _age(keystore, ids, days=2)
    with pytest.raises(KeyStoreError, match="refusing"):
        keystore.sweep_orphans(set(), max_orphans=10)
    assert len(keystore.get_many(ids)) == 20


def test_request_cache_reads_each_key_once(keystore: KeyStore) -> None:
    ids = new_ids(10)
    keys = keystore.create_data_keys(ids)
    keystore.destroy(ids[9])
    cache = RequestKeyCache(keystore)
    counter = QueryCounter(keystore)
    cache.prefetch(ids)
    for _ in range(3):
        for cid in ids[:9]:
            assert cache.get(cid) == keys[cid]
        with pytest.raises(DecryptionError):
            cache.get(ids[9])
    assert counter.selects == 1
    assert cache.store_reads == 1
    cache.clear()
    cache.get(ids[0])
    assert counter.selects == 2
    newcomer = uuid.uuid4()
    created = cache.create(newcomer)
    assert cache.get(newcomer) == created == keystore.get_data_key(newcomer)
    assert counter.selects == 3


def test_create_many_in_one_transaction_is_all_or_nothing(keystore: KeyStore) -> None:
    existing = str(uuid.uuid4())
    keystore.create_data_key(existing)
    batch = new_ids(5)
    with pytest.raises(KeyStoreError):
        keystore.create_data_keys([*batch, existing])
    assert keystore.get_many(batch) == {}


def test_client_ids_are_checked(keystore: KeyStore) -> None:
    with pytest.raises(ValueError):
        keystore.create_data_key("")
    with pytest.raises(ValueError):
        keystore.create_data_key("x" * 37)


def test_unsupported_parameter_style_is_refused(keyring: KeyRing) -> None:
    with pytest.raises(KeyConfigurationError, match="qmark or format"):
        KeyStore("sqlite://", keyring, paramstyle="named")


def _kill_connections(url: str) -> int:
    """End every server connection to the database at ``url`` except the killer's own: a server restart, as the pool
    sees it."""
    database = make_url(url).database
    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as conn:
            return len(
                conn.exec_driver_sql(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    (database,),
                ).all()
            )
    finally:
        admin.dispose()


def test_a_key_store_restart_does_not_fail_the_next_read(
    postgres_database_url: str, keyring: KeyRing, monkeypatch
) -> None:
    """Pooled connections to a restarted key-store server are dead. A busy one (used a moment ago, so not tested
    before use) fails its read, which is tried again on a fresh connection; an idle one is tested before use and
    replaced. Either way the page's keys are read."""
    from diversion.crypto import keystore as keystore_module

    store = KeyStore(postgres_database_url, keyring)
    reads: list[int] = []
    real_select = store._select_keys
    store._select_keys = lambda conn, ids: reads.append(1) or real_select(conn, ids)  # type: ignore[method-assign]
    try:
        store.ensure_schema()
        client = str(uuid.uuid4())
        key = store.create_data_key(client)
        assert store.unwrap_many([client])[client] == key  # the pool now holds a connection, just used
        assert _kill_connections(postgres_database_url) >= 1
        reads.clear()
        assert store.unwrap_many([client])[client] == key  # busy: not tested, so its read fails and is tried again
        assert len(reads) == 2
        monkeypatch.setattr(keystore_module, "IDLE_PING_SECONDS", 0.0)
        assert _kill_connections(postgres_database_url) >= 1
        reads.clear()
        assert store.unwrap_many([client])[client] == key  # idle: tested before use and replaced, read once
        assert len(reads) == 1
    finally:
        store.close()

"""Master-key rotation (interrupted and resumed, on SQLite and PostgreSQL) and blind-index rebuilds."""

from __future__ import annotations

import secrets
import uuid
from datetime import date

import pytest
from sqlalchemy import update

from diversion.crypto.blind import name_dob_index
from diversion.crypto.errors import KeyConfigurationError
from diversion.crypto.fields import UNREADABLE
from diversion.crypto.keys import KeyRing, MasterKey
from diversion.crypto.keystore import KeyStore, data_keys
from diversion.crypto.rotation import rebuild_blind_indexes, rotate_data_keys


class Interrupted(Exception):
    """Stands for the operator's Ctrl-C or a crashed process."""


def test_rotation_interrupted_resumed_then_old_key_removed(keystore_url: str) -> None:
    old = MasterKey("k1", secrets.token_bytes(32))
    new = MasterKey("k2", secrets.token_bytes(32))
    before = KeyStore(keystore_url, KeyRing([old]))
    before.ensure_schema()
    ids = [str(uuid.uuid4()) for _ in range(3000)]
    keys = before.create_data_keys(ids)
    shredded = ids[:5]
    for cid in shredded:
        before.destroy(cid)
    before.close()

    store = KeyStore(keystore_url, KeyRing([new, old]))
    try:
        assert store.count_pending_rotation() == 2995
        reports: list[tuple[int, int]] = []

        def stop_after_three_batches(done: int, total: int) -> None:
            reports.append((done, total))
            if len(reports) == 4:
                raise Interrupted

        with pytest.raises(Interrupted):
            rotate_data_keys(store, batch_size=400, progress=stop_after_three_batches)
        assert reports == [(0, 2995), (400, 2995), (800, 2995), (1200, 2995)]
        assert store.count_pending_rotation() == 2995 - 1200
        # A second operator runs a couple of batches by hand, then stops too.
        assert store.rewrap_batch(300) == 300
        assert store.rewrap_batch(300) == 300
        assert store.counts_by_master_key() == {"k2": 1800, "k1": 1195}

        resumed: list[tuple[int, int]] = []
        result = rotate_data_keys(store, batch_size=500, progress=lambda done, total: resumed.append((done, total)))
        assert result.rewrapped == 1195
        assert result.failed == {}
        assert result.pending == 0
        assert resumed[0] == (0, 1195)
        assert resumed[-1] == (1195, 1195)
        assert store.count_pending_rotation() == 0
        assert rotate_data_keys(store).rewrapped == 0
    finally:
        store.close()

    after = KeyStore(keystore_url, KeyRing([new]))
    try:
        assert list(after.verify_all()) == []
        live = ids[5:]
        assert after.get_many(live) == {cid: keys[cid] for cid in live}
        # Rotation never brought a destroyed key back.
        assert after.get_many(shredded) == {}
        assert after.shredded_client_ids() == sorted(shredded)
    finally:
        after.close()


def test_rotation_skips_and_reports_broken_keys(keystore_url: str) -> None:
    old = MasterKey("k1", secrets.token_bytes(32))
    new = MasterKey("k2", secrets.token_bytes(32))
    store = KeyStore(keystore_url, KeyRing([old]))
    store.ensure_schema()
    ids = sorted(str(uuid.uuid4()) for _ in range(25))
    store.create_data_keys(ids)
    broken = ids[3]
    with store.engine.begin() as conn:
        conn.execute(update(data_keys).where(data_keys.c.client_id == broken).values(wrapped=b"\x01" + b"\x00" * 60))
    store.close()
    store = KeyStore(keystore_url, KeyRing([new, old]))
    try:
        result = rotate_data_keys(store, batch_size=10)
        assert result.rewrapped == 24
        assert list(result.failed) == [broken]
        assert "authentication" in result.failed[broken]
        assert result.pending == 1
    finally:
        store.close()


def test_rotation_refuses_to_start_without_the_old_key(keystore_url: str) -> None:
    old = MasterKey("k1", secrets.token_bytes(32))
    store = KeyStore(keystore_url, KeyRing([old]))
    store.ensure_schema()
    store.create_data_keys([str(uuid.uuid4()) for _ in range(3)])
    store.close()
    store = KeyStore(keystore_url, KeyRing([MasterKey("k2", secrets.token_bytes(32))]))
    try:
        with pytest.raises(KeyConfigurationError, match="k1"):
            rotate_data_keys(store)
        assert store.count_pending_rotation() == 3
    finally:
        store.close()


def test_rewrap_batch_validates_size(keystore: KeyStore) -> None:
    with pytest.raises(ValueError):
        keystore.rewrap_batch(0)


def test_rebuild_blind_indexes_in_batches() -> None:
    new_key = secrets.token_bytes(32)
    rows = [
        (1, ["O'Brien", "1990-01-02"]),
        (2, ["Smith", "1985-05-06"]),
        (3, [None, "1985-05-06"]),
        (4, [UNREADABLE, "1970-01-01"]),
        (5, ["Jones", "not a date"]),
        (6, ["Ng", "2001-12-31"]),
    ]
    stored: list[list[tuple[int, bytes | None]]] = []
    progress: list[int] = []
    result = rebuild_blind_indexes(
        rows,
        lambda parts: name_dob_index(new_key, parts[0], parts[1], bits=12),
        lambda batch: stored.append(batch),
        batch_size=4,
        progress=progress.append,
    )
    assert result.rebuilt == 3
    assert result.skipped == 3
    assert [len(batch) for batch in stored] == [4, 2]
    assert progress == [4, 6]
    values = dict(pair for batch in stored for pair in batch)
    assert values[1] == name_dob_index(new_key, "o brien", date(1990, 1, 2), bits=12)
    assert values[3] is None
    assert values[4] is None
    assert values[5] is None
    assert values[6] == name_dob_index(new_key, "NG", "2001-12-31", bits=12)

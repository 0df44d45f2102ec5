"""``keys.rotate_vs_update``: ``keys rotate`` (rewrap every data key under a new master key: read, unwrap, wrap,
write, in committed batches) over 100k clients' keys, against a plain UPDATE of the same rows in the same key store.
SQLite key store, as by default.

The baseline is the plaintext limit of rewriting every key row: the same work as the rotation without the crypto.
In batches of the rotation's size, each its own transaction as in ``rewrap_batch``, it selects the next rows not yet
under the target master key id (the rotation's own selection: key id, wrapped bytes, ordered by client id) and
writes each of them a new value with an executemany of per-row UPDATEs by primary key (the master key id, fresh
random bytes of the wrapped key's length, the time). A single set-based ``UPDATE ... SET wrapped = randomblob(...)``
would be no fair limit: it writes no value computed per row outside the database, which no rotation can avoid.

Rounds alternate: rotate to key B, UPDATE, rotate back to key A, UPDATE; the figure is the median over rounds of
(rotate time / UPDATE time). The rotation runs through the command (``flask keys rotate``, in process).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def _app(folder: Path, keys: str, name: str) -> Any:
    from tests.conftest import build_app, make_environ

    instance = folder / name
    instance.mkdir(exist_ok=True)
    return build_app(make_environ(f"sqlite:///{folder / 'main.db'}", f"sqlite:///{folder / 'keys.db'}", keys, instance))


def _plain_update(engine: Any, master_key_id: str) -> int:
    """Every live key row given a new value, batch by batch as the rotation does, without the crypto."""
    import sqlalchemy as sa

    from diversion.keys.services import DEFAULT_BATCH

    select_batch = sa.text(
        "SELECT client_id, wrapped FROM data_keys WHERE destroyed_at IS NULL AND master_key_id != :id "
        "ORDER BY client_id LIMIT :limit"
    )
    update_row = sa.text(
        "UPDATE data_keys SET master_key_id = :id, wrapped = :wrapped, rotated_at = :now WHERE client_id = :cid"
    )
    updated = 0
    while True:
        with engine.begin() as conn:
            rows = conn.execute(select_batch, {"id": master_key_id, "limit": DEFAULT_BATCH}).all()
            if not rows:
                return updated
            now = datetime.now(UTC)
            changes = [
                {"id": master_key_id, "wrapped": os.urandom(len(row.wrapped)), "now": now, "cid": row.client_id}
                for row in rows
            ]
            updated += conn.execute(update_row, changes).rowcount


def run(quick: bool) -> list[dict[str, Any]]:
    """One result: keys.rotate_vs_update."""
    import sqlalchemy as sa

    from diversion.crypto.keys import generate_master_key_line
    from diversion.keyring import KEYSTORE_EXTENSION
    from tests.conftest import dispose_app

    clients, rounds = (10_000, 2) if quick else (100_000, 3)
    first, second = generate_master_key_line("benchA"), generate_master_key_line("benchB")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        seed = _app(folder, first, "seed")
        from flask_migrate import upgrade

        with seed.app_context():
            upgrade()  # the command also rewrites user secrets and blind indexes in the main database
        store = seed.extensions[KEYSTORE_EXTENSION]
        ids = [uuid.uuid4() for _ in range(clients)]
        for start in range(0, clients, 5000):
            store.create_data_keys(ids[start : start + 5000])
        dispose_app(seed)
        apps = {"B": _app(folder, f"{second},{first}", "to-b"), "A": _app(folder, f"{first},{second}", "to-a")}
        active = {"B": "benchB", "A": "benchA"}
        ratios, rotate_s, update_s = [], [], []
        for index in range(rounds * 2):
            target = "B" if index % 2 == 0 else "A"
            app = apps[target]
            started = time.perf_counter()
            result = app.test_cli_runner().invoke(args=["keys", "rotate"])
            rotated = time.perf_counter() - started
            done = app.extensions[KEYSTORE_EXTENSION].counts_by_master_key()
            if result.exit_code != 0 or done != {active[target]: clients}:
                raise RuntimeError(f"keys rotate did not rewrap every key: {done} (exit {result.exit_code})")
            engine = app.extensions[KEYSTORE_EXTENSION].engine
            started = time.perf_counter()
            updated = _plain_update(engine, f"plain{target}")  # every row is under active[target] now
            plain = time.perf_counter() - started
            if updated != clients:
                raise RuntimeError(f"the UPDATE touched {updated} rows, not {clients}")
            # The UPDATE left garbage: put real wrapped keys back for the next rotation (not timed).
            with engine.begin() as conn:
                conn.execute(sa.text("DELETE FROM data_keys"))
            # Under this round's key, so the next round (to the other key) has every key to rewrap.
            store = app.extensions[KEYSTORE_EXTENSION]
            for start in range(0, clients, 5000):
                store.create_data_keys(ids[start : start + 5000])
            ratios.append(rotated / plain)
            rotate_s.append(rotated)
            update_s.append(plain)
        for app in apps.values():
            dispose_app(app)
    value = statistics.median(ratios)
    return [
        {
            "name": "keys.rotate_vs_update",
            "value": round(value, 2),
            "unit": "ratio",
            "goal": "<= 3.0",
            "met": value <= 3.0,
            "detail": (
                f"{clients} data keys, SQLite key store; keys rotate {statistics.median(rotate_s):.2f} s vs a plain "
                f"UPDATE of the same rows {statistics.median(update_s):.2f} s (per-row UPDATEs by primary key, "
                "executemany, fresh random bytes of the wrapped length, in committed batches of the rotation's size "
                f"after the rotation's own SELECT; no crypto); median of {len(ratios)} alternating rounds"
            ),
        }
    ]


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    for entry in run(quick=True):
        print(entry)

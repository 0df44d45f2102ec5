"""Benchmarks for field encryption and blind-index search, each against its alternative in the same run.

Run ``python bench/crypto_bench.py`` (``BENCH_QUICK=1`` for 10,000 clients instead of 100,000). It prints a table and
merges its results into ``bench/results.json``. ``run(quick)`` returns the same result dicts for other callers.

Every comparison times both sides on the same values, interleaving repetitions (alternating which side goes first)
and comparing medians, so drift in machine load hits both sides alike.

What each side does (docs/benchmarks.md defines the names and goals):

- ``crypto.*``: ours is :class:`~diversion.crypto.aead.FieldCipher`, the object the app's encrypted attributes use
  (one per data key per request, from ``KeyStoreProvider.field_cipher``), encrypting and decrypting each value with
  its full associated data (a ``FieldContext`` built per value, as the app builds one per field). The other sides are
  sqlalchemy-utils' ``AesGcmEngine`` (and its ``StringEncryptedType``) and Fernet, each through its public API.
- ``search.blind_vs_plaintext``: both sides answer the same question, "which clients have this family name and date
  of birth?", and must return the same ids (checked before timing). The plaintext side is one query on a composite
  index. The blind side is what the app's search must do to give the same answer: compute the bucket, read its rows
  through an ordinary index, read the candidates' data keys from the key store (a separate database: one round trip,
  with a fresh per-request provider, as the app binds one per request), decrypt each candidate's date of birth (and
  name when the date matches) and drop the false positives the truncated index lets in. That decryption is not
  optional extra work: without it the answer would be the whole bucket (about eight people at the recommended width),
  not the matches. The plaintext side has no equivalent of it, so it does no extra work. The detail reports the
  median time of each stage of the blind lookup, which shows where the ratio comes from.
- ``search.scan_vs_blind``: what search must never do (read every row, unwrap every data key, decrypt and filter)
  against the blind lookup above. Its goal is stated at 100,000 clients; decrypt-all grows with the number of
  clients and the lookup does not, so a quick run (10,000 clients) measures roughly a tenth of the full run's ratio.
  The quick figure is reported against the same goal, as measured, and says so.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cryptography.fernet import Fernet  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402
from sqlalchemy import Column, Index, LargeBinary, MetaData, String, Table, bindparam, create_engine, insert, select  # noqa: E402
from sqlalchemy.dialects import sqlite  # noqa: E402
from sqlalchemy_utils import StringEncryptedType  # noqa: E402
from sqlalchemy_utils.types.encrypted.encrypted_type import AesGcmEngine  # noqa: E402

from diversion.crypto.aead import FieldCipher, FieldContext, decrypt_field, encrypt_field  # noqa: E402
from diversion.crypto.blind import (  # noqa: E402
    DEFAULT_NAME_DOB_BITS,
    NAME_DOB_PURPOSE,
    blind_index,
    name_dob_index,
    normalise_date,
    normalise_text,
    recommended_bits,
)
from diversion.crypto.datakeys import WRAP_PURPOSE, wrap_associated_data  # noqa: E402
from diversion.crypto.keys import KeyRing, MasterKey  # noqa: E402
from diversion.crypto.keystore import KeyStore  # noqa: E402
from diversion.crypto.provider import DATA_KEY_ID, KeyStoreProvider  # noqa: E402

RESULTS_FILE = Path(__file__).resolve().parent / "results.json"
SYLLABLES = "ab al an ar ba be bo ca ch da de di el en er fa fi ga go ha he ho ja ka ke la le li lo ma me mi mo na ne"
SYLLABLES += " ni no ol on or pa pe ra re ri ro sa se sh si so ta te th ti to ur va ve vi wa we wi ya yo za"


def _interleaved(candidates: dict[str, Callable[[], object]], rounds: int) -> dict[str, list[float]]:
    """Wall time of each candidate in every round; the order alternates each round so drift hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in candidates}
    names = list(candidates)
    for round_ in range(rounds):
        for name in names if round_ % 2 == 0 else reversed(names):
            start = time.perf_counter()
            candidates[name]()
            times[name].append(time.perf_counter() - start)
    return times


def _ratio(times: dict[str, list[float]], numerator: str, denominator: str) -> float:
    """Median over rounds of the paired ratio: each round's two timings ran back to back under the same load."""
    return statistics.median(n / d for n, d in zip(times[numerator], times[denominator], strict=True))


def _median_us(times: dict[str, list[float]], name: str, per: int) -> float:
    """Median time of one unit of work, in microseconds."""
    return statistics.median(times[name]) / per * 1e6


NO_GOAL = "reported, no goal"


def _result(name: str, value: float, goal: str, detail: str) -> dict[str, Any]:
    if goal == NO_GOAL:
        # Reported for what it shows (where a blind lookup's time goes), held to no figure: the search's goal is
        # the page's, search.page_overhead in bench/scale_bench.py.
        return {"name": name, "value": round(value, 2), "unit": "ratio", "goal": goal, "met": True, "detail": detail}
    op, target = goal.split()
    met = value >= float(target) if op == ">=" else value <= float(target)
    return {"name": name, "value": round(value, 2), "unit": "ratio", "goal": goal, "met": met, "detail": detail}


def _name(rng: random.Random) -> str:
    parts = SYLLABLES.split()
    return "".join(rng.choice(parts) for _ in range(rng.randint(4, 6))).capitalize()


def _note(rng: random.Random) -> str:
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < 500:
        words.append(_name(rng).lower()[: rng.randint(2, 9)])
    return " ".join(words)[:500]


def bench_ciphers(quick: bool) -> list[dict[str, Any]]:
    """Our AES-GCM field path against sqlalchemy-utils' AesGcmEngine and Fernet, on names and notes."""
    rng = random.Random(1)
    count = 800
    rounds = 21 if quick else 41
    key = secrets.token_bytes(32)
    client = str(uuid.uuid4())
    values = [(_name(rng), "family_name") for _ in range(count)] + [(_note(rng), "notes") for _ in range(count // 4)]
    rows = [str(uuid.uuid4()) for _ in values]
    cipher = FieldCipher(key, "dk")

    def ours() -> None:
        for (value, column), row in zip(values, rows, strict=True):
            context = FieldContext("clients", column, row, client)
            blob = cipher.encrypt(value.encode("utf-8"), context)
            if cipher.decrypt(blob, context).decode("utf-8") != value:
                raise AssertionError("round trip")

    def ours_functions() -> None:
        for (value, column), row in zip(values, rows, strict=True):
            context = FieldContext("clients", column, row, client)
            blob = encrypt_field(key, "dk", value.encode("utf-8"), context)
            if decrypt_field(blob, lambda _kid: key, context).decode("utf-8") != value:
                raise AssertionError("round trip")

    sau_type = StringEncryptedType(String, key, AesGcmEngine)
    dialect = sqlite.dialect()
    sau_engine = AesGcmEngine()
    sau_engine._update_key(key)

    def sau_engine_direct() -> None:
        for value, _column in values:
            if sau_engine.decrypt(sau_engine.encrypt(value)) != value:
                raise AssertionError("round trip")

    def sau_type_path() -> None:
        for value, _column in values:
            if sau_type.process_result_value(sau_type.process_bind_param(value, dialect), dialect) != value:
                raise AssertionError("round trip")

    fernet = Fernet(base64.urlsafe_b64encode(key))

    def fernet_path() -> None:
        for value, _column in values:
            if fernet.decrypt(fernet.encrypt(value.encode("utf-8"))).decode("utf-8") != value:
                raise AssertionError("round trip")

    t = _interleaved(
        {
            "ours": ours,
            "ours_functions": ours_functions,
            "sau_engine": sau_engine_direct,
            "sau_type": sau_type_path,
            "fernet": fernet_path,
        },
        rounds,
    )
    per = {name: _median_us(t, name, len(values)) for name in t}
    sizes = (
        f"{count} names (~10 chars) + {count // 4} notes (500 chars), encrypt+decrypt, "
        f"median of {rounds} interleaved paired rounds"
    )
    return [
        _result(
            "crypto.vs_sqlalchemy_utils",
            _ratio(t, "sau_engine", "ours"),
            ">= 1.0",
            f"{sizes}: ours {per['ours']:.1f} us/value (with AAD binding row/column/client) vs sqlalchemy-utils "
            f"AesGcmEngine {per['sau_engine']:.1f} us/value (no AAD); through StringEncryptedType "
            f"{per['sau_type']:.1f} us/value, ratio {_ratio(t, 'sau_type', 'ours'):.2f}",
        ),
        _result(
            "crypto.vs_fernet",
            _ratio(t, "fernet", "ours"),
            ">= 5.0",
            f"{sizes}: ours {per['ours']:.1f} us/value (FieldCipher, one per key per request) vs Fernet "
            f"{per['fernet']:.1f} us/value; ours via encrypt_field/decrypt_field (new AESGCM per call) "
            f"{per['ours_functions']:.1f} us/value, ratio {_ratio(t, 'fernet', 'ours_functions'):.2f}",
        ),
    ]


class SearchFixture:
    """N clients in an SQLite file, encrypted with per-client data keys from a key store in a second file."""

    def __init__(self, directory: Path, count: int, rng: random.Random) -> None:
        self.ring = KeyRing([MasterKey("bench", secrets.token_bytes(32))])
        self.index_key = self.ring.derived(NAME_DOB_PURPOSE)
        self.bits = recommended_bits(count)
        self.keystore = KeyStore(f"sqlite:///{directory / 'keystore.db'}", self.ring)
        self.keystore.ensure_schema()
        self.engine = create_engine(f"sqlite:///{directory / 'main.db'}")
        meta = MetaData()
        self.clients = Table(
            "clients",
            meta,
            Column("id", String(36), primary_key=True),
            Column("family_name", LargeBinary),
            Column("date_of_birth", LargeBinary),
            Column("name_dob_index", LargeBinary),
            Column("name_dob_index_default", LargeBinary),
            Index("ix_clients_name_dob", "name_dob_index"),
            Index("ix_clients_name_dob_default", "name_dob_index_default"),
        )
        self.plain = Table(
            "plain_clients",
            meta,
            Column("id", String(36), primary_key=True),
            Column("family_name", String),
            Column("date_of_birth", String),
            Index("ix_plain_name_dob", "family_name", "date_of_birth"),
        )
        meta.create_all(self.engine)
        common = [_name(rng) for _ in range(count // 20)]
        self.people: list[tuple[str, str, date]] = []
        for _ in range(count):
            family = rng.choice(common) if rng.random() < 0.3 else _name(rng)
            dob = date(1960, 1, 1) + timedelta(days=rng.randrange(17_500))
            self.people.append((str(uuid.uuid4()), family, dob))
        keys = self.keystore.create_data_keys(person[0] for person in self.people)
        encrypted, plain = [], []
        for cid, family, dob in self.people:
            cipher = FieldCipher(keys[cid], "dk")
            encrypted.append(
                {
                    "id": cid,
                    "family_name": cipher.encrypt(family.encode(), FieldContext("clients", "family_name", cid, cid)),
                    "date_of_birth": cipher.encrypt(
                        dob.isoformat().encode(), FieldContext("clients", "date_of_birth", cid, cid)
                    ),
                    "name_dob_index": name_dob_index(self.index_key, family, dob, self.bits),
                    "name_dob_index_default": name_dob_index(self.index_key, family, dob, DEFAULT_NAME_DOB_BITS),
                }
            )
            plain.append({"id": cid, "family_name": normalise_text(family), "date_of_birth": dob.isoformat()})
        with self.engine.begin() as conn:
            conn.execute(insert(self.clients), encrypted)
            conn.execute(insert(self.plain), plain)
        self.candidates_seen: dict[bool, list[int]] = {False: [], True: []}
        # Statements built once for both sides, as an app's query layer would reuse them.
        c, p = self.clients.c, self.plain.c
        self.bucket_query = {
            at_default: select(c.id, c.family_name, c.date_of_birth).where(column == bindparam("value"))
            for at_default, column in ((False, c.name_dob_index), (True, c.name_dob_index_default))
        }
        self.plain_query = select(p.id).where(p.family_name == bindparam("name"), p.date_of_birth == bindparam("dob"))
        self.all_query = select(c.id, c.family_name, c.date_of_birth)
        # The key store's driver connection, held open for the floor measurement (see floor()).
        self._key_connection = self.keystore.engine.raw_connection()
        self.key_driver: Any = self._key_connection.driver_connection

    def blind(self, conn: Any, family: str, dob: date, at_default: bool = False) -> set[str]:
        """Blind-index lookup: indexed bucket query, one key-store read, decrypt candidates, drop false positives."""
        want_name, want_dob = normalise_text(family), normalise_date(dob)
        bits = DEFAULT_NAME_DOB_BITS if at_default else self.bits
        value = blind_index(self.index_key, want_name, want_dob, bits=bits)
        rows = conn.execute(self.bucket_query[at_default], {"value": value}).all()
        self.candidates_seen[at_default].append(len(rows))
        # A fresh provider is a fresh request: its data-key cache starts empty, as the app's does per request.
        provider = KeyStoreProvider(self.ring, self.keystore)
        provider.prefetch([row.id for row in rows])
        return self._filter(rows, provider, want_name, want_dob)

    def blind_stages(self, conn: Any, family: str, dob: date) -> tuple[float, float, float]:
        """The blind lookup again, timing its three stages: index and bucket query, key-store read and unwrap,
        decryption and comparison."""
        start = time.perf_counter()
        want_name, want_dob = normalise_text(family), normalise_date(dob)
        value = blind_index(self.index_key, want_name, want_dob, bits=self.bits)
        rows = conn.execute(self.bucket_query[False], {"value": value}).all()
        queried = time.perf_counter()
        provider = KeyStoreProvider(self.ring, self.keystore)
        provider.prefetch([row.id for row in rows])
        keyed = time.perf_counter()
        self._filter(rows, provider, want_name, want_dob)
        return queried - start, keyed - queried, time.perf_counter() - keyed

    def bucket_only(self, conn: Any, family: str, dob: date) -> int:
        """The first step of a blind lookup and nothing else: compute the index value and read the bucket's rows."""
        value = blind_index(self.index_key, normalise_text(family), normalise_date(dob), bits=self.bits)
        return len(conn.execute(self.bucket_query[False], {"value": value}).all())

    def floor(self, conn: Any, family: str, dob: date) -> set[str]:
        """The least any lookup of this design can do, granted every short cut a real one could not take: the same
        bucket query, the candidates' wrapped keys through a key-store driver connection held open (no pool, no SQL
        layer, no retry), and nothing of the crypto but the AES-GCM calls and their associated data (unwrap each
        key, set up its cipher, decrypt the date of birth, and the name when the date matches), with no checks and
        no error handling. The same answer as :meth:`blind`, checked before timing."""
        want_name, want_dob = normalise_text(family), normalise_date(dob)
        value = blind_index(self.index_key, want_name, want_dob, bits=self.bits)
        rows = conn.execute(self.bucket_query[False], {"value": value}).all()
        if not rows:
            return set()
        ids = [row.id for row in rows]
        marks = ",".join("?" * len(ids))
        keys = {
            cid: (master_id, wrapped)
            for cid, master_id, wrapped in self.key_driver.execute(
                f"SELECT client_id, master_key_id, wrapped FROM data_keys WHERE client_id IN ({marks})",
                ids,
            )
        }
        found: set[str] = set()
        wanted_dob = want_dob.encode()
        for row in rows:
            master_id, wrapped = keys[row.id]
            data_key = self.ring.aead(WRAP_PURPOSE, master_id).decrypt(
                wrapped[1:13], wrapped[13:], wrap_associated_data(row.id, master_id)
            )
            aead = AESGCM(data_key)
            blob = row.date_of_birth
            header_end = 2 + blob[1]
            place = FieldContext("clients", "date_of_birth", row.id, row.id).encode()
            born = aead.decrypt(blob[header_end : header_end + 12], blob[header_end + 12 :], blob[:header_end] + place)
            if born != wanted_dob:
                continue
            blob = row.family_name
            place = FieldContext("clients", "family_name", row.id, row.id).encode()
            name = aead.decrypt(blob[header_end : header_end + 12], blob[header_end + 12 :], blob[:header_end] + place)
            if normalise_text(name.decode()) == want_name:
                found.add(row.id)
        return found

    def _filter(self, rows: Sequence[Any], provider: KeyStoreProvider, want_name: str, want_dob: str) -> set[str]:
        """The candidates that really match, as the app's search keeps them: decrypt, compare, drop the rest."""
        found: set[str] = set()
        wanted_dob = want_dob.encode()
        for row in rows:
            cipher = provider.field_cipher(DATA_KEY_ID, provider.client_key(row.id, DATA_KEY_ID))
            # The date first: bucket-mates are random people, and comparing a date needs no normalising.
            born = cipher.decrypt(row.date_of_birth, FieldContext("clients", "date_of_birth", row.id, row.id))
            if born != wanted_dob:
                continue
            name = cipher.decrypt(row.family_name, FieldContext("clients", "family_name", row.id, row.id))
            if normalise_text(name.decode()) == want_name:
                found.add(row.id)
        return found

    def plaintext(self, conn: Any, family: str, dob: date) -> set[str]:
        """Plaintext lookup on an ordinary composite index, for comparison."""
        params = {"name": normalise_text(family), "dob": normalise_date(dob)}
        return {row.id for row in conn.execute(self.plain_query, params)}

    def scan(self, conn: Any, family: str, dob: date) -> set[str]:
        """Decrypt every client and filter: what search must never do."""
        rows = conn.execute(self.all_query).all()
        provider = KeyStoreProvider(self.ring, self.keystore)
        provider.prefetch([row.id for row in rows])
        return self._filter(rows, provider, normalise_text(family), normalise_date(dob))

    def close(self) -> None:
        """Release both databases."""
        self._key_connection.close()
        self.keystore.close()
        self.engine.dispose()


def bench_search(quick: bool) -> list[dict[str, Any]]:
    """Blind-index search against a plaintext index, and decrypt-all-and-filter against the blind index."""
    count = 10_000 if quick else 100_000
    rng = random.Random(2)
    with tempfile.TemporaryDirectory(prefix="crypto-bench-") as tmp:
        fixture = SearchFixture(Path(tmp), count, rng)
        try:
            targets = rng.sample(fixture.people, 200)
            # Searches type names as people do: other case, stray spaces and punctuation.
            queries = [(f" {family.upper()}.", dob) for _cid, family, dob in targets]
            with fixture.engine.connect() as conn:
                for (cid, _family, _dob), (family, dob) in zip(targets, queries, strict=True):
                    expected = fixture.plaintext(conn, family, dob)
                    if cid not in expected or fixture.blind(conn, family, dob) != expected:
                        raise AssertionError("blind-index search disagrees with the plaintext index")
                    if fixture.blind(conn, family, dob, at_default=True) != expected:
                        raise AssertionError("search at the default width disagrees with the plaintext index")
                    if fixture.floor(conn, family, dob) != expected:
                        raise AssertionError("the least lookup disagrees with the plaintext index")
                fixture.candidates_seen = {False: [], True: []}
                batches = [queries[start : start + 50] for start in range(0, len(queries), 50)]
                # Each side cycles through the same batches, so every round times all sides on the same 50 lookups.
                blind_batches, default_batches, plain_batches, floor_batches, bucket_batches = (
                    itertools.cycle(batches) for _ in range(5)
                )
                t = _interleaved(
                    {
                        "blind": lambda: [fixture.blind(conn, f, d) for f, d in next(blind_batches)],
                        "blind_default": lambda: [
                            fixture.blind(conn, f, d, at_default=True) for f, d in next(default_batches)
                        ],
                        "plain": lambda: [fixture.plaintext(conn, f, d) for f, d in next(plain_batches)],
                        "floor": lambda: [fixture.floor(conn, f, d) for f, d in next(floor_batches)],
                        "bucket": lambda: [fixture.bucket_only(conn, f, d) for f, d in next(bucket_batches)],
                    },
                    24,
                )
                candidates = statistics.mean(fixture.candidates_seen[False])
                # Where a blind lookup's time goes (not part of the ratio; it explains it).
                stages = [fixture.blind_stages(conn, f, d) for _ in range(3) for f, d in queries]
                stage_us = [statistics.median(stage[i] for stage in stages) * 1e6 for i in range(3)]
                default_candidates = statistics.mean(fixture.candidates_seen[True])
                scan_queries = queries[:1]
                scan = _interleaved(
                    {
                        "scan": lambda: [fixture.scan(conn, f, d) for f, d in scan_queries],
                        "blind": lambda: [fixture.blind(conn, f, d) for f, d in scan_queries * 50],
                    },
                    # A scan of 10,000 clients is short enough to repeat more, which steadies the median.
                    7 if quick else 3,
                )
        finally:
            fixture.close()
    per_query = {name: _median_us(t, name, 50) for name in ("blind", "blind_default", "plain", "floor", "bucket")}
    scan_us = _median_us(scan, "scan", 1)
    blind_us = _median_us(scan, "blind", 50)
    return [
        _result(
            "search.blind_vs_plaintext",
            _ratio(t, "blind", "plain"),
            NO_GOAL,
            f"{count} clients in SQLite, 200 family name + DOB lookups in 24 interleaved paired rounds of 50: "
            f"blind index at {fixture.bits} bits (recommended_bits, {candidates:.1f} candidates per bucket; indexed "
            f"query + key-store read + decrypt) {per_query['blind']:.0f} us/lookup vs plaintext composite index "
            f"{per_query['plain']:.0f} us/lookup; at the default {DEFAULT_NAME_DOB_BITS} bits "
            f"({default_candidates:.1f} candidates) {per_query['blind_default']:.0f} us/lookup, "
            f"ratio {_ratio(t, 'blind_default', 'plain'):.2f}. "
            f"Median stages of a blind lookup: index + bucket query {stage_us[0]:.0f} us, "
            f"key-store read and unwrap of the candidates' data keys {stage_us[1]:.0f} us, "
            f"decrypt and compare {stage_us[2]:.0f} us; the key-store round trip is the one the plaintext side "
            f"has no equivalent of. The least any lookup of this design can do (the same bucket query, the "
            f"candidates' wrapped keys through a key-store driver connection held open, and only the AES-GCM calls: "
            f"unwrap, cipher set-up, decrypt; no checks, no error handling) {per_query['floor']:.0f} us/lookup, "
            f"ratio {_ratio(t, 'floor', 'plain'):.2f}; of which the bucket query alone (the index computed and its "
            f"rows read) {per_query['bucket']:.0f} us/lookup, ratio {_ratio(t, 'bucket', 'plain'):.2f}: the bucket "
            f"alone, which reads more rows than the plaintext lookup through an index of the same kind, costs at least "
            f"what the whole plaintext lookup does, and the key-store read and the candidates' AES work come on top"
            + ("" if count >= 100_000 else f"; quick run at {count} clients, the goal is stated at 100,000"),
        ),
        _result(
            "search.scan_vs_blind",
            statistics.median(s / (b / 50) for s, b in zip(scan["scan"], scan["blind"], strict=True)),
            ">= 1000",
            f"{count} clients in SQLite: decrypt-all-and-filter (read all rows, unwrap all data keys, decrypt) "
            f"{scan_us / 1e3:.0f} ms/lookup vs blind index at {fixture.bits} bits {blind_us:.0f} us/lookup"
            + (
                "; quick run: the goal is stated at 100,000 clients and decrypt-all scales with the clients, so this "
                "size measures about a tenth of the full ratio (reported against the same goal, not a scaled one)"
                if quick
                else ""
            ),
        ),
    ]


def run(quick: bool) -> list[dict[str, Any]]:
    """Run every crypto benchmark; ``quick`` uses 10,000 clients instead of 100,000."""
    return bench_ciphers(quick) + bench_search(quick)


def merge_results(results: list[dict[str, Any]], path: Path = RESULTS_FILE) -> None:
    """Write results into the JSON list at ``path``, replacing entries with the same names and keeping others."""
    existing: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    names = {result["name"] for result in results}
    merged = [entry for entry in existing if entry.get("name") not in names] + results
    path.write_text(json.dumps(merged, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    """Run, print a table, and merge into bench/results.json."""
    quick = os.environ.get("BENCH_QUICK") == "1"
    started = time.perf_counter()
    results = run(quick)
    width = max(len(result["name"]) for result in results)
    print(f"{'benchmark':<{width}}  {'value':>9}  {'goal':<8}  met")
    for result in results:
        met = "yes" if result["met"] else "NO"
        print(f"{result['name']:<{width}}  {result['value']:>9.2f}  {result['goal']:<8}  {met}")
    for result in results:
        print(f"- {result['name']}: {result['detail']}")
    merge_results(results)
    print(f"({'quick' if quick else 'full'} run, {time.perf_counter() - started:.0f} s; merged into {RESULTS_FILE})")


if __name__ == "__main__":
    main()

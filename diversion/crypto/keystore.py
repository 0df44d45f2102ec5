"""The key store: a database of its own holding every client's data key, wrapped under a master key.

It is a separate database (a second SQLite file by default, a separate PostgreSQL database in production) with its
own engine, so a copy or backup of the main database holds no data keys. Its whole schema is one table,
``data_keys``, created by :meth:`KeyStore.ensure_schema`.

Order of writes: a client's data key is inserted and committed *before* the main database transaction that creates
the client. If that transaction fails, the key is an orphan: harmless (it protects nothing) and removed by
:meth:`KeyStore.sweep_orphans`.

Crypto-shredding (:meth:`KeyStore.destroy`) overwrites the wrapped key with an empty value and stamps
``destroyed_at``; the row stays as a tombstone so :meth:`KeyStore.shredded_client_ids` can re-apply erasures after a
key-store backup is restored. On SQLite, ``secure_delete`` zeroes the overwritten bytes and a WAL checkpoint
truncates the log, so the old material leaves the files at once. On PostgreSQL the old row version lingers in the
table until vacuumed and in WAL segments until recycled; key-store backups are kept apart and short-lived.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    LargeBinary,
    MetaData,
    String,
    Table,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from diversion.crypto.datakeys import (
    ClientId,
    client_id_text,
    new_data_key,
    unwrap_with_keyring,
    unwrapper,
    wrap_with_keyring,
)
from diversion.crypto.errors import (
    DecryptionError,
    KeyConfigurationError,
    KeyDestroyedError,
    KeyStoreError,
    KeyStoreUnavailable,
    RewrapError,
)
from diversion.crypto.keys import KeyRing

# Page cache of each SQLite key-store connection, in KiB: room for the keys of about 100,000 clients.
_SQLITE_CACHE_KIB = 16384
# Large IN lists are split so SQLite's bound-parameter limit is never reached.
_CHUNK = 500

metadata = MetaData()
data_keys = Table(
    "data_keys",
    metadata,
    Column("client_id", String(36), primary_key=True),
    Column("master_key_id", String(32), nullable=False),
    Column("wrapped", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("rotated_at", DateTime(timezone=True), nullable=True),
    Column("destroyed_at", DateTime(timezone=True), nullable=True),
)
_REWRAP = (
    update(data_keys)
    .where(
        data_keys.c.client_id == bindparam("cid"),
        data_keys.c.master_key_id == bindparam("old"),
        data_keys.c.destroyed_at.is_(None),
    )
    .values(master_key_id=bindparam("new"), wrapped=bindparam("wrapped"), rotated_at=bindparam("now"))
)
# Placeholder of each DB-API parameter style the key-store lookup supports (SQLite's and psycopg's).
_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def _now() -> datetime:
    return datetime.now(UTC)


def _chunks(items: Sequence[str], size: int = _CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    # Freed pages and overwritten cells are zeroed, so a destroyed key leaves the file, not just the row.
    cursor.execute("PRAGMA secure_delete=ON")
    # Every request that shows a client reads a few random rows of this file (about 150 bytes a client). A page
    # cache that can hold it (memory grows only with the pages read) saves a system call per page on each read.
    cursor.execute(f"PRAGMA cache_size=-{_SQLITE_CACHE_KIB}")
    cursor.close()


# A pooled key-store connection unused for longer than this is tested before it is handed out.
IDLE_PING_SECONDS = 30.0


def _ping_when_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    checked_in = record.info.get("checked_in_at")
    if checked_in is not None and time.monotonic() - checked_in < IDLE_PING_SECONDS:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        # Leave no transaction open: the connection may be about to be switched to autocommit for a read.
        dbapi_connection.rollback()
    except Exception:  # noqa: BLE001 - any failure means this connection cannot be used
        # The pool's documented signal: discard this connection and hand out a new one.
        raise DisconnectionError("the key-store connection is dead") from None


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    if record is not None:
        record.info["checked_in_at"] = time.monotonic()


# What a key store that cannot be reached raises: the server refused or dropped the connection, the pool timed out,
# or (SQLite) the file cannot be opened. IntegrityError and the like are answers from a working store, not these.
_UNREACHABLE = (OperationalError, InterfaceError, PoolTimeoutError)


class KeyStore:
    """Wrapped per-client data keys in their own database, behind their own engine."""

    def __init__(self, url: str, keyring: KeyRing, **engine_options: Any) -> None:
        self.keyring = keyring
        self.table = data_keys
        self.engine: Engine = create_engine(url, **engine_options)
        if not url.startswith("sqlite") and not engine_options.get("pool_pre_ping"):
            # A key-store server restarted overnight must not fail the first request of the morning: a connection
            # idle for a while is tested before use (replaced when dead), and a read whose connection turns out to
            # be dead is tried once more (_read_keys). A busy connection is not pinged before every page.
            event.listen(self.engine, "checkout", _ping_when_idle)
            event.listen(self.engine, "checkin", _note_checkin)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        # Reads of keys are single SELECTs: on a server, without a transaction around them a page's key read is one
        # round trip, not three (BEGIN, SELECT, ROLLBACK); same pool, the isolation level put back when a connection
        # returns. SQLite opens no transaction for a SELECT, and switching would only cost time.
        self.reader: Engine = (
            self.engine if self.is_sqlite else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        try:
            self._placeholder = _PLACEHOLDERS[self.engine.dialect.paramstyle]
        except KeyError:
            raise KeyConfigurationError(
                f"The key store needs a driver with qmark or format parameters; {url.split(':')[0]} has neither."
            ) from None
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)

    def ensure_schema(self) -> None:
        """Create the ``data_keys`` table when it does not exist: the key store's whole schema. A command runs this
        (``keys init``, and ``db upgrade``), never the app's start-up, so the app starts with the key store down."""
        try:
            metadata.create_all(self.engine)
        except _UNREACHABLE as error:
            raise KeyStoreUnavailable(f"The key store cannot be reached: {type(error).__name__}") from None

    def status(self) -> str:
        """``"ok"`` when the store answers and holds its table, ``"no_schema"`` when it answers without it (``keys
        init`` not run), ``"unreachable"`` when it does not answer. For the readiness check: never raises."""
        try:
            with self.reader.connect() as conn:
                conn.execute(select(data_keys.c.client_id).limit(1)).all()
        except ProgrammingError:
            return "no_schema"  # a server's "relation does not exist"
        except OperationalError as error:
            # SQLite says "no such table" with an OperationalError, and "unable to open" when it cannot.
            return "no_schema" if "no such table" in str(error.orig) else "unreachable"
        except Exception:  # noqa: BLE001 - whatever the failure, the answer is that the store cannot serve keys
            return "unreachable"
        return "ok"

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()

    def create_data_key(self, client_id: ClientId) -> bytes:
        """Make, wrap and commit a new data key for a client, in its own transaction; returns the plain key."""
        return self.create_data_keys([client_id])[client_id_text(client_id)]

    def create_data_keys(self, client_ids: Iterable[ClientId]) -> dict[str, bytes]:
        """Make data keys for many new clients in one transaction (demo data, imports); returns them by id."""
        keys: dict[str, bytes] = {}
        rows: list[dict[str, Any]] = []
        now = _now()
        for client_id in client_ids:
            cid = client_id_text(client_id)
            keys[cid] = new_data_key()
            master_id, wrapped = wrap_with_keyring(self.keyring, cid, keys[cid])
            rows.append({"client_id": cid, "master_key_id": master_id, "wrapped": wrapped, "created_at": now})
        if not rows:
            return keys
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(data_keys), rows)
        except IntegrityError:
            raise KeyStoreError("A data key already exists for one of these clients.") from None
        except _UNREACHABLE as error:
            # The type only: a driver's message may quote the server's address or the statement.
            raise KeyStoreUnavailable(f"The key store cannot be reached: {type(error).__name__}") from None
        return keys

    def unwrap_many(self, client_ids: Iterable[ClientId]) -> dict[str, bytes | DecryptionError]:
        """Each client's data key, or the DecryptionError saying why it cannot be had (missing, destroyed, forged)."""
        return self.unwrap_texts(sorted({client_id_text(c) for c in client_ids}))

    def unwrap_texts(self, wanted: Sequence[str]) -> dict[str, bytes | DecryptionError]:
        """:meth:`unwrap_many` for client ids already in canonical text (:func:`client_id_text`), each once."""
        out: dict[str, bytes | DecryptionError] = {}
        rows: list[Sequence[Any]] = []
        if wanted:
            rows = self._read_keys(wanted)
        unwrappers: dict[str, Callable[[str, bytes], bytes]] = {}
        for client_id, master_key_id, wrapped, destroyed_at in rows:
            if destroyed_at is not None:
                out[client_id] = KeyDestroyedError(f"The data key of client {client_id} was destroyed.")
                continue
            # One unwrapper per master key for the whole batch: a page's keys are nearly all under the same one.
            unwrap = unwrappers.get(master_key_id)
            if unwrap is None:
                unwrap = unwrappers[master_key_id] = unwrapper(self.keyring, master_key_id)
            try:
                out[client_id] = unwrap(client_id, bytes(wrapped))
            except DecryptionError as error:
                out[client_id] = error
        for cid in wanted:
            if cid not in out:
                out[cid] = DecryptionError(f"There is no data key for client {cid}.")
        return out

    def _read_keys(self, client_ids: Sequence[str]) -> list[Sequence[Any]]:
        """The key rows of these clients; a read whose connection was found dead is tried once more."""
        for attempt in (1, 2):
            try:
                with self.reader.connect() as conn:
                    return [row for chunk in _chunks(client_ids) for row in self._select_keys(conn, chunk)]
            except DBAPIError as error:
                # The pool has thrown its dead connections away; the second try opens a fresh one.
                if attempt == 1 and error.connection_invalidated:
                    continue
                if isinstance(error, _UNREACHABLE):
                    raise KeyStoreUnavailable(f"The key store cannot be reached: {type(error).__name__}") from None
                raise
            except PoolTimeoutError:
                raise KeyStoreUnavailable("The key store cannot be reached: its connection pool timed out.") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _select_keys(self, conn: Connection, client_ids: Sequence[str]) -> Sequence[Row[Any]]:
        # Every request that shows a client runs this. Through the SQL expression layer, compiling the expanding IN
        # cost several times the query itself; only placeholders are interpolated here, never values.
        marks = ", ".join([self._placeholder] * len(client_ids))
        sql = f"SELECT client_id, master_key_id, wrapped, destroyed_at FROM data_keys WHERE client_id IN ({marks})"  # noqa: S608
        return conn.exec_driver_sql(sql, tuple(client_ids)).all()

    def get_data_key(self, client_id: ClientId) -> bytes:
        """The unwrapped data key of one client; DecryptionError when missing, destroyed or failing authentication."""
        result = self.unwrap_many([client_id])[client_id_text(client_id)]
        if isinstance(result, DecryptionError):
            raise result
        return result

    def get_many(self, client_ids: Iterable[ClientId]) -> dict[str, bytes]:
        """The readable data keys of many clients, in one query (per 500 ids); unreadable ones are left out."""
        return {cid: key for cid, key in self.unwrap_many(client_ids).items() if isinstance(key, bytes)}

    def destroy(self, client_id: ClientId) -> None:
        """Crypto-shred a client: overwrite the wrapped key with nothing and record when. Idempotent."""
        cid = client_id_text(client_id)
        now = _now()
        for _attempt in range(2):
            with self.engine.begin() as conn:
                result = conn.execute(
                    update(data_keys)
                    .where(data_keys.c.client_id == cid)
                    .values(wrapped=b"", destroyed_at=func.coalesce(data_keys.c.destroyed_at, now))
                )
            if result.rowcount:
                break
            try:
                # A tombstone even for a client with no key, so the shredded list survives a key-store restore.
                with self.engine.begin() as conn:
                    conn.execute(
                        insert(data_keys).values(
                            client_id=cid, master_key_id="", wrapped=b"", created_at=now, destroyed_at=now
                        )
                    )
                break
            except IntegrityError:
                continue  # a key was created meanwhile: loop to overwrite it
        self._purge_freed_pages()

    def _purge_freed_pages(self) -> None:
        if not self.is_sqlite:
            return
        with self.engine.connect() as conn:
            # The old page image would otherwise sit in the WAL until the next automatic checkpoint.
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def apply_shredded(self, client_ids: Iterable[ClientId]) -> int:
        """Destroy every listed client's key again: run after restoring a key-store backup; returns how many."""
        count = 0
        for client_id in client_ids:
            self.destroy(client_id)
            count += 1
        return count

    def shredded_client_ids(self) -> list[str]:
        """Every client whose key was destroyed, to re-apply after a restore."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(data_keys.c.client_id)
                .where(data_keys.c.destroyed_at.is_not(None))
                .order_by(data_keys.c.client_id)
            )
            return [row.client_id for row in rows]

    def count_pending_rotation(self) -> int:
        """How many live data keys are not yet wrapped under the active master key."""
        with self.engine.connect() as conn:
            count = conn.execute(
                select(func.count())
                .select_from(data_keys)
                .where(data_keys.c.destroyed_at.is_(None), data_keys.c.master_key_id != self.keyring.active.id)
            ).scalar_one()
        return int(count)

    def counts_by_master_key(self) -> dict[str, int]:
        """Live data keys per master key id, for a status report."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(data_keys.c.master_key_id, func.count())
                .where(data_keys.c.destroyed_at.is_(None))
                .group_by(data_keys.c.master_key_id)
            ).all()
        return {str(master_id): int(count) for master_id, count in rows}

    def rewrap_batch(self, batch_size: int = 500, *, exclude: Collection[str] = ()) -> int:
        """Rewrap up to ``batch_size`` keys under the active master key and commit; returns how many were rewrapped.

        Keys already under the active key are never selected, so calling again resumes where an interrupted run
        stopped. Keys that fail to unwrap are left alone and reported with RewrapError after the batch commits;
        pass their ids in ``exclude`` to carry on past them.
        """
        if batch_size < 1:
            raise ValueError("batch_size is at least 1.")
        active = self.keyring.active.id
        failures: dict[str, str] = {}
        rewrapped = 0
        with self.engine.begin() as conn:
            query = select(data_keys.c.client_id, data_keys.c.master_key_id, data_keys.c.wrapped).where(
                data_keys.c.destroyed_at.is_(None), data_keys.c.master_key_id != active
            )
            if exclude:
                query = query.where(data_keys.c.client_id.not_in(list(exclude)))
            rows = conn.execute(query.order_by(data_keys.c.client_id).limit(batch_size)).all()
            now = _now()
            changes: list[dict[str, Any]] = []
            for row in rows:
                try:
                    key = unwrap_with_keyring(self.keyring, row.client_id, row.master_key_id, row.wrapped)
                except DecryptionError as error:
                    failures[row.client_id] = str(error)
                    continue
                master_id, wrapped = wrap_with_keyring(self.keyring, row.client_id, key)
                changes.append(
                    {"cid": row.client_id, "old": row.master_key_id, "new": master_id, "wrapped": wrapped, "now": now}
                )
            if changes:
                # One statement for the batch (executemany): building a statement per key cost more than the crypto.
                # The guard on the old id and on destroyed_at stops a rotation racing a destroy from restoring a key.
                result = conn.execute(_REWRAP, changes)
                rewrapped = result.rowcount
        if failures:
            raise RewrapError(failures, rewrapped)
        return rewrapped

    def pending_master_key_ids(self) -> set[str]:
        """The master key ids that live keys awaiting rotation are wrapped under."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(data_keys.c.master_key_id)
                .where(data_keys.c.destroyed_at.is_(None), data_keys.c.master_key_id != self.keyring.active.id)
                .distinct()
            )
            return {str(row.master_key_id) for row in rows}

    def _live_ids_page(self, after: str, limit: int, created_before: datetime | None = None) -> list[str]:
        query = select(data_keys.c.client_id).where(data_keys.c.destroyed_at.is_(None), data_keys.c.client_id > after)
        if created_before is not None:
            query = query.where(data_keys.c.created_at < created_before)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(data_keys.c.client_id).limit(limit))
            return [row.client_id for row in rows]

    def sweep_orphans(
        self,
        known_client_ids: Collection[str] | Callable[[Sequence[str]], Collection[str]],
        older_than: timedelta = timedelta(days=1),
        *,
        max_orphans: int = 1000,
    ) -> int:
        """Delete live keys older than ``older_than`` whose client is not in the main database; returns how many.

        ``known_client_ids`` is either the set of client ids in the main database or a function that, given a page
        of ids, returns those of them that exist. Keys younger than ``older_than`` may belong to a transaction still
        running and are kept. More than ``max_orphans`` orphans looks like the wrong database: nothing is deleted
        and KeyStoreError is raised.
        """
        cutoff = _now() - older_than
        orphans: list[str] = []
        after = ""
        while page := self._live_ids_page(after, _CHUNK, created_before=cutoff):
            after = page[-1]
            known = known_client_ids(page) if callable(known_client_ids) else known_client_ids
            orphans.extend(cid for cid in page if cid not in known)
            if len(orphans) > max_orphans:
                raise KeyStoreError(f"More than {max_orphans} orphan keys found; refusing to sweep.")
        deleted = 0
        with self.engine.begin() as conn:
            for chunk in _chunks(orphans):
                result = conn.execute(
                    delete(data_keys).where(
                        data_keys.c.client_id.in_(chunk),
                        data_keys.c.destroyed_at.is_(None),
                        data_keys.c.created_at < cutoff,
                    )
                )
                deleted += result.rowcount
        if deleted:
            self._purge_freed_pages()
        return deleted

    def verify_all(self, batch_size: int = 1000) -> Iterator[tuple[str, str]]:
        """Unwrap every live key; yields (client id, reason) for each that fails."""
        after = ""
        while page := self._live_ids_page(after, batch_size):
            after = page[-1]
            for cid, result in sorted(self.unwrap_many(page).items()):
                if isinstance(result, DecryptionError):
                    yield cid, str(result)


class RequestKeyCache:
    """Unwrapped data keys for one request or unit of work only; build a new one (or ``clear()``) for the next."""

    def __init__(self, keystore: KeyStore) -> None:
        self.keystore = keystore
        self._keys: dict[str, bytes] = {}
        self._failures: dict[str, DecryptionError] = {}
        self.store_reads = 0

    def get(self, client_id: ClientId) -> bytes:
        """The client's data key, read from the key store at most once; DecryptionError when unavailable."""
        cid = client_id_text(client_id)
        if cid not in self._keys and cid not in self._failures:
            self.prefetch([cid])
        if cid in self._failures:
            failure = self._failures[cid]
            # A fresh error of the same kind (destroyed, missing, forged) each time, without the old traceback.
            raise type(failure)(str(failure))
        return self._keys[cid]

    def prefetch(self, client_ids: Iterable[ClientId]) -> None:
        """Read the keys of many clients in one query, ahead of a page that shows them all."""
        keys, failures = self._keys, self._failures
        texts = {client_id_text(c) for c in client_ids}
        wanted = sorted(cid for cid in texts if cid not in keys and cid not in failures)
        if not wanted:
            return
        self.store_reads += 1
        for cid, result in self.keystore.unwrap_texts(wanted).items():
            if isinstance(result, DecryptionError):
                failures[cid] = result
            else:
                keys[cid] = result

    def create(self, client_id: ClientId) -> bytes:
        """Create and commit a new client's data key in the key store, and keep it for this request."""
        cid = client_id_text(client_id)
        self._keys[cid] = self.keystore.create_data_key(cid)
        self._failures.pop(cid, None)
        return self._keys[cid]

    def peek(self, client_id: str) -> bytes | None:
        """The client's data key when this cache already holds it (client id as text); None otherwise, with no read."""
        return self._keys.get(client_id)

    def forget(self, client_id: ClientId) -> None:
        """Drop one client's key from the cache, e.g. after destroying it."""
        cid = client_id_text(client_id)
        self._keys.pop(cid, None)
        self._failures.pop(cid, None)

    def clear(self) -> None:
        """Drop every cached key: the end of the request."""
        self._keys.clear()
        self._failures.clear()

"""The key operations: rotating master keys, rebuilding blind indexes, verifying every ciphertext, sweeping orphan
data keys, and re-applying erasures after a restore.

They work on the app's databases through SQLAlchemy, so they live here, beside the ``keys`` command line
(``diversion/keys/commands.py``), and not in ``diversion/crypto``, which imports nothing of the app. Each is a function
taking plain arguments and ``progress``/``echo`` callables, which the commands wrap. What they report names tables,
columns, row ids and client ids, and counts; never a value.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import load_only, raiseload

from diversion.audit.services import ResealReport, reseal_chain
from diversion.clients.erasure import complete_erasure
from diversion.clients.models import Client
from diversion.clients.services import name_dob_index_under, organisation_index_key
from diversion.crypto.blind import URN_PURPOSE, urn_index
from diversion.crypto.fields import EncryptedField, encrypted_fields, is_unreadable, stored_key_id
from diversion.crypto.rotation import rebuild_blind_indexes, reencrypt_fields, rotate_data_keys
from diversion.db import transaction
from diversion.drafts.services import own_key_ids
from diversion.extensions import db
from diversion.keyring import key_provider, keyring, keystore
from diversion.notices.models import OutcomeNotice
from diversion.referrals.models import Referral

Echo = Callable[[str], None]
# (what is being done, how many done, out of how many)
Progress = Callable[[str, int, int], None]
DEFAULT_BATCH = 500


def _quiet(_label: str, _done: int, _total: int) -> None:
    """A progress callable that reports nothing."""


def _pages(query: Any, column: Any, batch_size: int) -> Iterator[list[Any]]:
    """Rows of an ORM query in primary-key order, one committed-size page at a time (keyset, not OFFSET)."""
    last = None
    while True:
        page_query = query.order_by(column).limit(batch_size)
        if last is not None:
            page_query = page_query.where(column > last)
        page = list(db.session.scalars(page_query))
        if not page:
            return
        last = getattr(page[-1], column.key)
        yield page


def _count(query: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(query.subquery())) or 0)


# --- rotation ---


@dataclass
class ReindexReport:
    """Rows whose index value was rewritten, rows already right, and rows left alone because a part is unreadable."""

    rewritten: int = 0
    unchanged: int = 0
    unreadable: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class RotationReport:
    """What ``keys rotate`` did, and what is left for the operator to look at."""

    rewrapped: int = 0
    key_failures: dict[str, str] = field(default_factory=dict)
    pending: int = 0
    user_fields: int = 0
    user_failures: list[tuple[str, str, str]] = field(default_factory=list)
    reindex: ReindexReport = field(default_factory=ReindexReport)
    audit: ResealReport | None = None

    @property
    def ok(self) -> bool:
        """True when every data key, user secret, index and the audit chain is under the active master key."""
        audit_ok = self.audit is None or self.audit.chain.ok
        return (
            not self.key_failures
            and not self.pending
            and not self.user_failures
            and not self.reindex.unreadable
            and audit_ok
        )


def rotate_keys(batch_size: int = DEFAULT_BATCH, progress: Progress = _quiet) -> RotationReport:
    """Rewrap data keys, rewrite user secrets and rebuild blind indexes under the active master key; resumable."""
    report = RotationReport()
    result = rotate_data_keys(keystore(), batch_size, lambda done, total: progress("Rewrapping data keys", done, total))
    report.rewrapped, report.key_failures, report.pending = result.rewrapped, result.failed, result.pending
    report.user_fields, report.user_failures = reencrypt_user_fields(batch_size, progress)
    report.reindex = reindex_blind_indexes(batch_size, progress)
    # The audit chain last: it is checked with every configured key and sealed under the active one, so that
    # removing the old keys leaves it verifiable (docs/encryption.md, "The audit chain across a rotation").
    with transaction():
        report.audit = reseal_chain()
    return report


def _mapped_classes() -> list[type[Any]]:
    classes = [mapper.class_ for mapper in db.Model.registry.mappers]
    return sorted((cls for cls in classes if encrypted_fields(cls)), key=lambda cls: cls.__table__.name)


def _user_fields(cls: type[Any]) -> list[str]:
    return [name for name, spec in encrypted_fields(cls).items() if spec.purpose == "user"]


def reencrypt_user_fields(
    batch_size: int = DEFAULT_BATCH, progress: Progress = _quiet
) -> tuple[int, list[tuple[str, str, str]]]:
    """Rewrite user secrets under the active master key in batches; returns (rewritten, unreadable places)."""
    active = keyring().active.id
    rewritten = 0
    failures: list[tuple[str, str, str]] = []
    for cls in _mapped_classes():
        names = _user_fields(cls)
        if not names:
            continue
        table = cls.__table__.name
        query = select(cls).options(raiseload("*"))
        total, done = _count(query), 0
        progress(f"Re-encrypting {table}", 0, total)
        for page in _pages(query, sa_inspect(cls).primary_key[0], batch_size):
            stale = [obj for obj in page if any(stored_key_id(obj, name) not in (None, active) for name in names)]
            with transaction():
                for obj in stale:
                    for name in names:
                        if is_unreadable(getattr(obj, name)):
                            failures.append((table, encrypted_fields(cls)[name].column_name, str(obj.id)))
                    rewritten += reencrypt_fields([obj], names)
            done += len(page)
            progress(f"Re-encrypting {table}", done, total)
    return rewritten, failures


# --- blind indexes ---


def _store_index(table: Any, column: str, report: ReindexReport, name: str) -> Callable[[list[Any]], None]:
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values({column: bindparam("value"), "updated_at": table.c.updated_at})
    )

    def store(batch: list[tuple[tuple[Any, bytes | None], bytes | None]]) -> None:
        changes = []
        for (row_id, old), new in batch:
            if new is None:
                # Never overwrite an index because a key was unavailable: rebuild it when the row reads again.
                report.unreadable.append((name, str(row_id)))
            elif new == old:
                report.unchanged += 1
            else:
                changes.append({"row_id": row_id, "value": new})
        with transaction():
            if changes:
                db.session.execute(statement, changes)
        report.rewritten += len(changes)
        # The batch's data keys are done with; a long rebuild must not hold every client's key.
        key_provider().clear()

    return store


def reindex_blind_indexes(batch_size: int = DEFAULT_BATCH, progress: Progress = _quiet) -> ReindexReport:
    """Rebuild the name + date-of-birth and URN indexes under the active keys in batches, skipping erased clients."""
    report = ReindexReport()

    clients = (
        select(Client)
        .where(Client.erased_at.is_(None))
        .options(
            load_only(
                Client.id, Client.organisation_id, Client._family_name, Client._date_of_birth, Client.name_dob_index
            )
        )
    )
    total = _count(clients)
    progress("Rebuilding name and date-of-birth indexes", 0, total)

    def client_rows() -> Iterator[tuple[tuple[Any, bytes | None], Sequence[Any]]]:
        for page in _pages(clients, Client.id, batch_size):
            key_provider().prefetch(client.id for client in page)
            for client in page:
                yield (
                    (client.id, client.name_dob_index),
                    (client.family_name, client.date_of_birth, client.organisation_id),
                )

    # Keyed per organisation (docs/organisations.md, "Blind indexes"): each organisation's key made once.
    index_keys: dict[int, bytes] = {}

    def name_dob(parts: Sequence[Any]) -> bytes:
        family_name, date_of_birth, organisation_id = parts
        if not isinstance(date_of_birth, date):
            raise ValueError("date of birth unreadable")
        if organisation_id not in index_keys:
            index_keys[organisation_id] = organisation_index_key(organisation_id)
        return name_dob_index_under(index_keys[organisation_id], family_name, date_of_birth)

    rebuild_blind_indexes(
        client_rows(),
        name_dob,
        _store_index(Client.__table__, "name_dob_index", report, "clients"),
        batch_size=batch_size,
        progress=lambda done: progress("Rebuilding name and date-of-birth indexes", done, total),
    )

    referrals = (
        select(Referral)
        .join(Client, Client.id == Referral.client_id)
        .where(Client.erased_at.is_(None))
        .options(raiseload("*"), load_only(Referral.id, Referral.client_id, Referral._urn, Referral.urn_index))
    )
    total_referrals = _count(referrals)
    progress("Rebuilding URN indexes", 0, total_referrals)
    urn_key = keyring().derived(URN_PURPOSE)

    def referral_rows() -> Iterator[tuple[tuple[Any, bytes | None], Sequence[Any]]]:
        for page in _pages(referrals, Referral.id, batch_size):
            key_provider().prefetch(referral.client_id for referral in page)
            for referral in page:
                yield (referral.id, referral.urn_index), (referral.urn,)

    rebuild_blind_indexes(
        referral_rows(),
        lambda parts: urn_index(urn_key, parts[0]),
        _store_index(Referral.__table__, "urn_index", report, "referrals"),
        batch_size=batch_size,
        progress=lambda done: progress("Rebuilding URN indexes", done, total_referrals),
    )
    return report


# --- verification ---


@dataclass
class VerifyReport:
    """Every encrypted value read, what failed (table, column, row id) and what belongs to erased clients."""

    checked: int = 0
    rows: int = 0
    keys_failed: list[tuple[str, str]] = field(default_factory=list)
    failures: list[tuple[str, str, str]] = field(default_factory=list)
    erased_rows: int = 0
    erased_with_live_key: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every value read and every live data key unwrapped."""
        return not self.failures and not self.keys_failed and not self.erased_with_live_key


def _owner_id(obj: Any, spec: EncryptedField[Any]) -> Any:
    return obj.id if spec.client_id_attr is None else getattr(obj, spec.client_id_attr)


def verify_encryption(
    batch_size: int = DEFAULT_BATCH, progress: Progress = _quiet, on_failure: Echo | None = None
) -> VerifyReport:
    """Unwrap every live data key and decrypt every encrypted value, in batches, counting erased clients apart."""
    report = VerifyReport()
    store = keystore()
    for client_id, _reason in store.verify_all(batch_size):
        report.keys_failed.append((client_id, "data key does not unwrap"))
        if on_failure:
            on_failure(f"data key of client {client_id} does not unwrap")
    for cls in _mapped_classes():
        fields = encrypted_fields(cls)
        table = cls.__table__.name
        owner_specs = [spec for spec in fields.values() if spec.purpose == "client"]
        query = select(cls).options(raiseload("*"))
        total, done = _count(query), 0
        progress(f"Verifying {table}", 0, total)
        for page in _pages(query, sa_inspect(cls).primary_key[0], batch_size):
            owners = {_owner_id(obj, owner_specs[0]) for obj in page} if owner_specs else set()
            erased = _erased_among(owners)
            if cls is Client:
                report.erased_with_live_key.extend(_live_keys(erased))
            key_provider().prefetch(owners - erased)
            for obj in page:
                report.rows += 1
                for name, spec in fields.items():
                    if spec.purpose == "client" and _owner_id(obj, spec) in erased:
                        report.erased_rows += 1
                        continue
                    if getattr(obj, spec.attr) is None:
                        continue
                    report.checked += 1
                    if is_unreadable(getattr(obj, name)):
                        failure = (table, spec.column_name, str(obj.id))
                        report.failures.append(failure)
                        if on_failure:
                            on_failure(f"unreadable: table={failure[0]} column={failure[1]} row={failure[2]}")
            key_provider().clear()
            done += len(page)
            progress(f"Verifying {table}", done, total)
    for client_id in report.erased_with_live_key:
        if on_failure:
            on_failure(f"client {client_id} is marked erased but her data key is live")
    return report


def _erased_among(client_ids: Iterable[Any]) -> set[Any]:
    ids = list(client_ids)
    if not ids:
        return set()
    return set(db.session.scalars(select(Client.id).where(Client.id.in_(ids), Client.erased_at.is_not(None))))


def _live_keys(client_ids: Iterable[Any]) -> list[str]:
    ids = [str(client_id) for client_id in client_ids]
    if not ids:
        return []
    return sorted(cid for cid, key in keystore().unwrap_many(ids).items() if isinstance(key, bytes))


# --- orphans, restores and erasure ---


def _existing_client_ids(page: Sequence[str]) -> set[str]:
    ids = []
    for text in page:
        try:
            ids.append(uuid.UUID(text))
        except ValueError:
            continue  # not an id the app made: an orphan
    if not ids:
        return set()
    known = {str(client_id) for client_id in db.session.scalars(select(Client.id).where(Client.id.in_(ids)))}
    # A new referral's draft holds a key of its own under the draft's id (docs/drafts.md), and so does a notice
    # keeping an erased woman's URN for the CPS (docs/privacy.md): not orphans.
    keeping = {
        str(notice_id)
        for notice_id in db.session.scalars(
            select(OutcomeNotice.id).where(OutcomeNotice.id.in_(ids), OutcomeNotice.kept_until.is_not(None))
        )
    }
    return known | own_key_ids(ids) | keeping


def sweep_orphan_keys(older_than: timedelta = timedelta(days=1), max_orphans: int = 1000) -> int:
    """Delete data keys older than ``older_than`` whose client never reached the main database; returns how many."""
    return keystore().sweep_orphans(_existing_client_ids, older_than, max_orphans=max_orphans)


def erased_ids_from(lines: Iterable[str]) -> list[str]:
    """The client ids of the erasure register's ids file: one per line, ``#`` starts a comment, blank lines skipped;
    ValueError naming the line that is not an id (its text is not repeated: it may be anything)."""
    ids = []
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            ids.append(str(uuid.UUID(text)))
        except ValueError:
            raise ValueError(f"Line {number} of the ids file is not a client id.") from None
    return ids


def reapply_erasures(register: Iterable[str] = (), batch_size: int = DEFAULT_BATCH) -> tuple[int, int]:
    """Make both databases agree on who is erased after a restore; returns (keys destroyed, clients marked)."""
    store = keystore()
    shredded = set(store.shredded_client_ids())
    to_destroy = {str(uuid.UUID(client_id)) for client_id in register} - shredded
    marked_erased = select(Client).where(Client.erased_at.is_not(None)).options(load_only(Client.id))
    for page in _pages(marked_erased, Client.id, batch_size):
        to_destroy.update(_live_keys(client.id for client in page))
    destroyed = store.apply_shredded(sorted(to_destroy))
    completed = 0
    shredded_ids = sorted(shredded | to_destroy)
    for start in range(0, len(shredded_ids), batch_size):
        ids = [uuid.UUID(cid) for cid in shredded_ids[start : start + batch_size]]
        for client in db.session.scalars(select(Client).where(Client.id.in_(ids), Client.erased_at.is_(None))):
            complete_erasure(client)
            completed += 1
    return destroyed, completed

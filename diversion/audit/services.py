"""Writing audit events into the chain, and checking the chain."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import g, has_request_context
from flask_login import current_user
from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.orm.util import identity_key

from diversion.audit.models import AuditEvent, AuditHead
from diversion.db import utcnow
from diversion.extensions import db
from diversion.keyring import keyring

GENESIS_MAC = "0" * 64
HEAD_ID = 1
AUDIT_KEY_PURPOSE = "audit-chain"
# Detail values must be short ids, codes or field names; anything else is refused so a value cannot slip in.
_ALLOWED_DETAIL_TYPES = (str, int, bool, type(None))
_MAX_DETAIL_TEXT = 64


def _audit_key(key_id: str | None = None) -> tuple[str, bytes]:
    ring = keyring()
    master = ring.get(key_id) if key_id else ring.active
    return master.id, ring.derived(AUDIT_KEY_PURPOSE, master.id)


def canonical_content(event: Any) -> bytes:
    """The bytes an event's MAC covers: every column but the MAC itself, as sorted compact JSON."""
    content = {
        "id": event.id,
        "at": event.at.isoformat(timespec="microseconds"),
        "actor_id": str(event.actor_id) if event.actor_id else None,
        "actor_role": event.actor_role,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "request_id": event.request_id,
        "details": event.details,
        "key_id": event.key_id,
        "prev_mac": event.prev_mac,
    }
    # Added after the first events were written: present only when set, so earlier events keep their MACs.
    case_id = getattr(event, "case_id", None)
    if case_id is not None:
        content["case_id"] = str(case_id)
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def compute_mac(key: bytes, prev_mac: str, content: bytes) -> str:
    """HMAC-SHA-256 over the previous event's MAC and this event's canonical content."""
    return hmac.new(key, prev_mac.encode("ascii") + b"\n" + content, hashlib.sha256).hexdigest()


def compute_head_mac(key: bytes, seq: int, mac: str) -> str:
    """HMAC over the head's position and last MAC."""
    return hmac.new(key, f"head\n{seq}\n{mac}".encode("ascii"), hashlib.sha256).hexdigest()


def compute_anchor_mac(key: bytes, first_seq: int, first_prev_mac: str) -> str:
    """HMAC over where a pruned chain starts: its first event and the MAC that event follows."""
    return hmac.new(key, f"anchor\n{first_seq}\n{first_prev_mac}".encode("ascii"), hashlib.sha256).hexdigest()


def _check_details(details: dict[str, Any] | None) -> dict[str, Any] | None:
    if not details:
        return None
    clean: dict[str, Any] = {}
    for key, value in details.items():
        items = value if isinstance(value, list) else [value]
        for item in items:
            if not isinstance(item, _ALLOWED_DETAIL_TYPES):
                raise TypeError(f"audit detail {key!r} must be ids, codes or field names")
            if isinstance(item, str) and len(item) > _MAX_DETAIL_TEXT:
                raise ValueError(f"audit detail {key!r} is too long to be an id, code or field name")
        clean[str(key)] = value
    return clean


def _ensure_head() -> None:
    if db.session.get(AuditHead, HEAD_ID) is None:
        db.session.add(AuditHead(id=HEAD_ID, seq=0, mac=GENESIS_MAC))
        db.session.flush()


def _locked_head() -> AuditHead:
    """The head, locked as a writer locks it (moved on by nothing) until the transaction ends, read over whatever the
    session held."""
    _advance_head(0)
    query = select(AuditHead).where(AuditHead.id == HEAD_ID).execution_options(populate_existing=True)
    return db.session.execute(query).scalar_one()


@dataclass(frozen=True)
class _Statements:
    advance: Any
    write_head: Any
    insert: Any
    # PostgreSQL: one event and the head written by one statement (the insert as a data-modifying WITH).
    insert_one_and_write_head: Any


@functools.cache
def _statements() -> _Statements:
    """The statements every event is written with, built once (building one costs more than running it)."""
    head, events = AuditHead.__table__, AuditEvent.__table__
    at_head = head.c.id == HEAD_ID
    write_head = (
        update(head)
        .where(at_head)
        .values(mac=bindparam("mac"), key_id=bindparam("key_id"), head_mac=bindparam("head_mac"))
    )
    insert_one = insert(events).values(
        {column.key: bindparam(f"event_{column.key}", type_=column.type) for column in events.c}
    )
    return _Statements(
        advance=update(head)
        .where(at_head)
        .values(seq=head.c.seq + bindparam("count"))
        .returning(head.c.seq, head.c.mac),
        write_head=write_head,
        insert=insert(events),
        insert_one_and_write_head=write_head.add_cte(insert_one.cte("written")),
    )


def _advance_head(count: int) -> tuple[int, str]:
    """Move the head ``count`` places on, locking it until the transaction ends (the row lock on PostgreSQL, the
    write lock on SQLite, taken before the head is read, so two writers cannot both append after the same event):
    returns the new position and the MAC of the event before the first new one."""
    moved = db.session.execute(_statements().advance, {"count": count}).first()
    if moved is None:
        _ensure_head()
        return _advance_head(count)
    return int(moved.seq), str(moved.mac)


def _write_events_and_head(rows: list[dict[str, Any]], seq: int, mac: str, key_id: str, key: bytes) -> None:
    head = {"mac": mac, "key_id": key_id, "head_mac": compute_head_mac(key, seq, mac)}
    statements = _statements()
    if len(rows) == 1 and db.session.get_bind().dialect.name == "postgresql":
        # One round trip fewer while the head is locked: a case page writes exactly one event.
        db.session.execute(
            statements.insert_one_and_write_head, head | {f"event_{name}": value for name, value in rows[0].items()}
        )
    else:
        db.session.execute(statements.insert, rows)
        db.session.execute(statements.write_head, head)
    # The head was changed beneath the session: a copy it holds must be read again before use.
    held = db.session.identity_map.get(identity_key(AuditHead, HEAD_ID))
    if held is not None:
        db.session.expire(held)


@dataclass(frozen=True)
class Entry:
    """One event of a batch written by :func:`record_events`: what it is about and its details (ids and codes)."""

    object_type: str | None = None
    object_id: Any = None
    case_id: Any = None
    details: dict[str, Any] | None = None


def record_event(
    action: str,
    *,
    object_type: str | None = None,
    object_id: Any = None,
    details: dict[str, Any] | None = None,
    actor: Any = None,
    case_id: Any = None,
) -> AuditEvent:
    """Append an event to the chain in the caller's transaction (flush only; the calling service commits)."""
    return record_events(action, [Entry(object_type, object_id, case_id, details)], actor=actor)[0]


def record_events(action: str, entries: list[Entry], *, actor: Any = None) -> list[AuditEvent]:
    """Append one event per entry, in order, in the caller's transaction (flush only; the calling service commits).

    However many there are, the head is locked, read and written once and the events go in one batch: a list page
    records a read of each case it shows without a round trip per case."""
    if not entries:
        return []
    if actor is None and has_request_context() and current_user and current_user.is_authenticated:
        actor = current_user
    # Refuse a value before touching the head: a caller that catches the error must not be left with a head
    # that has moved past the last event.
    cleaned = [_check_details(entry.details) for entry in entries]
    seq, prev_mac = _advance_head(len(entries))
    key_id, key = _audit_key()
    at = utcnow()
    request_id = g.get("request_id") if has_request_context() else None
    actor_id, actor_role = (actor.id, actor.role) if actor is not None else (None, None)
    events = []
    for number, (entry, details) in enumerate(zip(entries, cleaned, strict=True), start=seq - len(entries) + 1):
        event = AuditEvent(
            id=number,
            at=at,
            actor_id=actor_id,
            actor_role=actor_role,
            action=action,
            object_type=entry.object_type,
            object_id=str(entry.object_id) if entry.object_id is not None else None,
            request_id=request_id,
            details=details,
            case_id=entry.case_id,
            key_id=key_id,
            prev_mac=prev_mac,
            mac="",
        )
        event.mac = prev_mac = compute_mac(key, prev_mac, canonical_content(event))
        events.append(event)
    # Written as rows, not through the unit of work: the events are never changed once written, and the head's lock
    # is held for less time. The returned events are for reading only.
    columns = AuditEvent.__table__.c
    rows = [{column.key: getattr(event, column.key) for column in columns} for event in events]
    _write_events_and_head(rows, seq, prev_mac, key_id, key)
    return events


@dataclass
class ChainReport:
    """The outcome of checking the chain."""

    ok: bool
    checked: int
    bad_event_id: int | None = None
    problem: str | None = None


GENESIS_DIGEST = "0" * 64


def start_digest(first_seq: int, first_prev_mac: str) -> str:
    """Where the running digest starts when nothing earlier is summed up: bound to the chain's first event and the
    MAC it follows, which the anchor (or, without pruning, the genesis MAC) fixes."""
    if first_seq <= 1 and first_prev_mac == GENESIS_MAC:
        return GENESIS_DIGEST
    return hashlib.sha256(f"start\n{first_seq}\n{first_prev_mac}".encode("ascii")).hexdigest()


def next_digest(digest: str, mac: str, content: bytes) -> str:
    """The running digest after one more event: SHA-256 over the digest so far, the event's MAC and its content.

    It has no key, so anyone can recompute it; what makes it worth anything is the seal, an HMAC over its value
    under a configured key. Changing any sealed event changes the digest, and the seal cannot be remade without
    the key."""
    return hashlib.sha256(digest.encode("ascii") + b"\n" + mac.encode("ascii") + b"\n" + content).hexdigest()


def compute_seal_mac(key: bytes, seal_seq: int, mac: str, digest: str) -> str:
    """HMAC over the seal: the last event it covers, that event's MAC and the running digest up to it."""
    return hmac.new(key, f"seal\n{seal_seq}\n{mac}\n{digest}".encode("ascii"), hashlib.sha256).hexdigest()


def compute_anchor_mac_for(key: bytes, head: AuditHead) -> str:
    """The anchor's MAC: over where the chain starts and, when the head keeps one, the digest before that start."""
    mac = compute_anchor_mac(key, head.first_seq, head.first_prev_mac or "")
    if head.first_digest is None:
        return mac
    return hmac.new(key, f"{mac}\n{head.first_digest}".encode("ascii"), hashlib.sha256).hexdigest()


class _Keys:
    """Derived audit keys by master key id, each derived once per walk; None for a key that is not configured."""

    def __init__(self) -> None:
        self._keys: dict[str, bytes | None] = {}

    def get(self, key_id: str | None) -> bytes | None:
        key_id = key_id or ""
        if key_id not in self._keys:
            try:
                self._keys[key_id] = _audit_key(key_id)[1] if key_id else None
            except Exception:  # noqa: BLE001 - an unknown key id is a finding, not a crash
                self._keys[key_id] = None
        return self._keys[key_id]


class _Walk:
    """One pass along the chain in order, from its (signed) start: checks each event's place, link and MAC, keeps
    the running digest, and checks the seal when it reaches the event the seal ends at.

    An event under a master key that is no longer configured is accepted only inside the seal: its MAC cannot be
    checked any more, but its content and MAC are in the digest the seal vouches for."""

    def __init__(self, head: AuditHead | None, keys: _Keys) -> None:
        self.keys = keys
        self.head = head
        self.expected_id, self.prev_mac = 1, GENESIS_MAC
        self.digest = GENESIS_DIGEST
        self.checked = 0
        self.last_id = 0
        self.failure: ChainReport | None = None
        self.seal_seq: int | None = None
        self.first_seq = 1
        # The first event whose MAC could not be checked, for the report if the seal then fails.
        self.unchecked_from: int | None = None
        # Where the walk started from, to see whether the start or the seal moved while it was reading.
        self.started_at = (head.first_seq, head.seal_seq) if head is not None else None
        if head is None:
            return
        if (head.first_seq or 1) > 1:
            # Events before first_seq were deleted after their retention period; the signed anchor says where the
            # chain now starts, so deleting more (or un-deleting) shows.
            anchor_key = keys.get(head.anchor_key_id)
            if anchor_key is None:
                self.failure = ChainReport(False, 0, None, "the chain's start names a key that is not configured")
                return
            expected = compute_anchor_mac_for(anchor_key, head)
            if not head.anchor_mac or not hmac.compare_digest(expected, head.anchor_mac):
                self.failure = ChainReport(False, 0, None, "the start of the chain was altered")
                return
            self.expected_id, self.prev_mac = head.first_seq, head.first_prev_mac or ""
            self.digest = head.first_digest or start_digest(head.first_seq, self.prev_mac)
        self.first_seq = self.expected_id
        if head.seal_seq is not None and head.seal_seq >= self.expected_id:
            if keys.get(head.seal_key_id) is None:
                self.failure = ChainReport(False, 0, None, "the seal names a key that is not configured")
                return
            self.seal_seq = head.seal_seq

    def feed(self, event: Any) -> bool:
        """Take the next event; False (with ``failure`` set) at the first problem."""
        if event.id != self.expected_id:
            bad = self.expected_id if event.id > self.expected_id else event.id
            problem = f"event {self.expected_id} is missing or out of place (found {event.id})"
            return self._fail(bad, problem)
        if event.prev_mac != self.prev_mac:
            return self._fail(event.id, "does not follow the event before it")
        content = canonical_content(event)
        key = self.keys.get(event.key_id)
        if key is None:
            if self.seal_seq is None or event.id > self.seal_seq:
                return self._fail(event.id, "names a key that is not configured")
            if self.unchecked_from is None:
                self.unchecked_from = event.id
        elif not hmac.compare_digest(compute_mac(key, self.prev_mac, content), event.mac):
            return self._fail(event.id, "content does not match its MAC (edited or forged)")
        self.digest = next_digest(self.digest, event.mac, content)
        self.prev_mac = event.mac
        if event.id == self.seal_seq and not self._seal_holds():
            return self._fail(
                self.unchecked_from or event.id,
                f"events up to {event.id} do not match the seal made when the audit key was rotated (edited or forged)",
            )
        self.expected_id += 1
        self.checked += 1
        self.last_id = event.id
        return True

    def _seal_holds(self) -> bool:
        head = self.head
        key = self.keys.get(head.seal_key_id) if head is not None else None
        if head is None or head.seal_seq is None or key is None or not head.seal_mac:
            return False
        return hmac.compare_digest(compute_seal_mac(key, head.seal_seq, self.prev_mac, self.digest), head.seal_mac)

    def _fail(self, event_id: int | None, problem: str) -> bool:
        self.failure = ChainReport(False, self.checked, event_id, problem)
        return False

    def run(self, batch_size: int, up_to: int | None = None) -> bool:
        """Feed every event after the last one fed (up to ``up_to`` when given), in batches of ``batch_size``."""
        table = AuditEvent.__table__
        while self.failure is None:
            query = select(table).where(table.c.id > self.last_id)
            if up_to is not None:
                query = query.where(table.c.id <= up_to)
            rows = db.session.execute(query.order_by(table.c.id).limit(batch_size)).all()
            if not rows:
                break
            for event in rows:
                if not self.feed(event):
                    break
        return self.failure is None

    def finish(self) -> ChainReport:
        """The report once every event has been fed: the head must name the last event, under a configured key."""
        if self.failure is not None:
            return self.failure
        head = self.head
        head_seq = head.seq if head else 0
        last_seq = self.first_seq - 1 + self.checked
        if head_seq != last_seq or (head is not None and head.mac != self.prev_mac):
            return ChainReport(
                False, self.checked, last_seq + 1, f"the chain ends at event {last_seq} but its head says {head_seq}"
            )
        if self.seal_seq is not None and self.seal_seq > last_seq:
            return ChainReport(False, self.checked, None, "the seal names an event past the end of the chain")
        if head is not None and head.seq:
            key = self.keys.get(head.key_id)
            if key is None:
                return ChainReport(False, self.checked, None, "the head names a key that is not configured")
            if not head.head_mac or not hmac.compare_digest(compute_head_mac(key, head.seq, head.mac), head.head_mac):
                return ChainReport(False, self.checked, None, "the head of the chain was altered")
        return ChainReport(True, self.checked)


def verify_chain(batch_size: int = 5000) -> ChainReport:
    """Walk the chain in order; name the first event that was edited, deleted, inserted, reordered or cut off."""
    walk = _Walk(db.session.get(AuditHead, HEAD_ID), _Keys())
    walk.run(batch_size)
    return walk.finish()


@dataclass
class ResealReport:
    """What re-keying the audit chain did: the chain's check, and the event the new seal ends at (None: no seal
    was needed, everything already verifies under the active key alone)."""

    chain: ChainReport
    sealed_to: int | None = None


def _needs_seal(head: AuditHead | None, active: str) -> bool:
    """True when verifying the chain would need a master key other than the active one."""
    if head is None or not head.seq:
        return False
    if (head.first_seq or 1) > 1 and head.anchor_key_id != active:
        return True
    covered = head.seal_seq if head.seal_key_id == active and head.seal_seq is not None else 0
    table = AuditEvent.__table__
    query = select(table.c.id).where(table.c.id > covered, table.c.key_id != active).limit(1)
    return head.key_id != active or db.session.scalar(query) is not None


def reseal_chain(batch_size: int = 5000) -> ResealReport:
    """Put the audit chain under the active master key, in the caller's transaction, so that the old keys can go.

    The chain is first checked with every configured key, MAC by MAC: only a chain that verifies is sealed. The seal
    is an HMAC under the active key over the last event and the running digest of every event's content and MAC, so
    after the old keys are removed ``audit verify`` recomputes the digest and checks the seal instead of the old
    MACs. The anchor of a pruned chain is signed again under the active key, and an ``audit.resealed`` event under
    it moves the head on. Nothing is sealed when nothing needs the old keys, so running it again does nothing.

    The chain is read once without the head's lock (writers carry on meanwhile), then the few events written since
    are read under the lock, which is held only for those and the writes."""
    active, key = _audit_key()
    if not _needs_seal(db.session.get(AuditHead, HEAD_ID), active):
        return ResealReport(verify_chain(batch_size))
    keys = _Keys()
    walk = _Walk(db.session.get(AuditHead, HEAD_ID), keys)
    walk.run(batch_size)
    if walk.failure is not None:
        return ResealReport(walk.failure)
    head = _locked_head()
    # Retention may have moved the start, or another run sealed, while the chain was read unlocked: walk it again.
    if walk.started_at != (head.first_seq, head.seal_seq):
        walk = _Walk(head, keys)
    walk.head = head
    walk.run(batch_size, up_to=head.seq)
    report = walk.finish()
    if not report.ok:
        return ResealReport(report)
    if (head.first_seq or 1) > 1:
        head.anchor_key_id = active
        head.anchor_mac = compute_anchor_mac_for(key, head)
    head.seal_seq, head.seal_digest, head.seal_key_id = head.seq, walk.digest, active
    head.seal_mac = compute_seal_mac(key, head.seq, head.mac, walk.digest)
    db.session.flush()
    sealed_to = head.seq
    record_event("audit.resealed", object_type="audit_chain", details={"key_id": active, "sealed_to": sealed_to})
    return ResealReport(report, sealed_to)


def prune_before(cutoff: datetime) -> int:
    """Delete the events written before ``cutoff`` from the start of the chain and re-anchor it (in the caller's
    transaction). Only a run of events from the start goes: the chain's order is its time order. Returns how many."""
    # Lock the head first, as a writer does, so nothing is appended while the start moves.
    head = _locked_head()
    table = AuditEvent.__table__
    first_kept = db.session.scalar(select(func.min(table.c.id)).where(table.c.at >= cutoff))
    last_gone = (first_kept - 1) if first_kept is not None else head.seq
    if last_gone < (head.first_seq or 1):
        return 0
    last_mac = db.session.scalar(select(table.c.mac).where(table.c.id == last_gone))
    if last_mac is None:
        raise ValueError("the audit chain has a gap where events would be pruned: run audit verify")
    first_digest = None
    if head.seal_seq is not None and head.seal_seq > last_gone:
        # The seal sums up events that are about to go: keep the digest up to the last of them, so the seal can
        # still be checked from the new start. (An event edited before it went changes this digest, and the seal
        # then fails, so pruning cannot launder an edit.)
        first_digest = head.first_digest or start_digest(head.first_seq or 1, head.first_prev_mac or GENESIS_MAC)
        gone = select(table).where(table.c.id >= (head.first_seq or 1), table.c.id <= last_gone).order_by(table.c.id)
        for event in db.session.execute(gone):
            first_digest = next_digest(first_digest, event.mac, canonical_content(event))
    else:
        # Nothing sealed is kept: the seal has done its work.
        head.seal_seq = head.seal_digest = head.seal_key_id = head.seal_mac = None
    deleted = db.session.execute(delete(table).where(table.c.id <= last_gone)).rowcount or 0
    key_id, key = _audit_key()
    head.first_seq = last_gone + 1
    head.first_prev_mac = last_mac
    head.first_digest = first_digest
    head.anchor_key_id = key_id
    head.anchor_mac = compute_anchor_mac_for(key, head)
    db.session.flush()
    return int(deleted)


def new_request_id() -> str:
    """A fresh request id."""
    return uuid.uuid4().hex

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


def verify_chain(batch_size: int = 5000) -> ChainReport:
    """Walk the chain in order; name the first event that was edited, deleted, inserted, reordered or cut off."""
    keys: dict[str, bytes] = {}

    def key_for(key_id: str) -> bytes:
        if key_id not in keys:
            keys[key_id] = _audit_key(key_id)[1]
        return keys[key_id]

    head = db.session.get(AuditHead, HEAD_ID)
    expected_id, prev_mac = 1, GENESIS_MAC
    if head is not None and (head.first_seq or 1) > 1:
        # Events before first_seq were deleted after their retention period; the signed anchor says where the
        # chain now starts, so deleting more (or un-deleting) shows.
        try:
            anchor_key = key_for(head.anchor_key_id or "")
        except Exception:  # noqa: BLE001 - an unknown key id is a finding, not a crash
            return ChainReport(False, 0, None, "the chain's start names a key that is not configured")
        expected_mac = compute_anchor_mac(anchor_key, head.first_seq, head.first_prev_mac or "")
        if not head.anchor_mac or not hmac.compare_digest(expected_mac, head.anchor_mac):
            return ChainReport(False, 0, None, "the start of the chain was altered")
        expected_id, prev_mac = head.first_seq, head.first_prev_mac or ""
    first_seq = expected_id
    checked = 0
    last_id = 0
    while True:
        table = AuditEvent.__table__
        rows = db.session.execute(
            select(table).where(table.c.id > last_id).order_by(table.c.id).limit(batch_size)
        ).all()
        if not rows:
            break
        for event in rows:
            if event.id != expected_id:
                return ChainReport(
                    False,
                    checked,
                    expected_id if event.id > expected_id else event.id,
                    f"event {expected_id} is missing or out of place (found {event.id})",
                )
            if event.prev_mac != prev_mac:
                return ChainReport(False, checked, event.id, "does not follow the event before it")
            try:
                key = key_for(event.key_id)
            except Exception:  # noqa: BLE001 - an unknown key id is a finding, not a crash
                return ChainReport(False, checked, event.id, "names a key that is not configured")
            if not hmac.compare_digest(compute_mac(key, prev_mac, canonical_content(event)), event.mac):
                return ChainReport(False, checked, event.id, "content does not match its MAC (edited or forged)")
            prev_mac = event.mac
            expected_id += 1
            checked += 1
            last_id = event.id
    head_seq = head.seq if head else 0
    last_seq = first_seq - 1 + checked
    if head_seq != last_seq or (head is not None and head.mac != prev_mac):
        return ChainReport(
            False, checked, last_seq + 1, f"the chain ends at event {last_seq} but its head says {head_seq}"
        )
    if head is not None and head.seq:
        try:
            key = key_for(head.key_id or "")
        except Exception:  # noqa: BLE001
            return ChainReport(False, checked, None, "the head names a key that is not configured")
        if not head.head_mac or not hmac.compare_digest(compute_head_mac(key, head.seq, head.mac), head.head_mac):
            return ChainReport(False, checked, None, "the head of the chain was altered")
    return ChainReport(True, checked)


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
    deleted = db.session.execute(delete(table).where(table.c.id <= last_gone)).rowcount or 0
    key_id, key = _audit_key()
    head.first_seq = last_gone + 1
    head.first_prev_mac = last_mac
    head.anchor_key_id = key_id
    head.anchor_mac = compute_anchor_mac(key, head.first_seq, last_mac)
    db.session.flush()
    return int(deleted)


def new_request_id() -> str:
    """A fresh request id."""
    return uuid.uuid4().hex

"""Audit events and the head of their chain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from diversion.db import UTCDateTime
from diversion.extensions import db


class AuditEvent(db.Model):
    """One thing that happened: who, when, what, to which object. Ids and field names only, never values.

    ``id`` is the event's position in the chain (1, 2, 3...), assigned from the head row, not by the database, so a
    gap or a reordering shows. ``mac`` is an HMAC over ``prev_mac`` and the event's canonical content, keyed from
    the master key material (``key_id`` names which), so nobody with only the database can forge an event.
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True, index=True)
    actor_role: Mapped[str | None] = mapped_column(String(16), nullable=True)
    action: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    object_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    object_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    # The case an event belongs to, for the case's timeline and "who has viewed this case".
    case_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True, index=True)
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    key_id: Mapped[str] = mapped_column(String(32), nullable=False)
    prev_mac: Mapped[str] = mapped_column(String(64), nullable=False)
    mac: Mapped[str] = mapped_column(String(64), nullable=False)


class AuditHead(db.Model):
    """The one row that says where the chain ends; updating it first serialises writers of the chain."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    mac: Mapped[str] = mapped_column(String(64), nullable=False)
    key_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # HMAC over (seq, mac), so the head cannot be wound back to an earlier event without the key.
    head_mac: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Where the chain now starts, once events past their retention period have been deleted from its beginning:
    # the first event kept and the MAC of the last one deleted, under an HMAC so the start cannot be moved later
    # (hiding deleted events) without the key. Without pruning: event 1 after the genesis MAC, and no anchor MAC.
    first_seq: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    first_prev_mac: Mapped[str | None] = mapped_column(String(64), nullable=True)
    anchor_key_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    anchor_mac: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The running SHA-256 digest of the chain just before first_seq, when a seal (below) reaches past a pruned start;
    # otherwise NULL and the digest starts from first_seq and first_prev_mac alone. Covered by anchor_mac.
    first_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The seal made when the audit key was rotated (docs/encryption.md, "The audit chain across a rotation"): the
    # chain up to event seal_seq, summed up by a keyless running digest of every event's content and MAC, vouched
    # for by an HMAC under the new key. Events before it may then name a master key that is no longer configured.
    seal_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    seal_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    seal_key_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    seal_mac: Mapped[str | None] = mapped_column(String(64), nullable=True)

"""Claiming a one-time key before a request runs, remembering its answer after, and sweeping expired keys.

The rules (docs/idempotency.md): a key is one user's; the first request with it runs, holding the key "in progress";
a repeat while it runs is busy (409), a repeat after it answered gets that answer again, a repeat with a different
request is a mismatch (422). A refused request (4xx) or one that failed releases its key, since it changed nothing.
Keys expire after ``IDEMPOTENCY_KEEP`` (24 hours); an in-progress key older than ``IDEMPOTENCY_ABANDONED_AFTER``
(5 minutes) was abandoned by a request that died, and the next request with it runs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from diversion.db import transaction, utcnow
from diversion.extensions import db
from diversion.idempotency.models import KEY_MAX, IdempotencyKey

KEEP = timedelta(hours=24)
ABANDONED_AFTER = timedelta(minutes=5)
BAD_KEY = f"Must be 1 to {KEY_MAX} printable ASCII characters"

Outcome = Literal["run", "replay", "busy", "mismatch"]


def keep_for() -> timedelta:
    return current_app.config.get("IDEMPOTENCY_KEEP", KEEP)


def abandoned_after() -> timedelta:
    return current_app.config.get("IDEMPOTENCY_ABANDONED_AFTER", ABANDONED_AFTER)


def valid_key(key: str | None) -> bool:
    """1 to 255 printable ASCII characters (space to tilde)."""
    return key is not None and 0 < len(key) <= KEY_MAX and all(" " <= char <= "~" for char in key)


def canonical_body(body: bytes) -> bytes:
    """A JSON body with its keys sorted and no spacing, so the same object sent twice is the same request however
    it was written; any other body as it came."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return body
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def fingerprint(method: str, path: str, body: bytes) -> str:
    """HMAC-SHA256, under a key of the service, of the method, the path and the canonical body: the request is
    recognised, never kept, and a body as small as a family name and a date of birth cannot be guessed from it by
    anyone holding the database alone."""
    digest = hmac.new(_fingerprint_key(), digestmod=hashlib.sha256)
    for part in (method.upper().encode("ascii"), path.encode("utf-8"), canonical_body(body)):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _fingerprint_key() -> bytes:
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    return hmac.new(secret, b"idempotency-fingerprint", hashlib.sha256).digest()


@dataclass(frozen=True)
class Claim:
    """What to do with a request carrying a key: run it (holding the key ``key_id``), answer it again from
    ``key_id``, or refuse it (busy, mismatch)."""

    outcome: Outcome
    key_id: uuid.UUID | None = None


def claim(user_id: uuid.UUID, key: str, print_: str) -> Claim:
    """Hold ``key`` for one request of ``user_id`` with fingerprint ``print_``, or say why not. Committed at once, so
    a concurrent repeat sees the key in progress."""
    now = utcnow()
    try:
        with transaction():
            row = db.session.scalar(
                select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
            )
            if row is not None and row.expires_at <= now:
                db.session.delete(row)
                db.session.flush()
                row = None
            if row is None:
                row = IdempotencyKey(
                    user_id=user_id, key=key, fingerprint=print_, started_at=now, expires_at=now + keep_for()
                )
                db.session.add(row)
                db.session.flush()
                return Claim("run", row.id)
            if row.fingerprint != print_:
                return Claim("mismatch", row.id)
            if row.status is not None:
                return Claim("replay", row.id)
            if row.started_at > now - abandoned_after():
                return Claim("busy", row.id)
            # Abandoned by a request that never finished: the first to take it over runs, any other is busy.
            taken = db.session.execute(
                update(IdempotencyKey)
                .where(
                    IdempotencyKey.id == row.id,
                    IdempotencyKey.status.is_(None),
                    IdempotencyKey.started_at == row.started_at,
                )
                .values(started_at=now, expires_at=now + keep_for())
                .execution_options(synchronize_session=False)
            )
            return Claim("run", row.id) if taken.rowcount == 1 else Claim("busy", row.id)
    except IntegrityError:
        # Another request with the same key was inserted between our read and our insert.
        return Claim("busy")


def complete(
    key_id: uuid.UUID,
    *,
    status: int,
    location: str | None,
    content_type: str | None = None,
    body: bytes | None = None,
    referral_id: uuid.UUID | None = None,
    client_id: uuid.UUID | None = None,
) -> None:
    """Remember the answer of the request that held ``key_id``: the body only encrypted under her data key, and only
    for an answer about a case (models.IdempotencyKey)."""
    with transaction():
        row = db.session.get(IdempotencyKey, key_id)
        if row is None:
            return
        row.status = status
        row.location = location[:2000] if location else None
        row.content_type = content_type[:100] if content_type else None
        row.referral_id = referral_id
        row.completed_at = utcnow()
        if body is None or client_id is None:
            return  # a form's save (where it went is all a repeat needs), or an answer about no case
        row.client_id = client_id
        row.answer = body.decode("utf-8", errors="replace")


def release(key_id: uuid.UUID) -> None:
    """Forget a key whose request was refused or failed: it changed nothing, so a retry runs again."""
    with transaction():
        db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == key_id, IdempotencyKey.status.is_(None)))


def find(user_id: uuid.UUID, key: str) -> IdempotencyKey | None:
    """The user's unexpired key, if any."""
    return db.session.scalar(
        select(IdempotencyKey).where(
            IdempotencyKey.user_id == user_id, IdempotencyKey.key == key, IdempotencyKey.expires_at > utcnow()
        )
    )


def remembered(key_id: uuid.UUID) -> IdempotencyKey | None:
    return db.session.get(IdempotencyKey, key_id)


def answer_text(row: IdempotencyKey) -> Any:
    """The remembered body: None when none was kept, the unreadable marker when her data key was destroyed."""
    return row.answer if row.client_id is not None else None


def sweep_expired(now: datetime | None = None) -> int:
    """Delete every key past its expiry; returns how many."""
    moment = now or utcnow()
    with transaction():
        result = db.session.execute(
            delete(IdempotencyKey)
            .where(IdempotencyKey.expires_at <= moment)
            .execution_options(synchronize_session=False)
        )
    return result.rowcount or 0

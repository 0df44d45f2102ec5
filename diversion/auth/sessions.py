"""Server-side session records: a fresh one at each sign-in, idle and absolute timeouts, and ending them all."""

from __future__ import annotations

import functools
import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Select, bindparam, select, update

from diversion.auth.models import User, UserSession
from diversion.db import utcnow
from diversion.extensions import db

# Touch last_seen_at at most this often, so a page with many requests does not write on each one.
TOUCH_INTERVAL = timedelta(seconds=60)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "ignore")).hexdigest()


def start_session(user: User) -> str:
    """Create a session record and return its token for the cookie (flush only)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(UserSession(id=_hash(token), user_id=user.id, created_at=now, last_seen_at=now))
    db.session.flush()
    return token


def session_problem(record: UserSession | None, now: datetime) -> str | None:
    """Why a session may no longer be used: ended, idle or expired; None when it is live."""
    if record is None or record.ended_at is not None:
        return "ended"
    config = current_app.config
    if now - record.created_at > config["SESSION_ABSOLUTE_TIMEOUT"]:
        return "expired"
    if now - record.last_seen_at > config["SESSION_IDLE_TIMEOUT"]:
        return "idle"
    return None


@functools.cache
def _session_and_user() -> Select[tuple[UserSession, User]]:
    # Built once: every signed-in request runs it, and building a statement costs more than looking it up.
    return (
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.id == bindparam("session_id"))
    )


def user_for_session(token: str | None, user_id: str | None) -> tuple[User | None, str | None]:
    """The live user for a cookie's session token, and why not when there is none. Commits its own small writes."""
    if not token or not user_id:
        return None, None
    # The session and its user in one round trip: every signed-in request starts here.
    found = db.session.execute(_session_and_user(), {"session_id": _hash(token)}).first()
    record, user = found if found is not None else (None, None)
    now = utcnow()
    problem = session_problem(record, now)
    if record is None or str(record.user_id) != user_id:
        return None, "ended"
    if problem:
        if record.ended_at is None:
            record.ended_at, record.ended_reason = now, problem
            db.session.commit()
        return None, problem
    if user is None or user.is_disabled:
        return None, "ended"
    if now - record.last_seen_at > TOUCH_INTERVAL:
        record.last_seen_at = now
        db.session.commit()
    return user, None


def end_session(token: str | None, reason: str) -> None:
    """End one session (flush only)."""
    if token:
        db.session.execute(
            update(UserSession)
            .where(UserSession.id == _hash(token), UserSession.ended_at.is_(None))
            .values(ended_at=utcnow(), ended_reason=reason)
        )


def end_all_sessions(user_id: uuid.UUID, reason: str) -> int:
    """End every live session of a user (flush only); returns how many were ended."""
    result = db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow(), ended_reason=reason)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def live_session_count(user_id: uuid.UUID) -> int:
    """How many sessions of the user have not ended (timeouts are applied when a session is next used)."""
    return len(
        db.session.scalars(
            select(UserSession.id).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        ).all()
    )

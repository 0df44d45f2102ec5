"""API bearer tokens: made at random, shown once, stored as SHA-256 hashes, revoked with their user."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select, update

from diversion.audit.services import record_event
from diversion.auth.models import ApiToken, User
from diversion.db import transaction, utcnow
from diversion.extensions import db

TOKEN_PREFIX = "dvn_"  # noqa: S105 - a visible prefix, not a secret


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "ignore")).hexdigest()


TOKEN_NAME_MAX = 60


def clean_token_name(name: str | None) -> str:
    """A token's name as stored and shown: runs of whitespace made one space, at most ``TOKEN_NAME_MAX`` long."""
    return " ".join((name or "").split())[:TOKEN_NAME_MAX]


def create_api_token(user: User, actor: User | None = None, *, name: str = "") -> str:
    """Make a token for the user and return it; only its hash is stored, so this is the one time it is seen."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    name = clean_token_name(name)
    with transaction():
        token = ApiToken(user_id=user.id, token_hash=_hash(raw), prefix=raw[: len(TOKEN_PREFIX) + 4], name=name)
        db.session.add(token)
        db.session.flush()
        record_event("api_token.created", object_type="api_token", object_id=token.id, actor=actor or user)
    return raw


def user_for_token(raw: str) -> User | None:
    """The active user a bearer token belongs to, or None for an unknown, revoked or disabled one."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 128:
        return None
    token = db.session.scalars(
        select(ApiToken).where(ApiToken.token_hash == _hash(raw), ApiToken.revoked_at.is_(None))
    ).first()
    if token is None or token.user.is_disabled:
        return None
    now = utcnow()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        token.last_used_at = now
        db.session.commit()
    return token.user


def revoke_all_tokens(user: User) -> int:
    """Revoke every live token of a user (flush only)."""
    result = db.session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)).values(revoked_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def revoke_token(user: User, token_id: object) -> bool:
    """Revoke one of the user's own tokens; False when it is not theirs or already revoked."""
    with transaction():
        token = db.session.scalars(
            select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        ).first()
        if token is None:
            return False
        token.revoked_at = utcnow()
        record_event("api_token.revoked", object_type="api_token", object_id=token.id, actor=user)
    return True


def tokens_of(user: User) -> list[ApiToken]:
    """The user's tokens, newest first."""
    return list(
        db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc()))
    )

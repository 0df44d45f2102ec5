"""Keeping, reading, using and expiring drafts (docs/drafts.md).

A draft is one author's copy of what she typed into one form, taken from the form's own fields only (never the CSRF
token or the one-time key), stored as JSON encrypted under her data key, or under a key of its own for a new
referral. It is read back only by its author, offered when she opens the form again, and gone when the form is
saved, when she discards it, or ``DRAFT_EXPIRY`` (7 days) after it was last saved.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from diversion.crypto.fields import is_unreadable
from diversion.db import transaction, utcnow
from diversion.drafts.models import Draft
from diversion.errors import ValidationFailed
from diversion.extensions import db
from diversion.keyring import key_provider, keystore

EXPIRY = timedelta(days=7)
# Never part of a draft: the CSRF token belongs to the session, the one-time key to one rendering of the page.
NEVER_KEPT = frozenset({"csrf_token", "one_time_key"})
# The longest draft kept, in characters of JSON: well above the longest form (the 12-domain assessment with every
# note at its limit), well below what would let a page fill the database.
MAX_CHARACTERS = 200_000
FORMAT = 1

Values = dict[str, list[str]]


def expiry() -> timedelta:
    return current_app.config.get("DRAFT_EXPIRY", EXPIRY)


def values_from(field_names: Iterable[str], formdata: Any, exclude: Iterable[str] = ()) -> Values:
    """The values of the form's own fields in ``formdata``: a field's name, or its name followed by "-" (a date's
    day, month and year). Anything else the request carried is dropped."""
    skipped = NEVER_KEPT | set(exclude)
    kept = [name for name in field_names if name not in skipped]
    values: Values = {}
    for key in formdata:
        if any(key == name or key.startswith(f"{name}-") for name in kept):
            values[key] = [str(value) for value in formdata.getlist(key)]
    return values


def find(author_id: uuid.UUID, kind: str, target: str) -> Draft | None:
    """The author's live draft of this form, or None. An expired one is discarded on the way."""
    draft = db.session.scalar(
        select(Draft).where(Draft.author_id == author_id, Draft.kind == kind, Draft.target == target)
    )
    if draft is not None and draft.expires_at <= utcnow():
        discard(draft)
        return None
    return draft


def values_of(draft: Draft) -> Values | None:
    """What the draft holds, or None when it cannot be read (her record erased, a key gone)."""
    text = draft.payload
    if text is None or is_unreadable(text):
        return None
    try:
        stored = json.loads(text)
        values = stored["fields"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(values, dict):
        return None
    return {str(key): [str(v) for v in value] for key, value in values.items() if isinstance(value, list)}


def save(
    author_id: uuid.UUID, kind: str, target: str, client_id: uuid.UUID | None, values: Mapping[str, list[str]]
) -> Draft:
    """Keep ``values`` as the author's draft of this form, replacing the one before; ValidationFailed when too long."""
    text = json.dumps({"format": FORMAT, "fields": dict(values)}, ensure_ascii=False, separators=(",", ":"))
    if len(text) > MAX_CHARACTERS:
        raise ValidationFailed("This draft is too long to keep. Save the form instead.")
    now = utcnow()
    for _attempt in range(2):
        draft = find(author_id, kind, target)
        try:
            with transaction(expire=False):
                if draft is None:
                    draft = Draft(author_id=author_id, kind=kind, target=target, client_id=client_id)
                    if client_id is None:
                        # A new referral's draft: a data key of its own, committed to the key store first (an
                        # unused one is an orphan the key sweep removes).
                        key_provider().new_client_key(draft.id)
                    db.session.add(draft)
                draft.payload = text
                draft.saved_at = now
                draft.expires_at = now + expiry()
        except IntegrityError:
            # The same author's other tab made the draft at the same moment: save over that one.
            continue
        return draft
    raise ValidationFailed("The draft could not be saved. Try again.")


def discard(draft: Draft) -> None:
    """Delete a draft; a new referral's draft has its own key destroyed first, so what it held is gone for good."""
    if draft.has_own_key:
        keystore().destroy(draft.id)
        key_provider().cache.forget(draft.id)
    with transaction():
        db.session.execute(delete(Draft).where(Draft.id == draft.id).execution_options(synchronize_session=False))
    if draft in db.session:
        db.session.expunge(draft)


def used(author_id: uuid.UUID, kind: str, target: str) -> None:
    """The form was saved: its draft, if any, has done its job (an expired one is discarded by ``find`` itself)."""
    draft = find(author_id, kind, target)
    if draft is not None:
        discard(draft)


def sweep_expired(now: datetime | None = None) -> int:
    """Discard every draft past its expiry (destroying new referrals' own keys); returns how many."""
    moment = now or utcnow()
    count = 0
    while batch := list(db.session.scalars(select(Draft).where(Draft.expires_at <= moment).limit(500))):
        for draft in batch:
            discard(draft)
            count += 1
    return count


def forget_client(client_id: uuid.UUID) -> None:
    """Drop every draft about a client (her erasure); the caller commits. Her key is destroyed with her."""
    db.session.execute(delete(Draft).where(Draft.client_id == client_id).execution_options(synchronize_session=False))


def own_key_ids(ids: Iterable[uuid.UUID]) -> set[str]:
    """Which of ``ids`` are drafts holding a key of their own (so their key is not an orphan)."""
    wanted = list(ids)
    if not wanted:
        return set()
    return {
        str(draft_id)
        for draft_id in db.session.scalars(select(Draft.id).where(Draft.id.in_(wanted), Draft.client_id.is_(None)))
    }

"""Erasing a client by crypto-shredding: her data key is destroyed, so every encrypted field of hers is unreadable
everywhere, in backups of the main database too, while the plain columns that reports count stay.

Her blind-index values go as well: the name + date-of-birth bucket is set to NULL, and each of her referrals' URN
index is overwritten with random bytes (the column backs the one-open-case rule and is NOT NULL; random bytes
match no URN). The free-text reason is not stored anywhere, since it may describe her: only a reason *code* reaches
the audit log.
"""

from __future__ import annotations

import os
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update

from diversion.audit.services import record_event
from diversion.clients.models import Client
from diversion.crypto.fields import encrypted_fields
from diversion.db import transaction, utcnow
from diversion.drafts.services import forget_client
from diversion.errors import Conflict, InvalidTransition, ValidationFailed
from diversion.extensions import db
from diversion.keyring import key_provider, keystore
from diversion.notices.services import forget_stale_kept, keep_for_cps
from diversion.referrals.models import OPEN_STATES, Referral

# Reasons recorded as themselves in the audit log; any other reason is recorded as "other" and not kept.
REASON_CODES = frozenset({"erasure_request", "retention", "duplicate", "created_in_error"})
MAX_REASON = 2000


def reason_code(reason: str) -> str:
    """The audit code for an erasure reason: the reason itself when it is a known code, else "other"."""
    text = reason.strip().lower()
    return text if text in REASON_CODES else "other"


def erase_client(client: Client, reason: str, actor: Any = None) -> None:
    """Crypto-shred a client: destroy her data key and her index values, keep the plain columns; audited."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give the reason for erasing her record"), {"reason": _("Enter the reason")})
    if len(reason) > MAX_REASON:
        raise ValidationFailed(
            _("The reason must be %(max)s characters or fewer", max=MAX_REASON), {"reason": _("Too long")}
        )
    if client.is_erased:
        raise Conflict(_("This client has already been erased"))
    open_cases = db.session.scalar(
        select(Referral.id).where(
            Referral.client_id == client.id, Referral.state.in_([state.value for state in OPEN_STATES])
        )
    )
    if open_cases is not None:
        # The court and the CPS still need the outcome notice, which carries her name: close the case first.
        raise InvalidTransition(
            _("She has an open case: withdraw it or wait for its outcome before erasing her record")
        )
    with transaction():
        # What the CPS needs to act on a notice it has not acknowledged is kept apart first, under a key of the
        # notice's own: her key is about to go (docs/privacy.md, "A pending notice when she is erased").
        keep_for_cps(client.id, reason_code(reason), actor)
        _erase_in_main_db(client, "client.erased", {"reason": reason_code(reason)}, actor)
        # The key goes last, inside the transaction: if destroying it fails, nothing is marked erased; if the commit
        # then fails, the key is gone but she is not marked erased, and running the erasure again completes it.
        keystore().destroy(client.id)
    key_provider().cache.forget(client.id)
    _drop_decrypted_values()


def complete_erasure(client: Client, actor: Any = None) -> None:
    """Mark erased a client whose data key is already destroyed (a main database restored from a backup)."""
    if client.is_erased:
        return
    with transaction():
        forget_stale_kept(client.id)
        _erase_in_main_db(client, "client.erasure_reapplied", {}, actor)
    key_provider().cache.forget(client.id)
    _drop_decrypted_values()


def _erase_in_main_db(client: Client, action: str, details: dict[str, Any], actor: Any) -> None:
    referral_ids = list(db.session.scalars(select(Referral.id).where(Referral.client_id == client.id)))
    client.name_dob_index = None
    client.erased_at = utcnow()
    # Drafts typed about her are unreadable once her key is gone; they go with her (docs/drafts.md).
    forget_client(client.id)
    table = Referral.__table__
    for referral_id in referral_ids:
        # The column backs the one-open-case rule and may not be NULL; random bytes match no URN.
        db.session.execute(
            update(table)
            .where(table.c.id == referral_id)
            .values(urn_index=os.urandom(32), updated_at=table.c.updated_at)
        )
    record_event(
        action,
        object_type="client",
        object_id=client.id,
        details={**details, "referrals": len(referral_ids)},
        actor=actor,
    )
    db.session.flush()


def _drop_decrypted_values() -> None:
    # Instances still in the session keep the plaintext they decrypted earlier, and after the commit their owner's id
    # is no longer loaded (reading it would query every row again): drop every instance's decrypted values, so nothing
    # in this unit of work shows her details after the erasure. Others' values are decrypted again when next read.
    for obj in list(db.session.identity_map.values()):
        for name in encrypted_fields(type(obj)):
            obj.__dict__.pop(f"_encrypted_cache_{name}", None)

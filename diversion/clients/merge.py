"""Merging two client records of the same woman (docs/merging.md).

Everything of hers that the absorbed record owns (every row with its ``client_id``: referrals, consents, notes,
appointments, assessments, plans, messages, drafts, remembered API answers, and any table added later that points at
``clients.id``) moves to the kept record. Each encrypted value of those rows is decrypted under the absorbed record's
data key and written again under the kept record's key, whose associated data names the kept client, so the value
reads under the kept key and nowhere else. The blind indexes are computed again, the absorbed record is marked
merged (and erased: it holds nothing any more), and its data key is destroyed as erasure destroys one
(diversion/clients/erasure.py, docs/encryption.md "Erasure"). One ``client.merged`` audit event names both ids and
counts; like an erasure's, the free-text reason is stored nowhere, only a reason code.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Table, UniqueConstraint, func, select, update

from diversion.audit.services import record_event
from diversion.clients.erasure import _drop_decrypted_values, reason_code
from diversion.clients.models import Client
from diversion.clients.services import name_dob_index_value
from diversion.crypto.fields import encrypted_fields, is_unreadable
from diversion.db import transaction, utcnow
from diversion.errors import Conflict, InvalidTransition, ValidationFailed
from diversion.extensions import db
from diversion.keyring import key_provider, keystore

security_log = logging.getLogger("diversion.security")

MAX_REASON = 2000
# What the kept record takes from the absorbed one when it has none of its own.
FILLED_FIELDS = ("phone", "email", "address", "gp", "safe_contact", "reading_help")
# Her plain answers the kept record takes from the absorbed one when it has none (docs/languages.md).
FILLED_COLUMNS = ("ethnicity_code", "language_code")


@dataclass
class MergeResult:
    """What a merge moved: rows re-pointed and values re-encrypted, by table."""

    kept_id: uuid.UUID
    absorbed_id: uuid.UUID
    rows: dict[str, int]
    values: int
    key_destroyed: bool


def check_merge(kept: Client | None, absorbed: Client | None, reason: str) -> str:
    """The reason, cleaned, when these two records may be merged; a DomainError saying why not. Saves nothing: the
    merge page checks before it asks to confirm."""
    reason = (reason or "").strip()
    if kept is None or absorbed is None:
        raise ValidationFailed.on("other", _("Choose the other record of the same woman"))
    if kept.id == absorbed.id:
        raise ValidationFailed.on("other", _("These are the same record: choose another record of hers to merge"))
    if kept.organisation_id != absorbed.organisation_id:
        # Another organisation's record is none of this one's business (docs/organisations.md): as if unknown.
        raise ValidationFailed.on("other", _("Choose the other record of the same woman"))
    if kept.is_erased or absorbed.is_erased:
        raise InvalidTransition(_("One of these records has been erased or already merged, so it cannot be merged"))
    if not reason:
        raise ValidationFailed.on("reason", _("Enter why these are the same woman"))
    if len(reason) > MAX_REASON:
        raise ValidationFailed.on("reason", _("The reason must be %(max)s characters or fewer", max=MAX_REASON))
    return reason


def _client_tables() -> list[tuple[Table, str]]:
    """Every table with a column pointing at clients.id (but the merge marker itself), with that column's name."""
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if table.name == "clients":
                continue
            if any(fk.column.table.name == "clients" for fk in column.foreign_keys):
                found.append((table, column.name))
    return found


def _one_per_client(table: Table, column: str) -> bool:
    """True when the table holds at most one row per client."""
    if table.c[column].unique:
        return True
    return any(
        isinstance(constraint, UniqueConstraint) and [c.name for c in constraint.columns] == [column]
        for constraint in table.constraints
    )


def _mapped_base(table: Table) -> type[Any] | None:
    """The model that loads rows of ``table`` (the base of a single-table hierarchy, so rows load as their kind)."""
    for mapper in db.Model.registry.mappers:
        if mapper.local_table is table and mapper.inherits is None:
            return mapper.class_
    return None


def _owned_values(obj: Any, owner_id: uuid.UUID) -> dict[str, Any]:
    """The plaintext of each field of ``obj`` encrypted under ``owner_id``'s data key."""
    values: dict[str, Any] = {}
    for name, spec in encrypted_fields(type(obj)).items():
        if spec.purpose != "client" or getattr(obj, spec.attr) is None:
            continue
        # A client's own fields are under her own key (no owner attribute); every other row's under its owner's.
        owner = getattr(obj, spec.id_attr) if spec.client_id_attr is None else getattr(obj, spec.client_id_attr)
        if owner != owner_id:
            continue
        value = getattr(obj, name)
        if is_unreadable(value):
            raise Conflict(
                _(
                    "Part of this record cannot be read, so it cannot be merged: ask the administrator to run the key "
                    "check (keys verify)"
                )
            )
        values[name] = value
    return values


def _lock(client_id: uuid.UUID) -> Client | None:
    return db.session.scalars(
        select(Client).where(Client.id == client_id).with_for_update().execution_options(populate_existing=True)
    ).first()


def merge_clients(
    kept: Client, absorbed: Client, reason: str, actor: Any, *, newer_contact: bool = False
) -> MergeResult:
    """Merge ``absorbed`` into ``kept`` (see the module docstring). With ``newer_contact`` the absorbed record's
    contact details replace the kept one's (a new referral of a woman referred before: the latest details win)."""
    from diversion.referrals.models import Referral
    from diversion.referrals.urns import urn_index_value

    reason = check_merge(kept, absorbed, reason)
    kept_id, absorbed_id = kept.id, absorbed.id
    rows: dict[str, int] = {}
    values = 0
    with transaction():
        kept_row, absorbed_row = _lock(kept_id), _lock(absorbed_id)
        # Checked again under the lock: another merge or an erasure may have got there first.
        check_merge(kept_row, absorbed_row, reason)
        if kept_row is None or absorbed_row is None:  # pragma: no cover - check_merge refused it already
            raise Conflict(_("One of these records has gone"))
        key_provider().prefetch([kept_id, absorbed_id])
        # 1. Her own details: what the kept record lacks is taken from the absorbed one; names she was also
        # recorded under become aliases.
        own = _owned_values(absorbed_row, absorbed_id)
        _owned_values(kept_row, kept_id)  # refuse a kept record that cannot be read either
        for name in FILLED_FIELDS:
            if own.get(name) is not None and (newer_contact or getattr(kept_row, name) is None):
                setattr(kept_row, name, own[name])
        kept_row.aliases = _aliases(kept_row, own)
        for name in FILLED_COLUMNS:
            if getattr(kept_row, name) is None:
                setattr(kept_row, name, getattr(absorbed_row, name))
        if kept_row.is_interpreter_needed is None:
            # The need and its language go together: an answer is never half one record's, half the other's.
            kept_row.is_interpreter_needed = absorbed_row.is_interpreter_needed
            kept_row.interpreter_language_code = absorbed_row.interpreter_language_code
        kept_row.has_legal_hold = kept_row.has_legal_hold or absorbed_row.has_legal_hold
        if not is_unreadable(kept_row.family_name) and kept_row.date_of_birth is not None:
            kept_row.name_dob_index = name_dob_index_value(
                str(kept_row.family_name),
                kept_row.date_of_birth,  # type: ignore[arg-type]
                kept_row.organisation_id,
            )
        # 2. Every row she owns: read under her old key, re-pointed, written again under the kept key.
        for table, column in _client_tables():
            model = _mapped_base(table)
            if model is None or column != "client_id" or "client_id" not in model.__mapper__.attrs:
                continue
            objects = list(db.session.scalars(select(model).where(table.c[column] == absorbed_id)))
            if not objects:
                continue
            read = [(obj, _owned_values(obj, absorbed_id)) for obj in objects]
            if _one_per_client(table, column) and db.session.scalar(
                select(func.count()).select_from(table).where(table.c[column] == kept_id)
            ):
                # A table of one row per client: the kept record's own row stands, and the absorbed record's goes
                # with its key.
                for obj in objects:
                    db.session.delete(obj)
                rows[f"{table.name} (dropped)"] = len(objects)
                continue
            for obj, plain in read:
                obj.client_id = kept_id
                for name, value in plain.items():
                    setattr(obj, name, value)
                values += len(plain)
                if isinstance(obj, Referral):
                    # Her URN's full blind index under the active index key; any form open on the case is stale.
                    obj.urn_index = urn_index_value(str(obj.urn))
                    obj.version += 1
            rows[table.name] = len(objects)
        db.session.flush()
        # Rows no model loads by client_id (a staff message's column, say) are re-pointed directly: none of them
        # holds a value under her key.
        for table, column in _client_tables():
            result = db.session.execute(update(table).where(table.c[column] == absorbed_id).values({column: kept_id}))
            if result.rowcount:
                rows[table.name] = rows.get(table.name, 0) + result.rowcount
        # 3. The absorbed record keeps no value and no index: merged, and erased (nothing of hers is under its key).
        for name in encrypted_fields(Client):
            setattr(absorbed_row, name, None)
        absorbed_row.name_dob_index = None
        absorbed_row.merged_into_id = kept_id
        absorbed_row.erased_at = utcnow()
        record_event(
            "client.merged",
            object_type="client",
            object_id=kept_id,
            details={
                "absorbed": str(absorbed_id),
                "reason": reason_code(reason),
                "tables": sorted(rows),
                "rows": sum(rows.values()),
                "values": values,
            },
            actor=actor,
        )
    # 4. Her old key goes once everything under it has been written again under the kept key and committed. Should
    # this fail, the absorbed record is marked erased with its key still live: `keys verify` names it and
    # `keys reapply-erasures` destroys the key (docs/merging.md).
    destroyed = True
    try:
        keystore().destroy(absorbed_id)
    except Exception:  # noqa: BLE001 - the merge stands; the key is destroyed again later (docstring above)
        destroyed = False
        security_log.warning(
            "merged client's data key not destroyed: client_id=%s", absorbed_id, extra={"client_id": str(absorbed_id)}
        )
    key_provider().cache.forget(absorbed_id)
    _drop_decrypted_values()
    return MergeResult(kept_id, absorbed_id, rows, values, destroyed)


def _aliases(kept: Client, absorbed: dict[str, Any]) -> str | None:
    """The kept record's aliases, with the absorbed record's name and aliases when they differ from hers."""
    names: list[str] = []
    for text in (kept.aliases, absorbed.get("aliases")):
        if text and not is_unreadable(text):
            names += [part.strip() for part in str(text).split(";") if part.strip()]
    old_name = " ".join(str(absorbed[part]) for part in ("given_name", "family_name") if absorbed.get(part))
    kept_name = f"{kept.given_name} {kept.family_name}"
    if old_name and old_name.casefold() != kept_name.casefold():
        names.append(old_name)
    unique = list(dict.fromkeys(names))
    return "; ".join(unique) or None

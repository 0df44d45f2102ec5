"""Subject access: everything held about one client, gathered by following foreign keys from her record.

Every model whose rows point at her (``client_id``), or at a row that does (a referral, a plan, a review...), is
included, so a model added later is exported without a change here. Ciphertext and blind-index columns are left out;
their decrypted values are shown instead. Audit events about her (her record, her cases and their rows) come last,
with who did what and when.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import LargeBinary, or_, select
from sqlalchemy import inspect as sa_inspect

from diversion.audit.models import AuditEvent
from diversion.audit.services import record_event
from diversion.auth.models import User
from diversion.clients.models import Client
from diversion.crypto.fields import encrypted_fields, is_unreadable
from diversion.db import transaction, utcnow
from diversion.extensions import db
from diversion.keyring import key_provider
from diversion.venues.models import Venue

# Tables of records about her, in the order people read them; any other table found follows, by name.
SECTION_ORDER = (
    "clients",
    "referrals",
    "consents",
    "return_date_changes",
    "appointments",
    "contacts",
    "assessments",
    "assessment_domains",
    "care_plans",
    "care_plan_goals",
    "care_plan_actions",
    "onward_referrals",
    "nrm_decisions",
    "documents",
    "reviews",
    "review_domains",
    "outcome_notices",
    "notifications",
    "alerts",
    "erasure_requests",
)
# Each kind of record's heading in the PDF and on the erasure certificate, in the reader's language.
SECTION_TITLES = {
    "clients": _l("Identity and contact details"),
    "referrals": _l("Referrals (cases)"),
    "consents": _l("Consent ledger"),
    "return_date_changes": _l("Return date changes"),
    "appointments": _l("Appointments"),
    "contacts": _l("Contact log"),
    "assessments": _l("Needs assessments"),
    "assessment_domains": _l("Needs assessment domains"),
    "care_plans": _l("Care Action Plans"),
    "care_plan_goals": _l("Care Action Plan goals"),
    "care_plan_actions": _l("Care Action Plan actions"),
    "onward_referrals": _l("Onward referrals"),
    "nrm_decisions": _l("National Referral Mechanism (modern slavery)"),
    "documents": _l("Documents"),
    "reviews": _l("Follow-up reviews"),
    "review_domains": _l("Follow-up review domains"),
    "outcome_notices": _l("Outcome notices"),
    "notifications": _l("Messages to her"),
    "alerts": _l("Alerts to staff about her cases"),
    "erasure_requests": _l("Erasure requests"),
}
# Relationship columns to staff: shown as the member of staff's name rather than an id (docs/people.md).
_USER_TABLE = "users"
_VENUE_TABLE = "venues"
# A file (a document's bytes) is listed, not carried: the export is JSON or a PDF, neither of which holds attachments.
# Each document's file is given to her from the case's documents page (docs/privacy.md, "Subject access").
FILE_NOTE = "Not included in this export: given to her separately from the case's documents page"


def _mappers() -> list[Any]:
    """One mapper per table: where a table has subclasses (messages), only the one that belongs to clients."""
    chosen = []
    for mapper in db.Model.registry.mappers:
        if len(list(mapper.self_and_descendants)) > 1:
            continue
        if any(spec.purpose != "client" for spec in encrypted_fields(mapper.class_).values()):
            continue  # staff secrets and messages to staff: not hers
        chosen.append(mapper)
    return chosen


def _her_links(mapper: Any, collected: dict[str, set[Any]]) -> list[Any]:
    """The conditions that make a row of this mapper about her: a foreign key to a row already collected."""
    conditions = []
    for column in mapper.columns:
        for foreign_key in column.foreign_keys:
            target = foreign_key.column.table.name
            if target in collected and collected[target] and target != _USER_TABLE:
                conditions.append(column.in_(sorted(collected[target], key=str)))
    return conditions


def collect_rows(client: Client) -> dict[str, list[Any]]:
    """Every row about her, by table, found by following foreign keys from her record until nothing new turns up."""
    rows: dict[str, dict[Any, Any]] = {"clients": {client.id: client}}
    collected: dict[str, set[Any]] = {"clients": {client.id}}
    mappers = [mapper for mapper in _mappers() if mapper.class_ is not Client]
    changed = True
    while changed:
        changed = False
        for mapper in mappers:
            conditions = _her_links(mapper, collected)
            if not conditions:
                continue
            table = mapper.local_table.name
            primary_key = mapper.primary_key[0]
            found = db.session.scalars(select(mapper.class_).where(or_(*conditions))).all()
            for obj in found:
                key = getattr(obj, primary_key.key)
                if key not in rows.setdefault(table, {}):
                    rows[table][key] = obj
                    collected.setdefault(table, set()).add(key)
                    changed = True
    order = {name: index for index, name in enumerate(SECTION_ORDER)}
    return {
        table: list(found.values())
        for table, found in sorted(rows.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))
    }


def kept_counts(client: Client) -> dict[str, int]:
    """How many rows of hers each table holds (after an erasure: the plain rows kept for reports)."""
    return {table: len(found) for table, found in collect_rows(client).items()}


def _plain(value: Any) -> Any:
    if is_unreadable(value):
        return str(value)  # "erased" for a crypto-shredded client, "unreadable" for a value that fails to decrypt
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return None
    return value


def serialize_row(obj: Any, staff: dict[Any, str]) -> dict[str, Any]:
    """A row as JSON-ready values: plain columns (not ciphertext or indexes), then the decrypted fields."""
    mapper = sa_inspect(type(obj))
    specs = encrypted_fields(type(obj))
    hidden = {spec.attr for spec in specs.values()}
    data: dict[str, Any] = {}
    for attr in mapper.column_attrs:
        column = attr.columns[0]
        if attr.key in hidden or isinstance(column.type, LargeBinary):
            continue
        value = getattr(obj, attr.key)
        if value is not None and any(fk.column.table.name == _USER_TABLE for fk in column.foreign_keys):
            data[attr.key.removesuffix("_id") or attr.key] = staff.get(value, str(value))
            continue
        if value is not None and any(fk.column.table.name == _VENUE_TABLE for fk in column.foreign_keys):
            # Where her appointment was: the venue's name and address, which she can read, not an id.
            venue = db.session.get(Venue, value)
            data[attr.key.removesuffix("_id")] = venue.label if venue is not None else str(value)
            continue
        data[attr.key] = _plain(value)
    for name, spec in specs.items():
        data[name] = FILE_NOTE if spec.is_binary else _plain(getattr(obj, name))
    return data


def audit_events_about(rows: dict[str, list[Any]]) -> list[AuditEvent]:
    """Audit events about her: her record, her cases, and any row of hers, oldest first."""
    referral_ids = [obj.id for obj in rows.get("referrals", [])]
    # Her records' ids, the random ones only: a row numbered 1, 2, 3... (a consent line, a domain's score) shares its
    # number with a court, a scheme or an organisation, whose events are not about her (nor, another's, hers to see).
    object_ids = sorted(
        {
            str(sa_inspect(obj).identity[0])
            for found in rows.values()
            for obj in found
            if sa_inspect(obj).identity and isinstance(sa_inspect(obj).identity[0], uuid.UUID)
        }
    )
    conditions = [AuditEvent.object_id.in_(object_ids)]
    if referral_ids:
        conditions.append(AuditEvent.case_id.in_(referral_ids))
    return list(db.session.scalars(select(AuditEvent).where(or_(*conditions)).order_by(AuditEvent.id)))


def _staff_names(user_ids: set[Any]) -> dict[Any, str]:
    if not user_ids:
        return {}
    query = select(User.id, User.display_name).where(User.id.in_(sorted(user_ids, key=str)))
    return dict(db.session.execute(query).all())


@dataclass
class SubjectAccessExport:
    """What is held about her, section by section, with the audit events about her."""

    client_id: str
    made_at: str
    is_erased: bool
    sections: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    audit_events: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The export as JSON-ready data."""
        return {
            "client_id": self.client_id,
            "made_at": self.made_at,
            "is_erased": self.is_erased,
            "sections": self.sections,
            "audit_events": self.audit_events,
        }


def build_export(client: Client) -> SubjectAccessExport:
    """Everything held about her, decrypted (unreadable once she is erased). Does not audit: see export_client."""
    key_provider().prefetch([client.id])
    rows = collect_rows(client)
    events = audit_events_about(rows)
    user_ids: set[Any] = {event.actor_id for event in events if event.actor_id}
    for found in rows.values():
        for obj in found:
            for attr in sa_inspect(type(obj)).column_attrs:
                column = attr.columns[0]
                if any(fk.column.table.name == _USER_TABLE for fk in column.foreign_keys):
                    value = getattr(obj, attr.key)
                    if value is not None:
                        user_ids.add(value)
    staff = _staff_names(user_ids)
    export = SubjectAccessExport(client_id=str(client.id), made_at=utcnow().isoformat(), is_erased=client.is_erased)
    for table, found in rows.items():
        export.sections[table] = [serialize_row(obj, staff) for obj in found]
    # Each consent line with the words she was read, not only the id of the register's row (docs/privacy.md).
    for line, obj in zip(export.sections.get("consents", []), rows.get("consents", []), strict=True):
        line["wording_version"] = obj.wording.version
        line["wording_text"] = obj.wording.text
    export.audit_events = [
        {
            "at": event.at.isoformat(),
            "who": staff.get(event.actor_id, str(event.actor_id)) if event.actor_id else "the system",
            "role": event.actor_role,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "case_id": str(event.case_id) if event.case_id else None,
            "details": event.details,
        }
        for event in events
    ]
    return export


def export_client(client: Client, actor: Any, fmt: str) -> SubjectAccessExport:
    """Build the subject access export and record that it was made (by whom, in which format)."""
    export = build_export(client)
    with transaction():
        record_event(
            "client.exported",
            object_type="client",
            object_id=client.id,
            details={"format": fmt, "sections": len(export.sections)},
            actor=actor,
        )
    return export

"""The audit review: search the audit log by client, user, action and date; who has viewed a case; CSV export;
and checking the chain from the daily sweep, with an alert to managers when it is broken.

It reads the log beside it; the pages that show it are the data protection pages' (diversion/privacy/views.py).
Nothing in the audit package imports this module, so recording an event never pulls in the referrals and users it
joins to."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, func, or_, select, true

from diversion.audit.models import AuditEvent
from diversion.audit.services import ChainReport, record_event, verify_chain
from diversion.auth.models import User
from diversion.dates import from_london, london_date
from diversion.db import transaction, utcnow
from diversion.exports import csv_text
from diversion.extensions import db
from diversion.referrals.models import Referral

security_log = logging.getLogger("diversion.security")
PAGE_SIZE = 200
CSV_LIMIT = 50000
CSV_HEADER = ("event", "at", "user", "role", "action", "object_type", "object_id", "case_id", "request_id", "details")


@dataclass
class AuditFilters:
    """What to search for; every part optional."""

    client_id: uuid.UUID | None = None
    user_email: str | None = None
    action: str | None = None
    from_date: date | None = None
    to_date: date | None = None


@dataclass
class AuditRow:
    """An event with the email of who did it (the audit log is searched by email) and their name."""

    event: AuditEvent
    email: str | None
    name: str | None = None


def visible_to(viewer: Any) -> ColumnElement[bool]:
    """SQL: the events a manager may review, her organisation's (docs/organisations.md, "The wall elsewhere"):
    every event about a case of her schemes, whoever did it (a court user's view of her case included), and every
    event done by a member of her organisation's staff. Nothing else: another organisation's cases and people, court
    and CPS users' events about no case of hers, the jobs' events about no case. The events hold no organisation of
    their own (a column would sit outside the chain's MAC): the joins decide."""
    from diversion.scoping import cases_filter

    if viewer is None:
        return true()
    conditions = [AuditEvent.case_id.in_(select(Referral.id).where(cases_filter(viewer)))]
    if viewer.organisation_id is not None:
        conditions.append(
            AuditEvent.actor_id.in_(select(User.id).where(User.organisation_id == viewer.organisation_id))
        )
    return or_(*conditions)


def _query(filters: AuditFilters, viewer: Any = None) -> Any:
    """The events matching ``filters``, newest first; only those ``viewer`` may review when one is given (the
    command line reviews all)."""
    query = (
        select(AuditEvent, User.email, User.display_name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(visible_to(viewer))
    )
    if filters.client_id is not None:
        referral_ids = list(db.session.scalars(select(Referral.id).where(Referral.client_id == filters.client_id)))
        conditions = [AuditEvent.object_id == str(filters.client_id)]
        if referral_ids:
            conditions.append(AuditEvent.case_id.in_(referral_ids))
            conditions.append(AuditEvent.object_id.in_([str(rid) for rid in referral_ids]))
        query = query.where(or_(*conditions))
    if filters.user_email:
        query = query.where(func.lower(User.email) == filters.user_email.strip().lower())
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.from_date is not None:
        query = query.where(AuditEvent.at >= from_london(filters.from_date, time(0)))
    if filters.to_date is not None:
        query = query.where(AuditEvent.at < from_london(filters.to_date + timedelta(days=1), time(0)))
    return query.order_by(AuditEvent.id.desc())


def search_events(filters: AuditFilters, limit: int = PAGE_SIZE, viewer: Any = None) -> list[AuditRow]:
    """The newest events matching the filters (at most ``limit``) that ``viewer`` may review."""
    query = _query(filters, viewer).limit(limit)
    return [AuditRow(event, email, name) for event, email, name in db.session.execute(query).all()]


def known_actions() -> list[str]:
    """Every action the log holds, for the search form's list."""
    return list(db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def _details_text(details: dict[str, Any] | None) -> str:
    if not details:
        return ""
    return "; ".join(f"{key}={value}" for key, value in sorted(details.items()))


def events_csv(filters: AuditFilters, actor: Any) -> str:
    """The matching events ``actor`` may review as CSV (ids and codes only, as the log holds them); the export is
    audited."""
    rows = search_events(filters, limit=CSV_LIMIT, viewer=actor)
    lines = []
    for row in rows:
        event = row.event
        lines.append(
            [
                event.id,
                event.at.isoformat(),
                row.email or "",
                event.actor_role or "",
                event.action,
                event.object_type or "",
                event.object_id or "",
                str(event.case_id) if event.case_id else "",
                event.request_id or "",
                _details_text(event.details),
            ]
        )
    with transaction():
        record_event(
            "audit.exported",
            object_type="audit_log",
            details={
                "rows": len(rows),
                "client": str(filters.client_id) if filters.client_id else None,
                "action": filters.action,
            },
            actor=actor,
        )
    # Every cell goes through the export writer: an email address, an id or a detail that starts like a formula is
    # written as text a spreadsheet will not run (diversion/exports.py).
    return csv_text(CSV_HEADER, lines)


@dataclass
class Viewer:
    """Someone who viewed a case (by name): how often and when last."""

    name: str | None
    role: str | None
    views: int
    last_at: datetime


def case_viewers(referral_ids: Sequence[uuid.UUID]) -> list[Viewer]:
    """Who has viewed these cases, most recent first (from the ``case.viewed`` events)."""
    if not referral_ids:
        return []
    rows = db.session.execute(
        select(User.display_name, AuditEvent.actor_role, func.count(), func.max(AuditEvent.at))
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.case_id.in_(list(referral_ids)), AuditEvent.action == "case.viewed")
        .group_by(AuditEvent.actor_id, User.display_name, AuditEvent.actor_role)
        .order_by(func.max(AuditEvent.at).desc())
    ).all()
    return [Viewer(name, role, int(count), last_at) for name, role, count, last_at in rows]


# --- the chain, from the daily sweep ---

ALERT_SUBJECT = _l("The audit log failed its integrity check")


def check_chain_and_alert(now: datetime | None = None) -> ChainReport:
    """Verify the audit chain; when broken, log a security event and email each active manager (once a day)."""
    report = verify_chain()
    if report.ok:
        return report
    security_log.error(
        "audit chain broken",
        extra={"bad_event_id": report.bad_event_id, "problem": report.problem, "checked": report.checked},
    )
    _alert_managers(report, now or utcnow())
    return report


def _alert_managers(report: ChainReport, now: datetime) -> int:
    from diversion.notifications.services import email_active_managers

    def body() -> str:
        # Written for each manager in her language (email_active_managers); the problem is the verifier's own words.
        if report.bad_event_id is not None:
            where = _("event %(number)s", number=report.bad_event_id)
        else:
            where = _("the head of the chain")
        return _(
            "The daily check of the audit log found a problem at %(where)s: %(problem)s.\n\n"
            "Someone may have edited or deleted audit records. Run `flask --app wsgi audit verify` and tell the "
            "system administrator and your data protection lead today.",
            where=where,
            problem=report.problem,
        )

    # Once a day each: the dedupe key ends in the manager's id, after the day.
    day = london_date(now).isoformat()
    return email_active_managers(dedupe=f"audit-alert:{day}", subject=lambda: str(ALERT_SUBJECT), body=body, now=now)

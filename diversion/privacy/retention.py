"""Retention: which clients are past their retention period, the legal hold that pauses it, and the run that
crypto-shreds them while keeping the plain columns reports count.

A client's period starts on the date her last case reached its final state (its outcome date). While any case of hers
is open she is not due. The period, in years, is her cases' programme's (``retention_years``, kept by each scheme's
manager on the programme screen: docs/organisations.md, "Programmes"): each case's from the programme version it
started under, the longest of them when she has had cases under several versions or in several schemes. Her
identity and support content are encrypted under her one data key and go together. Audit events have their own
period, the service's (``AUDIT_RETENTION_YEARS``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from diversion.audit.models import AuditEvent
from diversion.audit.services import prune_before, record_event
from diversion.clients.erasure import erase_client
from diversion.clients.models import Client
from diversion.crypto.errors import CryptoError
from diversion.dates import london_date, today
from diversion.db import transaction
from diversion.errors import Conflict, DomainError
from diversion.extensions import db
from diversion.referrals.models import OPEN_STATES, Referral
from diversion.referrals.programme import versions_in_use

RETENTION_REASON = "retention"


def add_years(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes 28 February in a year that has none."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def audit_retention_years() -> int:
    """How many years an audit event is kept after it was written: the service's setting, for every organisation
    (the audit chain is one)."""
    return int(current_app.config["AUDIT_RETENTION_YEARS"])


@dataclass
class RetentionItem:
    """One client whose cases are all final: when the last ended, when she falls due, whether she is held."""

    client_id: uuid.UUID
    referral_id: uuid.UUID
    final_on: date
    due_on: date
    has_legal_hold: bool
    cases: int
    # Her retention period: the longest of her cases' programme versions'.
    years: int


@dataclass
class RetentionStatus:
    """Clients due for erasure now, clients held, and audit events past their own period."""

    on: date
    due: list[RetentionItem] = field(default_factory=list)
    held: list[RetentionItem] = field(default_factory=list)
    audit_events_past: int = 0


def _final_on(row: Any) -> date:
    if row.outcome_date is not None:
        return row.outcome_date
    if row.final_at is not None:
        return london_date(row.final_at)
    return row.referred_on


def retention_status(
    on: date | None = None, organisation_id: int | None = None, *, count_audit: bool = True
) -> RetentionStatus:
    """Every client not yet erased whose cases are all final, sorted into due (not held) and held: of one
    organisation when it is named (each organisation's clients are its own: docs/organisations.md). Each client's
    period is the longest of her cases' programme versions; with ``count_audit``, the audit events past theirs."""
    on = on or today()
    status = RetentionStatus(on=on)
    query = (
        select(
            Referral.id,
            Referral.client_id,
            Referral.state,
            Referral.outcome_date,
            Referral.final_at,
            Referral.referred_on,
            Referral.programme_version_id,
            Client.has_legal_hold,
        )
        .join(Client, Client.id == Referral.client_id)
        .where(Client.erased_at.is_(None))
        .order_by(Referral.client_id, Referral.referred_on)
    )
    if organisation_id is not None:
        query = query.where(Client.organisation_id == organisation_id)
    rows = db.session.execute(query).all()
    by_client: dict[uuid.UUID, list[Any]] = {}
    for row in rows:
        by_client.setdefault(row.client_id, []).append(row)
    open_values = {state.value for state in OPEN_STATES}
    programmes = versions_in_use()
    for client_id, cases in by_client.items():
        if any(case.state in open_values for case in cases):
            continue
        final_on = max(_final_on(case) for case in cases)
        years = max(programmes[case.programme_version_id].retention_years for case in cases)
        item = RetentionItem(
            client_id=client_id,
            referral_id=cases[-1].id,
            final_on=final_on,
            due_on=add_years(final_on, years),
            has_legal_hold=bool(cases[0].has_legal_hold),
            cases=len(cases),
            years=years,
        )
        if item.has_legal_hold:
            status.held.append(item)
        elif item.due_on <= on:
            status.due.append(item)
    status.due.sort(key=lambda item: item.due_on)
    status.held.sort(key=lambda item: item.due_on)
    if count_audit:
        status.audit_events_past = audit_events_past_retention(on, organisation_id)
    return status


def audit_cutoff(on: date) -> datetime:
    """Audit events written before this moment are past their retention period on ``on``."""
    return datetime.combine(add_years(on, -audit_retention_years()), time(0), tzinfo=UTC)


def audit_events_past_retention(on: date, organisation_id: int | None = None) -> int:
    """How many audit events are older than their retention period (the next run deletes them); of one
    organisation's, when it is named: about its cases, or done by its staff."""
    query = select(func.count()).select_from(AuditEvent).where(AuditEvent.at < audit_cutoff(on))
    if organisation_id is not None:
        from diversion.auth.models import User

        query = query.where(
            AuditEvent.case_id.in_(select(Referral.id).where(Referral.organisation_id == organisation_id))
            | AuditEvent.actor_id.in_(select(User.id).where(User.organisation_id == organisation_id))
        )
    return int(db.session.scalar(query) or 0)


@dataclass
class RetentionRun:
    """What a run did (or, dry, would do)."""

    dry_run: bool
    on: date
    due: int = 0
    erased: list[str] = field(default_factory=list)
    held: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    # Audit events past their own period: deleted from the start of the chain (counted only in a dry run).
    audit_events: int = 0


def run_retention(
    on: date | None = None, *, dry_run: bool = False, actor: Any = None, organisation: Any = None
) -> RetentionRun:
    """Crypto-shred every client past retention and not held, of ``organisation`` when one is given (each runs its
    own); the run is audited, a dry run too. The audit log is the service's, one chain: every run deletes the events
    past their period from its start, whichever organisation's run it is (docs/organisations.md)."""
    organisation_id = organisation.id if organisation is not None else None
    # The run counts (or prunes) the service's audit events itself, below.
    status = retention_status(on, organisation_id, count_audit=False)
    run = RetentionRun(dry_run=dry_run, on=status.on, due=len(status.due), held=len(status.held))
    if not dry_run:
        for item in status.due:
            client = db.session.get(Client, item.client_id)
            if client is None or client.is_erased or client.has_legal_hold:
                continue
            try:
                erase_client(client, RETENTION_REASON, actor)
            except (DomainError, CryptoError) as error:
                # One client that cannot be erased now must not stop the others; the type names the cause.
                run.failed[str(item.client_id)] = type(error).__name__
            else:
                run.erased.append(str(item.client_id))
    with transaction():
        if dry_run:
            run.audit_events = audit_events_past_retention(status.on)
        else:
            run.audit_events = prune_before(audit_cutoff(status.on))
        record_event(
            "retention.run",
            object_type="retention",
            details={
                "dry_run": dry_run,
                "on": status.on.isoformat(),
                "due": run.due,
                "erased": len(run.erased),
                "held": run.held,
                "failed": len(run.failed),
                "audit_events": run.audit_events,
                **({"organisation": organisation.slug} if organisation is not None else {}),
            },
            actor=actor,
        )
    return run


def set_legal_hold(client: Client, held: bool, actor: Any) -> None:
    """Put a client under a legal hold, or release it; audited. Retention passes her by while she is held. A
    manager holds only her organisation's clients."""
    from diversion.privacy.services import check_organisation

    check_organisation(client, actor)
    if client.is_erased:
        raise Conflict(_("This client has been erased: there is nothing left to hold"))
    if client.has_legal_hold == held:
        raise Conflict(_("She is already under a legal hold") if held else _("She is not under a legal hold"))
    with transaction():
        client.has_legal_hold = held
        record_event(
            "client.legal_hold_set" if held else "client.legal_hold_released",
            object_type="client",
            object_id=client.id,
            actor=actor,
        )

"""Raising alerts, their emails, what a reader sees of them, and acknowledging them (docs/alerts.md).

An event on a case (a safeguarding flag raised, a missed appointment close to her return date, a message to her that
failed, a court's referral that may be someone referred before) raises one alert for each person who must hear of it:
her worker, or, when she has none, the managers of the case's scheme. Never anyone of another scheme or
organisation, never a court, CPS or administrator account. The senders say what happened through signals
(``needs_attention`` and ``appointment_changed``, diversion/signals.py), inside their own transaction, so a change
rolled back raises nothing.

Each alert is emailed to its reader with nothing of her in it: a fixed sentence and a link to the alert. The email is
a row of the messages' outbox written in the event's transaction; only after the commit is it sent: put on the queue
at once when REDIS_URL is set (the worker sends it), else by the sweep's next round, as every other message is.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_app_context
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, and_, event, func, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager

from diversion import keyset
from diversion.alerts.models import Alert, Kind
from diversion.appointments.models import Appointment, Outcome
from diversion.audit import reads
from diversion.audit.services import Entry, record_event, record_events
from diversion.auth.models import Role, User
from diversion.dates import today, working_days_between
from diversion.db import transaction, utcnow
from diversion.errors import Conflict, NotFound
from diversion.extensions import db
from diversion.i18n import user_language
from diversion.keyring import key_provider
from diversion.notifications import queueing
from diversion.notifications.digests import link
from diversion.notifications.models import Kind as MessageKind
from diversion.notifications.models import StaffMessage
from diversion.notifications.outbox import insert_if_absent
from diversion.organisations.models import user_schemes
from diversion.referrals.models import Referral
from diversion.referrals.need_to_know import listed_filter
from diversion.referrals.reads import works_in
from diversion.scoping import cases_filter
from diversion.signals import appointment_changed, needs_attention

log = logging.getLogger("diversion.alerts")

# A missed appointment raises an alert when her return date is this many working days away or fewer.
DID_NOT_ATTEND_WORKING_DAYS = 5
# The email names no one and nothing of the case: the reader follows the link, signs in and is shown what she may see.
# It is written in its reader's language (diversion.i18n.user_language): see _queue_email.
# What the emails of a transaction keep in the session until it ends, as the webhooks' outbox does.
NEW_KEY = "alerts_new"


# --- who hears of it ---


def _may_be_told(user: User) -> bool:
    return not user.is_disabled and user.confirmation_needed_at is None


def recipients_for(referral: Referral) -> list[User]:
    """Who hears of an event on the case: her worker while she has one who still works in the case's scheme, else
    the scheme's managers (of the case's organisation). Accounts disabled or waiting for a manager's confirmation
    are passed over; court, CPS and administrator accounts never hear of a case."""
    worker = referral.assigned_worker
    if worker is not None and _may_be_told(worker) and works_in(worker, referral.scheme_id):
        return [worker]
    return list(
        db.session.scalars(
            select(User)
            .join(user_schemes, user_schemes.c.user_id == User.id)
            .where(
                user_schemes.c.scheme_id == referral.scheme_id,
                User.organisation_id == referral.organisation_id,
                User.role == Role.MANAGER.value,
                User.may_be_sent_mail(),
            )
            .order_by(User.email)
        )
    )


# --- raising ---


def raise_alert(referral: Referral, kind: Kind | str, key: str, actor: Any = None) -> list[Alert]:
    """Raise the alerts of one event on the case (flush only, in the caller's transaction) and queue their emails;
    returns the alerts made. An event that has raised its alerts already (``key`` seen before) raises none."""
    kind = Kind(kind)
    event_key = key[:120]
    if db.session.scalar(select(Alert.id).where(Alert.event_key == event_key).limit(1)) is not None:
        return []
    now = utcnow()
    made = []
    for user in recipients_for(referral):
        alert = Alert(
            id=uuid.uuid4(),
            client_id=referral.client_id,
            referral_id=referral.id,
            recipient_id=user.id,
            kind=kind.value,
            event_key=event_key,
            created_at=now,
        )
        try:
            # A concurrent sender of the same event: the unique key lets one in, and the caller's change stands.
            with db.session.begin_nested():
                db.session.add(alert)
        except IntegrityError:
            continue
        made.append((alert, user))
    if not made:
        return []
    record_events(
        "alert.raised",
        [
            Entry("alert", alert.id, referral.id, {"kind": kind.value, "recipient": str(user.id)})
            for alert, user in made
        ],
        actor=actor,
    )
    for alert, user in made:
        _queue_email(alert, user, now)
    return [alert for alert, _ in made]


def _queue_email(alert: Alert, user: User, now: Any) -> None:
    message = StaffMessage(
        id=uuid.uuid4(),
        kind=MessageKind.DIGEST.value,
        dedupe_key=f"alert:{alert.id}",
        channel="email",
        due_at=now,
        next_attempt_at=now,
        user_id=user.id,
    )
    message.recipient = user.email
    with force_locale(user_language(user)):
        message.subject = _("New alert")
        message.body = _(
            "You have a new alert in the diversion service: %(link)s", link=link("alerts.show", alert_id=alert.id)
        )
        message.body += "\n"
    if insert_if_absent(message):
        db.session.info.setdefault(NEW_KEY, []).append(message.id)


def on_needs_attention(referral: Referral, kind: str, key: str, actor: Any = None, **_: Any) -> None:
    """Signal receiver: an event on the case someone must hear of (diversion/signals.py)."""
    raise_alert(referral, kind, key, actor)


def on_appointment_change(appointment: Appointment, change: str, **_: Any) -> None:
    """Signal receiver: a did-not-attend recorded while her return date is DID_NOT_ATTEND_WORKING_DAYS working days
    away or fewer (bank holidays are not working days) raises an alert; once per appointment."""
    if change != "outcome" or appointment.outcome != Outcome.DID_NOT_ATTEND.value:
        return
    referral = db.session.get(Referral, appointment.referral_id)
    if referral is None or not referral.is_open:
        return
    on = today()
    if referral.return_date < on or working_days_between(on, referral.return_date) > DID_NOT_ATTEND_WORKING_DAYS:
        return
    raise_alert(referral, Kind.DID_NOT_ATTEND, f"{Kind.DID_NOT_ATTEND.value}:{appointment.id}")


# --- sending the emails after the commit ---


def _after_commit(session: Session) -> None:
    """The event's transaction committed: with REDIS_URL set its emails go on the queue now, for the worker to send
    at once; without it they wait in the outbox for the sweep, as every other message does."""
    ids = session.info.pop(NEW_KEY, None)
    if not ids or not has_app_context() or not current_app.config.get("REDIS_URL"):
        return
    try:
        queueing.enqueue_delivery(ids)
    except Exception as error:  # noqa: BLE001 - the queue down: the sweep sends them
        log.warning("queue unavailable, left for the sweep", extra={"error_type": type(error).__name__})


def _after_rollback(session: Session) -> None:
    """Rolled back: its emails were never written, and nothing is sent."""
    session.info.pop(NEW_KEY, None)


def register_hooks() -> None:
    """Listen for the events and watch commits (idempotent)."""
    needs_attention.connect(on_needs_attention, weak=False)
    appointment_changed.connect(on_appointment_change, weak=False)
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)


# --- what a reader sees ---


def _shown_to(user: User) -> ColumnElement[bool]:
    """SQL: her own alerts on cases she may open now: inside her schemes (diversion/scoping.py) and, in a scheme
    where a worker opens only her own and unassigned cases, not a colleague's (a case given to someone else since)."""
    listed = listed_filter(user)
    return and_(
        Alert.recipient_id == user.id,
        cases_filter(user),
        listed if listed is not None else true(),
    )


def _query(user: User) -> Select[Any]:
    # The case is joined for the scope anyway: it is loaded from that join, not once for each alert shown.
    return (
        select(Alert)
        .join(Referral, Referral.id == Alert.referral_id)
        .options(contains_eager(Alert.referral))
        .where(_shown_to(user))
    )


def unread_count(user: User) -> int:
    """How many of her alerts she has not acknowledged: one COUNT, read through an index of her alerts."""
    if Role(user.role) not in (Role.WORKER, Role.MANAGER):
        return 0
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(Alert)
            .join(Referral, Referral.id == Alert.referral_id)
            .where(_shown_to(user), Alert.acknowledged_at.is_(None))
        )
        or 0
    )


@dataclass
class AlertPage:
    """A page of her alerts, newest first, and the cursor of the next page (None at the end)."""

    items: list[Alert]
    next: keyset.Cursor | None


def list_alerts(user: User, after: keyset.Cursor | None = None, limit: int = 50) -> AlertPage:
    """Her alerts, newest first; each case shown is noted as read (its URN is shown), keys fetched together."""
    rows = list(db.session.scalars(keyset.newest_first(_query(user), Alert, after, limit)))
    items, following = keyset.page(rows, limit)
    reads.note((alert.referral_id for alert in items), reads.LIST)
    key_provider().prefetch([alert.client_id for alert in items])
    return AlertPage(items, following)


def get_alert(user: User, alert_id: Any) -> Alert | None:
    """One of her alerts, on a case she may open now; None for another's, an unknown one or a malformed id."""
    try:
        key = alert_id if isinstance(alert_id, uuid.UUID) else uuid.UUID(str(alert_id))
    except ValueError:
        return None
    alert = db.session.scalars(_query(user).where(Alert.id == key)).first()
    if alert is not None:
        reads.note([alert.referral_id], reads.LIST)
    return alert


# --- acknowledging ---


def acknowledge(alert: Alert, actor: User) -> None:
    """Its reader acknowledges the alert: who and when are kept, audited (``alert.acknowledged``), and it leaves
    her unread count. Someone else's alert is NotFound; one acknowledged already is Conflict, and nothing changes."""
    if alert.recipient_id != actor.id:
        raise NotFound(_("There is no such alert"))
    with transaction():
        moved = db.session.execute(
            update(Alert)
            .where(Alert.id == alert.id, Alert.recipient_id == actor.id, Alert.acknowledged_at.is_(None))
            .values(acknowledged_at=utcnow(), acknowledged_by_id=actor.id)
        )
        if moved.rowcount != 1:
            raise Conflict(_("You have already acknowledged this alert"))
        record_event(
            "alert.acknowledged",
            object_type="alert",
            object_id=alert.id,
            case_id=alert.referral_id,
            details={"kind": alert.kind},
            actor=actor,
        )
    db.session.refresh(alert)

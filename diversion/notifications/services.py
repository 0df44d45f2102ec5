"""Storing, sending, retrying and cancelling messages; STOP; the sweep's message steps.

Sending is claim, then send, then record. The claim is one conditional UPDATE (queued -> sending, with the claim's time)
committed before the provider is called, so of two sweeps (or RQ workers) racing for a message only one sends it; the
send runs with no transaction open and the result is recorded in a new one (``deliver``); a claim left by a sender
that crashed is put back on the queue after STALE_CLAIM. The unique dedupe key means a second sweep cannot queue a
message twice either. A failure worth retrying goes back to the queue with exponential
backoff until the attempts run out.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update

from diversion.appointments.models import Appointment
from diversion.audit.services import record_event
from diversion.auth.models import User
from diversion.db import transaction, utcnow
from diversion.errors import InvalidTransition, NotFound
from diversion.extensions import db
from diversion.i18n import user_language
from diversion.notifications import queueing
from diversion.notifications.models import ClientMessage, Kind, Notification, StaffMessage, Status
from diversion.notifications.outbox import email_staff
from diversion.notifications.providers import (
    DeliveryError,
    NotifyNotifier,
    OutgoingMessage,
    SendResult,
    notifier_for,
)
from diversion.notifications.queueing import SendReport
from diversion.notifications.reminders import fill_reminder, quiet_hours_of, reminder_blocker, safe_contact_for
from diversion.referrals.models import ConsentPurpose, Referral
from diversion.signals import appointment_changed, final_state_reached, needs_attention

log = logging.getLogger("diversion.notifications")

# A message claimed this long ago whose sender never reported back (a crash mid-send) is queued again.
STALE_CLAIM = timedelta(minutes=15)
TABLE = Notification.__table__


def email_active_managers(
    *, dedupe: str, subject: str | Callable[[], str], body: str | Callable[[], str], now: datetime
) -> int:
    """Queue one staff email to each active manager, keyed ``<dedupe>:<manager id>`` so that no manager gets the same
    one twice however often this runs; returns how many were queued (alerts from the sweep: a broken audit chain,
    the calendar's horizon). A subject or body given as a function is written for each manager in her language
    (``diversion.i18n.user_language``)."""
    from diversion.auth.models import Role

    managers = db.session.scalars(
        select(User)
        .where(
            User.role == Role.MANAGER.value,
            User.may_be_sent_mail(),
        )
        .order_by(User.email)
    ).all()
    added = 0
    for manager in managers:
        with force_locale(user_language(manager)):
            words = (subject() if callable(subject) else subject, body() if callable(body) else body)
        with transaction():
            added += email_staff(manager, dedupe=f"{dedupe}:{manager.id}", subject=words[0], body=words[1], now=now)
    return added


def claim(notification_id: uuid.UUID, now: datetime) -> bool:
    """Take a queued message for sending (committed at once); False when another sender has it or it is not due."""
    with transaction():
        result = db.session.execute(
            update(TABLE)
            .where(
                TABLE.c.id == notification_id,
                TABLE.c.status == Status.QUEUED.value,
                TABLE.c.next_attempt_at <= now,
            )
            .values(status=Status.SENDING.value, claimed_at=now, attempts=TABLE.c.attempts + 1, updated_at=utcnow())
        )
    return result.rowcount == 1


def backoff(attempts: int) -> timedelta:
    """How long to wait after the n-th failed attempt: the base doubled each time."""
    base: timedelta = current_app.config["NOTIFY_RETRY_BASE"]
    return base * (2 ** max(attempts - 1, 0))


def _load(notification_id: uuid.UUID) -> Notification | None:
    return db.session.scalars(
        select(Notification).where(Notification.id == notification_id).execution_options(populate_existing=True)
    ).first()


def _finish(message: Notification, status: Status, reason: str | None = None) -> str:
    message.status = status.value
    message.reason = reason
    message.claimed_at = None
    return status.value


def _failed(message: Notification, reason: str) -> str:
    """The message failed for good. One to her tells her worker (or, with none, the managers) at once, since she
    will not be reminded (docs/alerts.md); once per message, however often it is sent again and fails."""
    status = _finish(message, Status.FAILED, reason)
    if isinstance(message, ClientMessage) and message.referral_id is not None:
        referral = db.session.get(Referral, message.referral_id)
        if referral is not None:
            needs_attention.send(referral, kind="message_failed", key=f"message_failed:{message.id}", actor=None)
    return status


def _recheck_reminder(message: ClientMessage, now: datetime) -> str | None:
    """Just before a reminder goes: every rule again. Returns a final status when it must not go now."""
    appointment = db.session.get(Appointment, message.appointment_id)
    referral = db.session.get(Referral, message.referral_id)
    if appointment is None or referral is None:
        return _finish(message, Status.CANCELLED, "appointment_gone")
    blocker = reminder_blocker(referral, appointment, now)
    if blocker is not None:
        return _finish(message, Status.CANCELLED, blocker)
    quiet = quiet_hours_of(referral.client_id)
    if quiet is not None and quiet.contains(now):
        later = quiet.next_safe(now)
        if later > appointment.starts_at - current_app.config["REMINDER_MIN_NOTICE"]:
            return _finish(message, Status.CANCELLED, "quiet_hours")
        # Not an attempt: it waits for her safe hours.
        message.attempts -= 1
        message.next_attempt_at = later
        return _finish(message, Status.QUEUED, "quiet_hours")
    contact = safe_contact_for(referral.client)
    if contact is not None and (contact.channel != message.channel or contact.address != message.recipient):
        fill_reminder(message, contact, appointment)
    return None


def _staff_blocker(message: StaffMessage) -> str | None:
    """Just before a staff email goes: why it must not, if its reader was disabled, or is waiting for a manager to
    confirm an administrator's change to the account (docs/people.md), since it was queued; else None."""
    user = db.session.get(User, message.user_id) if message.user_id is not None else None
    if user is None or user.is_disabled:
        return "account_disabled"
    if user.confirmation_needed_at is not None:
        return "account_not_confirmed"
    return None


def deliver(notification_id: uuid.UUID, now: datetime | None = None) -> str:
    """Send one message if it is still due and still allowed; returns its status afterwards ('skipped' when another
    sender has it).

    Three steps, and the provider is called in none of them: the claim (committed), reading and checking what to
    send (committed), then the send with no transaction open and no connection checked out, then the result in a
    transaction of its own. A provider may take its whole timeout (20 seconds) to answer; holding a transaction
    meanwhile would keep the message's row locked and a pooled connection busy, so a concurrent sweep, a manager's
    retry or a cancellation would wait on it, and a few slow sends would empty the pool for the pages."""
    now = now or utcnow()
    if not claim(notification_id, now):
        return "skipped"
    with transaction():
        message = _load(notification_id)
        if message is None:
            return "skipped"
        if isinstance(message, ClientMessage) and message.kind == Kind.REMINDER.value:
            held = _recheck_reminder(message, now)
            if held is not None:
                return held
        if isinstance(message, StaffMessage) and (blocked := _staff_blocker(message)) is not None:
            return _finish(message, Status.CANCELLED, blocked)
        # Everything the send needs is read here, inside the transaction: touching the message after the commit
        # would load it again and open a new one.
        outgoing = OutgoingMessage(
            str(message.id), message.channel, str(message.recipient), message.subject, str(message.body)
        )
        notifier = notifier_for(message.channel, current_app.config)
        attempt = message.attempts
        claimed_at = message.claimed_at
    # The commit above gave the session's connection back to the pool: the wait below holds neither a transaction nor
    # a connection (tests/notifications/test_sending.py checks both).
    try:
        result: SendResult | DeliveryError = notifier.send(outgoing)
    except DeliveryError as error:
        result = error
    return _record(notification_id, notifier.name, result, attempt=attempt, claimed_at=claimed_at, now=now)


def _record(
    notification_id: uuid.UUID,
    provider: str,
    result: SendResult | DeliveryError,
    *,
    attempt: int,
    claimed_at: datetime | None,
    now: datetime,
) -> str:
    """What the provider said, in a transaction of its own. Only the sender whose claim still stands records it: if a
    send outlived STALE_CLAIM and another sender took the message over, the taker's result is the one kept. A message
    put back on the queue but not taken again is recorded here, since it did go."""
    with transaction():
        message = _load(notification_id)
        if message is None:
            return "skipped"
        ours = (
            message.status == Status.SENDING.value and message.attempts == attempt and message.claimed_at == claimed_at
        )
        if not ours and message.status != Status.QUEUED.value:
            log.warning("send finished after its claim was taken over", extra={"notification_id": str(message.id)})
            return message.status
        message.provider = provider
        if isinstance(result, DeliveryError):
            log.warning(
                "message not sent",
                extra={"notification_id": str(message.id), "code": result.code, "attempt": attempt},
            )
            if result.transient and attempt < current_app.config["NOTIFY_MAX_ATTEMPTS"]:
                message.next_attempt_at = now + backoff(attempt)
                return _finish(message, Status.QUEUED, result.code)
            return _failed(message, result.code)
        message.provider_reference = result.reference[:100]
        message.sent_at = now
        if result.delivered:
            message.delivered_at = now
            return _finish(message, Status.DELIVERED)
        return _finish(message, Status.SENT)


def requeue_stale_claims(now: datetime) -> int:
    """Put back messages whose sender died after claiming them."""
    with transaction():
        result = db.session.execute(
            update(TABLE)
            .where(TABLE.c.status == Status.SENDING.value, TABLE.c.claimed_at < now - STALE_CLAIM)
            .values(status=Status.QUEUED.value, claimed_at=None, reason="stale_claim", updated_at=utcnow())
        )
    return int(result.rowcount or 0)


def due_ids(now: datetime, limit: int = 500) -> list[uuid.UUID]:
    """Queued messages due now, oldest first."""
    return list(
        db.session.scalars(
            select(Notification.id)
            .where(Notification.status == Status.QUEUED.value, Notification.next_attempt_at <= now)
            .order_by(Notification.next_attempt_at, Notification.id)
            .limit(limit)
        )
    )


def send_due(now: datetime | None = None) -> SendReport:
    """Send what is due: on RQ when REDIS_URL is set (the worker sends), otherwise here and now."""
    now = now or utcnow()
    requeue_stale_claims(now)
    ids = due_ids(now)
    return queueing.send(ids, deliver, now, job="diversion.notifications.jobs.deliver_job")


def refresh_delivery(now: datetime | None = None, limit: int = 200) -> int:
    """Ask GOV.UK Notify what became of recent messages it accepted; returns how many changed."""
    if not current_app.config.get("NOTIFY_API_KEY"):
        return 0
    now = now or utcnow()
    messages = list(
        db.session.scalars(
            select(Notification)
            .where(
                Notification.status == Status.SENT.value,
                Notification.provider == "notify",
                Notification.sent_at >= now - timedelta(days=3),
            )
            .limit(limit)
        )
    )
    notifier = notifier_for("sms", current_app.config)
    if not isinstance(notifier, NotifyNotifier):
        return 0
    changed = 0
    for message in messages:
        status = notifier.status_of(message.provider_reference or "")
        if status is None:
            continue
        with transaction():
            if status == "delivered":
                message.delivered_at = now
                _finish(message, Status.DELIVERED)
            else:
                _failed(message, "notify_undelivered")
        changed += 1
    return changed


def cancel_reminders(*, reason: str, appointment_id: Any = None, referral_id: Any = None, client_id: Any = None) -> int:
    """Cancel an appointment's, a case's or a client's queued reminders (flush only; the caller's transaction
    commits)."""
    conditions = [
        TABLE.c.kind == Kind.REMINDER.value,
        TABLE.c.status == Status.QUEUED.value,
    ]
    if appointment_id is not None:
        conditions.append(TABLE.c.appointment_id == appointment_id)
    if referral_id is not None:
        conditions.append(TABLE.c.referral_id == referral_id)
    if client_id is not None:
        conditions.append(TABLE.c.client_id == client_id)
    if len(conditions) == 2:
        raise ValueError("cancel_reminders needs an appointment, a case or a client")
    result = db.session.execute(
        update(TABLE).where(*conditions).values(status=Status.CANCELLED.value, reason=reason, updated_at=utcnow())
    )
    return int(result.rowcount or 0)


def on_appointment_change(appointment: Appointment, change: str) -> None:
    """Appointment hook: a rebooked appointment or one with an outcome gets no more reminders."""
    reason = {"moved": "appointment_moved", "outcome": "outcome_recorded"}.get(change, change)
    cancel_reminders(appointment_id=appointment.id, reason=reason[:32])


def on_final_state(referral: Referral, actor: Any = None) -> None:
    """Final-state hook: a closed case gets no more reminders; partners who asked hear of its notice."""
    from diversion.notices.services import notice_for
    from diversion.notifications.digests import queue_notice_emails

    cancel_reminders(referral_id=referral.id, reason="case_closed")
    notice = notice_for(referral)
    if notice is not None:
        queue_notice_emails(notice)


def register_hooks() -> None:
    """Attach the hooks (idempotent: safe when several apps are built in one process)."""
    appointment_changed.connect(on_appointment_change, weak=False)
    final_state_reached.connect(on_final_state, weak=False)


def record_stop(referral: Referral, actor: User) -> int:
    """She replied STOP: her consent to reminders is withdrawn and every queued reminder of hers is cancelled.
    Returns how many were cancelled."""
    from diversion.referrals.consent import record_consent

    record_consent(referral, ConsentPurpose.REMINDERS, False, actor)
    with transaction():
        cancelled = cancel_reminders(client_id=referral.client_id, reason="stop_reply")
        record_event(
            "reminders.stop_recorded",
            object_type="referral",
            object_id=referral.id,
            case_id=referral.id,
            details={"cancelled": cancelled},
            actor=actor,
        )
    return cancelled


def retry(message: Notification, actor: User, now: datetime | None = None) -> None:
    """A manager sends a failed message again: it is queued for the next sweep with its attempts reset."""
    if message.status != Status.FAILED.value:
        raise InvalidTransition(_("Only a failed message can be sent again"))
    if getattr(actor, "organisation_id", None) is not None and visible_message(actor, message.id) is None:
        raise NotFound(_("There is no such message"))
    with transaction():
        claimed = db.session.execute(
            update(TABLE)
            .where(TABLE.c.id == message.id, TABLE.c.status == Status.FAILED.value)
            .values(
                status=Status.QUEUED.value,
                attempts=0,
                reason=None,
                next_attempt_at=now or utcnow(),
                updated_at=utcnow(),
            )
        )
        if claimed.rowcount != 1:
            raise InvalidTransition(_("Only a failed message can be sent again"))
        record_event(
            "notification.retried",
            object_type="notification",
            object_id=message.id,
            case_id=message.referral_id,
            details={"kind": message.kind},
            actor=actor,
        )
    db.session.refresh(message)


def messages_of(referral: Referral) -> list[ClientMessage]:
    """The case's messages to her, newest first."""
    return list(
        db.session.scalars(
            select(ClientMessage)
            .where(ClientMessage.referral_id == referral.id)
            .order_by(ClientMessage.due_at.desc(), ClientMessage.id)
        )
    )


def visible_to(viewer: User) -> Any:
    """SQL: the messages a manager may see and send again (docs/organisations.md): those about a case of her
    schemes (a reminder; a notice email about its notice), and those to a member of her organisation's staff (a
    digest). A message about another organisation's case, or to its people, is not hers."""
    from diversion.notices.models import OutcomeNotice
    from diversion.scoping import cases_filter

    cases = select(Referral.id).where(cases_filter(viewer))
    conditions = [
        Notification.referral_id.in_(cases),
        Notification.notice_id.in_(select(OutcomeNotice.id).where(OutcomeNotice.referral_id.in_(cases))),
    ]
    if viewer.organisation_id is not None:
        staff = select(User.id).where(User.organisation_id == viewer.organisation_id)
        conditions.append(Notification.user_id.in_(staff) & Notification.referral_id.is_(None))
    return or_(*conditions)


def failed_messages(limit: int = 200, viewer: User | None = None) -> list[Notification]:
    """Failed messages, newest first, for the manager's page (plain columns only are shown): those ``viewer`` may
    see when she is given."""
    query = select(Notification).where(Notification.status == Status.FAILED.value)
    if viewer is not None:
        query = query.where(visible_to(viewer))
    return list(db.session.scalars(query.order_by(Notification.updated_at.desc(), Notification.id).limit(limit)))


def visible_message(viewer: User, notification_id: Any) -> Notification | None:
    """A message the manager may see, by id; None for an unknown one or another's."""
    try:
        key = notification_id if isinstance(notification_id, uuid.UUID) else uuid.UUID(str(notification_id))
    except ValueError:
        return None
    return db.session.scalars(select(Notification).where(Notification.id == key, visible_to(viewer))).first()


def count_failed() -> int:
    """How many messages have failed."""
    return int(
        db.session.scalar(select(func.count()).select_from(TABLE).where(TABLE.c.status == Status.FAILED.value)) or 0
    )


@dataclass
class SweepReport:
    """What the message steps of the sweep did."""

    reminders: int = 0
    digests: int = 0
    notice_emails: int = 0
    sent: SendReport = field(default_factory=SendReport)
    delivery_updates: int = 0

    def line(self) -> str:
        """One line for the command's output: counts only."""
        queued = (
            f"Messages: {self.reminders} reminders, {self.digests} digests"
            f" and {self.notice_emails} notice emails queued"
        )
        if self.sent.enqueued:
            return f"{queued}; {self.sent.enqueued} handed to the worker."
        sent = self.sent.count(Status.SENT.value) + self.sent.count(Status.DELIVERED.value)
        retrying = self.sent.count(Status.QUEUED.value)
        return (
            f"{queued}; {sent} sent, {self.sent.count(Status.FAILED.value)} failed, {retrying} to try again, "
            f"{self.sent.count(Status.CANCELLED.value)} cancelled."
        )


def sweep_messages(now: datetime | None = None) -> SweepReport:
    """The sweep's message steps: queue reminders, digests and notice emails that are due, send what is due, and
    ask Notify what was delivered. Running it twice in a row sends nothing twice."""
    from diversion.notifications.digests import queue_digests, queue_recent_notice_emails
    from diversion.notifications.reminders import plan_reminders

    now = now or utcnow()
    report = SweepReport()
    report.reminders = plan_reminders(now)
    report.digests = queue_digests(now)
    report.notice_emails = queue_recent_notice_emails(now)
    report.sent = send_due(now)
    report.delivery_updates = refresh_delivery(now)
    return report

"""Subscriptions, the outbox, and sending (docs/webhooks.md).

Events are written as rows of ``webhook_deliveries`` in the transaction that made them (``emit``, called from the
signals ``referrals.states`` and ``notices.services`` send), so a rolled-back change leaves no delivery. Only after
the commit is anything sent: the committed ids go on the RQ queue when REDIS_URL is set, or are sent in this process
once the response has gone (``send_after_response``); the sweep and ``flask --app wsgi webhooks deliver`` send
whatever is due, retries included. Sending follows docs/notifications.md: claim (committed), read what to send
(committed), POST with no transaction open and no connection held, record the result in a transaction of its own.

What a delivery carries is read when it is sent, as the subscriber's own GET would answer then: the case in the
status shape (GET /api/v1/referrals/{id}) or the notice (GET /api/v1/notices), her identity withheld once she
withdraws consent to share, nothing once the case is outside the subscriber's scope.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_app_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, event, or_, select, update
from sqlalchemy.orm import Session

from diversion.audit.services import Entry, record_event, record_events
from diversion.auth.models import Role, User
from diversion.db import transaction, utcnow
from diversion.errors import ValidationFailed
from diversion.extensions import db
from diversion.notifications import queueing
from diversion.notifications.queueing import SendReport
from diversion.organisations.models import cps_courts
from diversion.webhooks import addresses, delivery, signing
from diversion.webhooks.models import DeliveryStatus, Event, WebhookDelivery, WebhookSubscription

log = logging.getLogger("diversion.webhooks")

PARTNER_ROLES = (Role.COURT.value, Role.CPS.value)
# A user keeps at most this many subscriptions.
MAX_SUBSCRIPTIONS = 10
# A claim this old whose sender never recorded a result (a crash mid-send) is queued again.
STALE_CLAIM = timedelta(minutes=5)
# What the outbox keeps in the session until its transaction ends (docs/webhooks.md, "After the commit").
NEW_KEY = "webhooks_new"
READY_KEY = "webhooks_ready"
TABLE = WebhookDelivery.__table__

# Short codes on the delivery log, in words (the codes are stored; the words are the reader's language).
ERRORS = {
    "http_status": _l("The receiver did not answer 2xx"),
    "timeout": _l("No answer within 10 seconds"),
    "connection": _l("Could not connect"),
    "tls": _l("The receiver's certificate was not accepted"),
    "private_address": _l("Refused: not a public address"),
    "refused_address": _l("Refused address"),
    "unresolved": _l("Host name not found"),
    "not_https": _l("Refused: not https"),
    "malformed": _l("Refused: not a valid address"),
    "expired": _l("Gave up: older than 24 hours"),
    "out_of_scope": _l("Not sent: no longer yours to see"),
    "not_allowed": _l("Not sent: your account may not receive it"),
    "stale_claim": _l("Sending was interrupted; queued again"),
}


# --- subscriptions ---


def events_from(names: Iterable[Any]) -> list[Event]:
    """The events named, in the order of Event; ValidationFailed when none, unknown or repeated."""
    names = list(names)
    if not names:
        raise ValidationFailed.on("events", _("Choose at least one event"))
    if len(set(map(str, names))) != len(names):
        raise ValidationFailed.on("events", _("Name each event once"))
    known = {item.value for item in Event}
    for name in names:
        if str(name) not in known:
            raise ValidationFailed.on(
                "events", _("Choose from %(events)s", events=", ".join(item.value for item in Event))
            )
    return [item for item in Event if item.value in set(map(str, names))]


def subscribe(user: User, url: str, names: Iterable[Any]) -> tuple[WebhookSubscription, str]:
    """A new subscription of ``url`` to the events named, and its secret (returned here once, stored encrypted).
    ValidationFailed (422) for a target the service will not call, naming why."""
    if user.role not in PARTNER_ROLES:
        raise ValidationFailed(_("Only court and CPS users can subscribe to webhooks"))
    events = events_from(names)
    try:
        addresses.check(url)
    except addresses.RefusedAddress as refused:
        raise ValidationFailed.on("url", refused.message) from None
    if len(subscriptions_of(user)) >= MAX_SUBSCRIPTIONS:
        raise ValidationFailed(
            _("You have %(count)d subscriptions: delete one to add another", count=MAX_SUBSCRIPTIONS)
        )
    secret = signing.new_secret()
    with transaction():
        subscription = WebhookSubscription(user_id=user.id, url=url, events=",".join(item.value for item in events))
        subscription.secret = secret
        db.session.add(subscription)
        db.session.flush()
        record_event(
            "webhook.created",
            object_type="webhook",
            object_id=subscription.id,
            details={"events": [item.value for item in events]},
            actor=user,
        )
    return subscription, secret


def subscriptions_of(user: User) -> list[WebhookSubscription]:
    """A user's own subscriptions, oldest first."""
    return list(
        db.session.scalars(
            select(WebhookSubscription)
            .where(WebhookSubscription.user_id == user.id)
            .order_by(WebhookSubscription.created_at, WebhookSubscription.id)
        )
    )


def own_subscription(user: User, subscription_id: Any) -> WebhookSubscription | None:
    """The user's subscription with this id; None when unknown or another user's (the caller answers 404)."""
    try:
        wanted = uuid.UUID(str(subscription_id))
    except ValueError:
        return None
    return db.session.scalars(
        select(WebhookSubscription).where(WebhookSubscription.id == wanted, WebhookSubscription.user_id == user.id)
    ).first()


def delete(subscription: WebhookSubscription, actor: User) -> None:
    """Delete a subscription and its delivery log."""
    with transaction():
        subscription_id = subscription.id
        db.session.execute(TABLE.delete().where(TABLE.c.subscription_id == subscription_id))
        db.session.delete(subscription)
        record_event("webhook.deleted", object_type="webhook", object_id=subscription_id, actor=actor)


def pause(subscription: WebhookSubscription, actor: User) -> None:
    """Its owner pauses it: nothing is sent until it is resumed."""
    with transaction():
        if subscription.paused_at is None:
            subscription.paused_at = utcnow()
            subscription.pause_reason = "owner"
            record_event("webhook.paused", object_type="webhook", object_id=subscription.id, actor=actor)


def resume(subscription: WebhookSubscription, actor: User) -> None:
    """Its owner resumes it: the count of failures starts again, and deliveries still within the retry window go."""
    with transaction():
        if subscription.paused_at is not None:
            subscription.paused_at = None
            subscription.pause_reason = None
            subscription.failures_in_row = 0
            record_event("webhook.resumed", object_type="webhook", object_id=subscription.id, actor=actor)


def deliveries_of(subscription: WebhookSubscription, limit: int = 50) -> list[WebhookDelivery]:
    """A subscription's recent deliveries, newest first."""
    return list(
        db.session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.subscription_id == subscription.id)
            .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id)
            .limit(limit)
        )
    )


def subscription_body(subscription: WebhookSubscription) -> dict[str, Any]:
    """A subscription as the API answers it: never its secret."""
    from diversion.api.serializers import moment

    return {
        "id": str(subscription.id),
        "url": subscription.url,
        "events": [item.value for item in subscription.event_list],
        "created_at": moment(subscription.created_at),
        "paused_at": moment(subscription.paused_at),
        "pause_reason": subscription.pause_reason,
    }


# --- the outbox: rows in the event's transaction ---


def emit(event_name: Event, *, referral_id: uuid.UUID, court_id: int, notice_id: uuid.UUID | None = None) -> int:
    """Write one delivery for each subscription that may hear of this event (flush only, in the caller's
    transaction): court users' at the case's court, and the CPS users' who cover that court (the users who may see
    the case, diversion/scoping.py). Returns how many."""
    covering = select(cps_courts.c.user_id).where(cps_courts.c.court_id == court_id)
    subscribers = db.session.scalars(
        select(WebhookSubscription)
        .join(User, User.id == WebhookSubscription.user_id)
        .where(
            WebhookSubscription.events.contains(event_name.value),
            User.may_be_sent_mail(),
            or_(
                and_(User.role == Role.CPS.value, User.id.in_(covering)),
                and_(User.role == Role.COURT.value, User.court_id == court_id),
            ),
        )
    ).all()
    now = utcnow()
    made = []
    for subscription in subscribers:
        if event_name not in subscription.event_list:
            continue
        row = WebhookDelivery(
            subscription_id=subscription.id,
            event=event_name.value,
            referral_id=referral_id,
            notice_id=notice_id,
            created_at=now,
            next_attempt_at=now,
        )
        db.session.add(row)
        made.append(row.id)
    if made:
        db.session.info.setdefault(NEW_KEY, []).extend(made)
    return len(made)


def on_state_changed(referral: Any, **_: Any) -> None:
    emit(Event.STATE_CHANGED, referral_id=referral.id, court_id=referral.court_id)


def on_notice_created(notice: Any, **_: Any) -> None:
    emit(Event.NOTICE_CREATED, referral_id=notice.referral_id, court_id=notice.court_id, notice_id=notice.id)


def on_notice_corrected(notice: Any, **_: Any) -> None:
    emit(Event.NOTICE_CORRECTED, referral_id=notice.referral_id, court_id=notice.court_id, notice_id=notice.id)


def enqueue_delivery(ids: Iterable[uuid.UUID]) -> int:
    """Put a job for each delivery on the notifications queue; returns how many."""
    return queueing.enqueue_delivery(ids, job="diversion.webhooks.jobs.deliver_job")


def _after_commit(session: Session) -> None:
    """The event's transaction committed: its deliveries may go now, from the queue or after the response."""
    ids = session.info.pop(NEW_KEY, None)
    if not ids or not has_app_context():
        return
    if current_app.config.get("REDIS_URL"):
        try:
            enqueue_delivery(ids)
            return
        except Exception as error:  # noqa: BLE001 - the queue down: the sweep sends them
            log.warning("queue unavailable, left for the sweep", extra={"error_type": type(error).__name__})
            return
    session.info.setdefault(READY_KEY, []).extend(ids)


def _after_rollback(session: Session) -> None:
    """Rolled back: its deliveries were never written, and nothing is sent."""
    session.info.pop(NEW_KEY, None)


def ready_ids() -> list[uuid.UUID]:
    """The committed deliveries waiting to be sent in this process (and no longer waiting here)."""
    return list(db.session.info.pop(READY_KEY, None) or [])


def send_ready() -> int:
    """Send the deliveries this process committed; returns how many were tried."""
    ids = ready_ids()
    for delivery_id in ids:
        deliver(delivery_id)
    return len(ids)


def send_after_response(response: Any) -> Any:
    """After a request: what it committed goes once the response has been sent (no request waits on a receiver)."""
    ids = ready_ids() if has_app_context() and db.session.info.get(READY_KEY) else []
    if ids:
        app = current_app._get_current_object()  # type: ignore[attr-defined]

        def send() -> None:
            with app.app_context():
                for delivery_id in ids:
                    try:
                        deliver(delivery_id)
                    except Exception:  # left queued: the sweep tries again
                        log.exception("webhook delivery failed", extra={"delivery_id": str(delivery_id)})

        response.call_on_close(send)
    return response


def register_hooks(app: Any) -> None:
    """Listen for events, watch commits and send after responses (idempotent)."""
    from diversion.notices.services import notice_corrected, notice_created
    from diversion.referrals.states import state_changed

    state_changed.connect(on_state_changed, weak=False)
    notice_created.connect(on_notice_created, weak=False)
    notice_corrected.connect(on_notice_corrected, weak=False)
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
    app.after_request(send_after_response)


# --- sending ---


def backoff(attempt: int) -> timedelta:
    """How long after the n-th failed attempt the next goes: the base doubled each time, at most the maximum."""
    config = current_app.config
    base: timedelta = config["WEBHOOK_RETRY_BASE"]
    return min(base * (2 ** max(attempt - 1, 0)), config["WEBHOOK_RETRY_MAX"])


def claim(delivery_id: uuid.UUID, now: datetime) -> bool:
    """Take a due delivery of a running subscription (committed at once); False when another sender has it."""
    running = select(WebhookSubscription.id).where(WebhookSubscription.paused_at.is_(None))
    with transaction():
        result = db.session.execute(
            update(TABLE)
            .where(
                TABLE.c.id == delivery_id,
                TABLE.c.status == DeliveryStatus.QUEUED.value,
                TABLE.c.next_attempt_at <= now,
                TABLE.c.subscription_id.in_(running),
            )
            .values(status=DeliveryStatus.SENDING.value, claimed_at=now, attempts=TABLE.c.attempts + 1)
        )
    return result.rowcount == 1


def _load(delivery_id: uuid.UUID) -> WebhookDelivery | None:
    return db.session.scalars(
        select(WebhookDelivery).where(WebhookDelivery.id == delivery_id).execution_options(populate_existing=True)
    ).first()


def _finish(row: WebhookDelivery, status: DeliveryStatus, error: str | None = None) -> str:
    row.status = status.value
    row.claimed_at = None
    if error is not None:
        row.error = error
    return status.value


def payload_data(row: WebhookDelivery, owner: User) -> dict[str, Any] | None:
    """What the delivery's subscriber may read of its record now, as their own GET would answer it; None when it is
    outside what they may see (a court they do not cover, or gone: diversion/scoping.py)."""
    from diversion.api.notices import notice_body
    from diversion.api.serializers import case_status
    from diversion.notices.services import get_notice
    from diversion.referrals import queries

    if row.notice_id is not None:
        notice = get_notice(row.notice_id, user=owner)
        if notice is None:
            return None
        return notice_body(notice, queries.identity(notice.referral, owner.role))
    status = queries.case_status(row.referral_id, user=owner)
    if status is None:
        return None
    return case_status(status, queries.status_appointments(row.referral_id), queries.identity(status, owner.role))


@dataclass(frozen=True)
class _Outgoing:
    url: str
    secret: str
    body: bytes
    attempt: int
    claimed_at: datetime | None


def _prepare(delivery_id: uuid.UUID, now: datetime) -> _Outgoing | str:
    """Inside one transaction: read the delivery and what it carries, or finish it when it must not go."""
    from diversion.api.serializers import moment

    row = _load(delivery_id)
    if row is None:
        return "skipped"
    subscription = db.session.get(WebhookSubscription, row.subscription_id)
    owner = (
        db.session.scalars(select(User).where(User.id == subscription.user_id, User.may_be_sent_mail())).first()
        if subscription is not None
        else None
    )
    if subscription is None or owner is None or owner.role not in PARTNER_ROLES:
        return _finish(row, DeliveryStatus.CANCELLED, "not_allowed")
    if now >= row.created_at + current_app.config["WEBHOOK_RETRY_WINDOW"]:
        return _finish(row, DeliveryStatus.FAILED, "expired")
    data = payload_data(row, owner)
    if data is None:
        return _finish(row, DeliveryStatus.CANCELLED, "out_of_scope")
    payload = {"id": str(row.id), "event": row.event, "created_at": moment(row.created_at), "data": data}
    body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    # Sending her status to a partner is a read of her case by that partner: audited as their API reads are.
    details = {"page": "webhooks.deliver", "view": "status"}
    record_events("case.viewed", [Entry("referral", row.referral_id, row.referral_id, details)], actor=owner)
    return _Outgoing(subscription.url, str(subscription.secret), body, row.attempts, row.claimed_at)


def deliver(delivery_id: uuid.UUID, now: datetime | None = None) -> str:
    """Send one delivery if it is due; returns its status afterwards ('skipped' when another sender has it)."""
    now = now or utcnow()
    if not claim(delivery_id, now):
        return "skipped"
    with transaction():
        prepared = _prepare(delivery_id, now)
    if isinstance(prepared, str):
        return prepared
    # No transaction is open and the session's connection is back in the pool while the receiver takes its time.
    timestamp = int(utcnow().timestamp())
    outcome = delivery.post(
        prepared.url,
        prepared.body,
        signing.header_value(prepared.secret, timestamp, prepared.body),
        timeout=float(current_app.config["WEBHOOK_TIMEOUT"]),
    )
    return _record(delivery_id, outcome, prepared, now)


def _record(delivery_id: uuid.UUID, outcome: delivery.Outcome, sent: _Outgoing, now: datetime) -> str:
    """The attempt's result, by the sender whose claim still stands."""
    with transaction():
        row = _load(delivery_id)
        if row is None:
            return "skipped"
        ours = (
            row.status == DeliveryStatus.SENDING.value
            and row.attempts == sent.attempt
            and row.claimed_at == sent.claimed_at
        )
        if not ours:
            return row.status
        row.last_attempt_at = now
        row.status_code = outcome.status_code
        subscriptions = WebhookSubscription.__table__
        if outcome.ok:
            row.error = None
            row.delivered_at = now
            db.session.execute(
                update(subscriptions).where(subscriptions.c.id == row.subscription_id).values(failures_in_row=0)
            )
            return _finish(row, DeliveryStatus.DELIVERED)
        log.warning(
            "webhook not delivered",
            extra={"delivery_id": str(row.id), "code": outcome.error, "attempt": sent.attempt},
        )
        db.session.execute(
            update(subscriptions)
            .where(subscriptions.c.id == row.subscription_id)
            .values(failures_in_row=subscriptions.c.failures_in_row + 1)
        )
        _pause_if_failing(row.subscription_id, now)
        following = now + backoff(sent.attempt)
        if following >= row.created_at + current_app.config["WEBHOOK_RETRY_WINDOW"]:
            return _finish(row, DeliveryStatus.FAILED, outcome.error)
        row.next_attempt_at = following
        return _finish(row, DeliveryStatus.QUEUED, outcome.error)


def _pause_if_failing(subscription_id: uuid.UUID, now: datetime) -> None:
    """After WEBHOOK_PAUSE_AFTER failures in a row: pause the subscription and email its owner, once."""
    subscriptions = WebhookSubscription.__table__
    paused = db.session.execute(
        update(subscriptions)
        .where(
            subscriptions.c.id == subscription_id,
            subscriptions.c.paused_at.is_(None),
            subscriptions.c.failures_in_row >= current_app.config["WEBHOOK_PAUSE_AFTER"],
        )
        .values(paused_at=now, pause_reason="failures")
    )
    if paused.rowcount != 1:
        return
    subscription = db.session.get(WebhookSubscription, subscription_id, populate_existing=True)
    record_event("webhook.paused", object_type="webhook", object_id=subscription_id, details={"reason": "failures"})
    _email_owner(subscription, now)


def pause_email(subscription: WebhookSubscription) -> tuple[str, str]:
    """The subject and body telling an owner their subscription was paused: the host and a link, no case data."""
    from flask import url_for

    host = addresses.parse(subscription.url)[1] if subscription.url else "your receiver"
    link = current_app.config["SERVICE_URL"].rstrip("/") + url_for(
        "webhooks.subscription", subscription_id=subscription.id, _external=False
    )
    failures = current_app.config["WEBHOOK_PAUSE_AFTER"]
    subject = "Your webhook has been paused"
    body = (
        f"Deliveries to your webhook at {host} failed {failures} times in a row, so it has been paused. Nothing "
        f"more will be sent to it until you resume it.\n\nSee its recent deliveries and resume it here: {link}\n"
    )
    return subject, body


def _email_owner(subscription: WebhookSubscription, now: datetime) -> None:
    from diversion.notifications.outbox import email_staff

    owner = db.session.scalars(select(User).where(User.id == subscription.user_id, User.may_be_sent_mail())).first()
    if owner is None:
        return
    try:
        subject, body = pause_email(subscription)
    except addresses.RefusedAddress:
        return
    dedupe = f"webhook-paused:{subscription.id}:{int(now.timestamp())}"
    email_staff(owner, dedupe=dedupe, subject=subject, body=body, now=now)


def requeue_stale_claims(now: datetime) -> int:
    """Put back deliveries whose sender died after claiming them."""
    with transaction():
        result = db.session.execute(
            update(TABLE)
            .where(TABLE.c.status == DeliveryStatus.SENDING.value, TABLE.c.claimed_at < now - STALE_CLAIM)
            .values(status=DeliveryStatus.QUEUED.value, claimed_at=None, error="stale_claim")
        )
    return int(result.rowcount or 0)


def due_ids(now: datetime, limit: int = 500) -> list[uuid.UUID]:
    """Queued deliveries of running subscriptions due now, oldest first."""
    return list(
        db.session.scalars(
            select(WebhookDelivery.id)
            .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .where(
                WebhookDelivery.status == DeliveryStatus.QUEUED.value,
                WebhookDelivery.next_attempt_at <= now,
                WebhookSubscription.paused_at.is_(None),
            )
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
        )
    )


def report_line(report: SendReport) -> str:
    """One line for a command's output of what a round of sending did: counts only."""
    if report.enqueued:
        return f"Webhooks: {report.enqueued} deliveries handed to the worker."
    parts = ", ".join(f"{count} {status}" for status, count in sorted(report.statuses.items())) or "none due"
    return f"Webhooks: {parts}."


def send_due(now: datetime | None = None) -> SendReport:
    """Send the deliveries that are due, retries included: on RQ when REDIS_URL is set, otherwise here."""
    now = now or utcnow()
    requeue_stale_claims(now)
    ids = due_ids(now)
    # What this process was about to send after a response is among them.
    db.session.info.pop(READY_KEY, None)
    return queueing.send(ids, deliver, now, job="diversion.webhooks.jobs.deliver_job")

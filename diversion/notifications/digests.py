"""Email to the service's own people and to partners: the daily digests and the outcome-notice emails.

A digest names cases by initials and links only: at-risk cases, appointments with no outcome yet, and tomorrow's
appointments. A worker gets their own; a manager the team's, and the cases of her schemes a support worker opened
with a reason the day before (the time, the worker and the link; never the reason, nor even initials). A notice
email tells a court or CPS user who asked for it that a notice is ready, with a link: nothing of the support, the
assessment or the plan.

Each is written in its reader's language (``diversion.i18n.user_language``: the one chosen on their account, else
their court's, else English), whoever's request or sweep makes it.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from diversion.appointments.models import Appointment
from diversion.appointments.services import unresolved_appointments
from diversion.audit.services import record_event
from diversion.auth.models import Role, User
from diversion.crypto.fields import is_unreadable
from diversion.dates import LONDON, from_london, london_datetime, short_date
from diversion.db import transaction
from diversion.extensions import db
from diversion.i18n import user_language
from diversion.keyring import key_provider
from diversion.notices.models import OutcomeNotice
from diversion.notifications.models import Kind, PartnerPreference, StaffMessage
from diversion.notifications.outbox import email_staff, insert_if_absent
from diversion.referrals.caseload import appointments_on, at_risk_rule
from diversion.referrals.models import OPEN_STATES, Referral

# Digests are made from DIGEST_AT until this long after it; a sweep later in the day makes none.
DIGEST_WINDOW = timedelta(hours=4)
# The sweep looks this far back for notices whose emails are missing (made before a partner opted in are not sent).
NOTICE_LOOKBACK = timedelta(days=2)


def link(endpoint: str, **values: Any) -> str:
    """An absolute link into the service (SERVICE_URL), usable outside a request (the sweep, the worker)."""
    base = current_app.config["SERVICE_URL"].rstrip("/")
    scheme, _sep, host = base.partition("://")
    adapter = current_app.url_map.bind(host, url_scheme=scheme or "https")
    return adapter.build(endpoint, values, force_external=True)


def initials(referral: Referral) -> str:
    """Her initials, or '?' for a name that cannot be read."""
    parts = []
    for value in (referral.client.given_name, referral.client.family_name):
        parts.append("?" if not value or is_unreadable(value) else str(value).strip()[:1].upper())
    return ".".join(parts) + "."


def digest_body(user: User, on: Any) -> str | None:
    """The digest's text for a worker (their cases) or a manager (the team's); None when there is nothing to say."""
    from diversion.scoping import cases_filter, scheme_ids

    team = user.role == Role.MANAGER
    open_values = [state.value for state in OPEN_STATES]
    # Only the cases she may see (docs/organisations.md): a manager's team is her schemes', never another's.
    query = select(Referral).where(
        Referral.state.in_(open_values), at_risk_rule(on, scheme_ids(user)).condition(), cases_filter(user)
    )
    if not team:
        query = query.where(Referral.assigned_worker_id == user.id)
    at_risk = list(db.session.scalars(query.order_by(Referral.return_date)))
    unresolved = unresolved_appointments(None if team else user.id, user=user)
    tomorrow = appointments_on(on + timedelta(days=1), None if team else user.id, user=user)
    opened = opened_with_reason(user, on) if team else []
    if not (at_risk or unresolved or tomorrow or opened):
        return None
    cases = {referral.id: referral for referral in at_risk}
    wanted = {appointment.referral_id for appointment in [*unresolved, *tomorrow]} - set(cases)
    if wanted:
        cases.update({r.id: r for r in db.session.scalars(select(Referral).where(Referral.id.in_(wanted)))})
    key_provider().prefetch([referral.client_id for referral in cases.values()])

    def case_line(referral: Referral, what: str) -> str:
        if team:  # the team's digest says whose case it is, by name
            worker = referral.assigned_worker
            what = (
                _("%(what)s, %(worker)s", what=what, worker=worker.display_name)
                if worker is not None
                else _("%(what)s, not assigned", what=what)
            )
        return f"- {initials(referral)} {what}: {link('referrals.detail', referral_id=referral.id)}"

    def appointment_line(appointment: Appointment) -> str:
        referral = cases[appointment.referral_id]
        when = london_datetime(appointment.starts_at, short=True)
        return case_line(referral, _("appointment %(number)s, %(when)s", number=appointment.number, when=when))

    sections = []
    if at_risk:
        lines = [case_line(r, _("return date %(date)s", date=short_date(r.return_date))) for r in at_risk]
        heading = _("At risk (return date within the programme's at-risk working days):")
        sections.append(heading + "\n" + "\n".join(lines))
    if unresolved:
        lines = [appointment_line(a) for a in unresolved]
        sections.append(_("Appointments with no outcome recorded:") + "\n" + "\n".join(lines))
    if tomorrow:
        sections.append(_("Tomorrow's appointments:") + "\n" + "\n".join(appointment_line(a) for a in tomorrow))
    if opened:
        sections.append(opened_section(opened))
    summary = _("Today's summary of the team's cases.") if team else _("Today's summary of your cases.")
    return summary + "\n\n" + "\n\n".join(sections) + "\n"


def opened_with_reason(manager: User, on: Any) -> list[Any]:
    """The grants of the day before ``on`` (London) on cases of the manager's schemes: a support worker opened a
    colleague's case with a reason (docs/organisations.md, "Need to know")."""
    from diversion.referrals.need_to_know import grants_between
    from diversion.scoping import scheme_ids

    start = from_london(on - timedelta(days=1), time.min)
    return grants_between(scheme_ids(manager), start, start + timedelta(days=1))


def opened_section(grants: list[Any]) -> str:
    """The digest's lines for cases opened with a reason: when, by whom, and the case's link. Never her name or
    initials, nor the reason, which the page linked at the end shows."""
    lines = [
        f"- {london_datetime(grant.created_at, short=True)}, {grant.user.display_name}: "
        f"{link('referrals.detail', referral_id=grant.referral_id)}"
        for grant in grants
    ]
    lines.append(_("Their reasons: %(link)s", link=link("referrals.access_reasons")))
    return _("Cases opened with a reason yesterday:") + "\n" + "\n".join(lines)


def queue_digests(now: datetime) -> int:
    """Queue today's digest for each active worker and manager with something in it, once a day; returns how many."""
    local = now.astimezone(LONDON)
    hour, minute = (int(part) for part in current_app.config["DIGEST_AT"].split(":"))
    start = datetime.combine(local.date(), time(hour, minute), tzinfo=LONDON)
    if not start <= local < start + DIGEST_WINDOW:
        return 0
    day = local.date()
    users = db.session.scalars(
        select(User)
        .where(
            User.role.in_([Role.WORKER.value, Role.MANAGER.value]),
            User.may_be_sent_mail(),
        )
        .order_by(User.email)
    ).all()
    added = 0
    for user in users:
        key = f"digest:{user.id}:{day.isoformat()}"
        if db.session.scalar(select(StaffMessage.id).where(StaffMessage.dedupe_key == key)) is not None:
            continue
        with force_locale(user_language(user)):
            body = digest_body(user, day)
            if body is None:
                continue
            team = user.role == Role.MANAGER
            subject = _("The team's daily case summary") if team else _("Your daily case summary")
        with transaction():
            added += email_staff(user, dedupe=key, subject=subject, body=body, now=now)
    return added


def partners_for(notice: OutcomeNotice) -> list[User]:
    """Active court users of the notice's court, and CPS users who cover it, who asked to be emailed about
    notices (a CPS user hears of the courts she covers only: docs/organisations.md)."""
    from diversion.organisations.models import cps_courts

    covers = select(cps_courts.c.user_id).where(cps_courts.c.court_id == notice.court_id)
    return list(
        db.session.scalars(
            select(User)
            .join(PartnerPreference, PartnerPreference.user_id == User.id)
            .where(
                PartnerPreference.wants_notice_emails.is_(True),
                User.may_be_sent_mail(),
                ((User.role == Role.CPS.value) & User.id.in_(covers))
                | ((User.role == Role.COURT.value) & (User.court_id == notice.court_id)),
            )
            .order_by(User.email)
        )
    )


def queue_notice_emails(notice: OutcomeNotice) -> int:
    """Queue an email about the notice to each partner who asked (flush only); returns how many were added."""
    added = 0
    for user in partners_for(notice):
        message = StaffMessage(
            id=uuid.uuid4(),
            kind=Kind.NOTICE_EMAIL.value,
            dedupe_key=f"notice:{notice.id}:{user.id}",
            channel="email",
            user_id=user.id,
            notice_id=notice.id,
        )
        message.recipient = user.email
        with force_locale(user_language(user)):
            message.subject, message.body = _notice_email(notice)
        added += insert_if_absent(message)
    return added


def _notice_email(notice: OutcomeNotice) -> tuple[str, str]:
    """A notice email's subject and body, in the language in force (the reader's)."""
    court = notice.referral.court.name if notice.referral is not None else _("the court")
    outcome = notice.outcome_enum.label.lower()
    if notice.corrects_id:
        # A correction (docs/reversals.md) keeps the outcome it corrects: say which it is.
        outcome = _("a correction: the earlier notice (%(outcome)s) was sent in error", outcome=outcome)
    body = _(
        "A new outcome notice has been made for a case at %(court)s: %(outcome)s.\n\nRead it here: %(link)s\n\n"
        "You get this email because you asked to. You can stop it on your notification settings page: %(settings)s",
        court=court,
        outcome=outcome,
        link=link("notices.show", notice_id=notice.id),
        settings=link("notifications.preferences"),
    )
    return _("A new outcome notice"), body


def queue_recent_notice_emails(now: datetime) -> int:
    """The sweep's safety net: queue any missing notice emails for recent notices."""
    notices = db.session.scalars(
        select(OutcomeNotice).where(OutcomeNotice.created_at >= now - NOTICE_LOOKBACK).order_by(OutcomeNotice.id)
    ).all()
    added = 0
    for notice in notices:
        with transaction():
            added += queue_notice_emails(notice)
    return added


def wants_notice_emails(user: User) -> bool:
    """True when the partner asked to be emailed about new notices."""
    preference = db.session.get(PartnerPreference, user.id)
    return bool(preference and preference.wants_notice_emails)


def set_notice_emails(user: User, wanted: bool) -> None:
    """A court or CPS user turns notice emails on or off."""
    with transaction():
        preference = db.session.get(PartnerPreference, user.id)
        if preference is None:
            preference = PartnerPreference(user_id=user.id, wants_notice_emails=wanted)
            db.session.add(preference)
        preference.wants_notice_emails = wanted
        record_event(
            "notifications.notice_emails_set", object_type="user", object_id=user.id, details={"on": wanted}, actor=user
        )

"""Daily digests for workers and managers (initials and links only) and notice emails for partners who opt in."""

from __future__ import annotations

import re
from datetime import UTC, timedelta

import pytest

from diversion.dates import today
from diversion.db import utcnow
from diversion.notifications.digests import queue_digests, queue_recent_notice_emails, set_notice_emails
from diversion.notifications.services import sweep_messages
from diversion.referrals.models import State
from diversion.referrals.withdrawal import withdraw
from tests.factories import book, create_court, create_referral, create_user
from tests.notifications.helpers import london, messages, outbox_for, reminder_case


@pytest.fixture
def morning(app_ctx, monkeypatch):
    """Digests go from 07:30 London; this is tomorrow at 07:45."""
    monkeypatch.setitem(app_ctx.config, "DIGEST_AT", "07:30")
    monkeypatch.setitem(app_ctx.config, "SERVICE_URL", "https://cases.example.org/")
    return london(1, 7, 45).astimezone(UTC)


def test_a_worker_gets_a_digest_of_their_own_cases_with_initials_and_links_only(morning) -> None:
    worker, other = create_user(role="worker"), create_user(role="worker")
    at_risk = create_referral(
        state=State.OPTED_IN,
        worker=worker,
        given_name="Zelda",
        family_name="Quarrington",
        first_hearing_date=today() - timedelta(days=20),
        return_date=today() + timedelta(days=2),
    )
    _, appointment = reminder_case(worker=worker, starts_at=london(2, 11))
    create_referral(state=State.OPTED_IN, worker=other, return_date=today() + timedelta(days=2))
    missed = book(referral=at_risk, worker=worker, number=1, starts_at=utcnow() - timedelta(hours=5))
    assert queue_digests(morning) == 2
    [digest] = messages(user_id=worker.id)
    assert digest.kind == "digest"
    assert digest.recipient == worker.email
    assert digest.subject == "Your daily case summary"
    body = str(digest.body)
    assert f"- Z.Q. return date {at_risk.return_date.day}" in body
    assert f"https://cases.example.org/cases/{at_risk.id}" in body
    assert f"appointment {missed.number}" in body
    assert f"https://cases.example.org/cases/{appointment.referral_id}" in body
    assert "Tomorrow's appointments" in body
    assert "Zelda" not in body
    assert "Quarrington" not in body
    assert str(at_risk.client.phone) not in body
    # Only their own cases: the other worker's at-risk case is not in it.
    assert body.count("https://") == 3
    # Once a day, however often the sweep runs.
    assert queue_digests(morning + timedelta(minutes=5)) == 0


def test_a_manager_gets_the_team_digest_and_nobody_gets_one_outside_the_morning(morning) -> None:
    manager = create_user(role="manager")
    first, second = create_user(role="worker"), create_user(role="worker")
    for worker in (first, second):
        create_referral(state=State.OPTED_IN, worker=worker, return_date=today() + timedelta(days=2))
    assert queue_digests(morning - timedelta(hours=1)) == 0
    assert queue_digests(morning + timedelta(hours=5)) == 0
    queue_digests(morning)
    [team] = messages(user_id=manager.id)
    assert team.subject == "The team's daily case summary"
    assert str(team.body).count("https://") >= 2
    assert len(messages(user_id=first.id)) == len(messages(user_id=second.id)) == 1


def test_a_worker_with_nothing_to_report_gets_no_digest(morning) -> None:
    quiet = create_user(role="worker")
    queue_digests(morning)
    assert messages(user_id=quiet.id) == []


def test_partners_who_opt_in_are_emailed_when_a_notice_is_made_and_others_are_not(app_ctx, morning) -> None:
    court = create_court()
    other_court = create_court()
    court_user = create_user(role="court", court=court)
    other_court_user = create_user(role="court", court=other_court)
    cps = create_user(role="cps")
    quiet_cps = create_user(role="cps")
    for user in (court_user, other_court_user, cps):
        set_notice_emails(user, True)
    set_notice_emails(quiet_cps, False)
    worker = create_user(role="worker")
    referral = create_referral(state=State.OPTED_IN, worker=worker, court=court, notes="Sofa-surfing; uses crack.")
    withdraw(referral, "She moved away to be safe.", worker)
    emails = messages(kind="notice_email")
    assert sorted(str(item.recipient) for item in emails) == sorted([court_user.email, cps.email])
    body = str(emails[0].body)
    assert court.name in body
    assert "withdrawn" in body
    assert re.search(r"https://cases\.example\.org/notices/[0-9a-f-]{36}", body)
    for secret in ("Sofa", "crack", "moved away", str(referral.client.given_name), str(referral.client.family_name)):
        assert secret not in body
    # The sweep's safety net finds nothing missing, and sends them.
    assert queue_recent_notice_emails(utcnow()) == 0
    report = sweep_messages(utcnow())
    assert report.notice_emails == 0
    assert {item.status for item in messages(kind="notice_email")} == {"sent"}
    assert len(outbox_for([item.id for item in emails])) == 2


def test_turning_notice_emails_off_stops_them(app_ctx) -> None:
    cps = create_user(role="cps")
    set_notice_emails(cps, True)
    set_notice_emails(cps, False)
    worker = create_user(role="worker")
    referral = create_referral(state=State.OPTED_IN, worker=worker)
    withdraw(referral, "She moved away.", worker)
    assert messages(user_id=cps.id) == []

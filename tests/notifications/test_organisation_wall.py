"""Messages behind the organisation wall (docs/organisations.md, "The wall elsewhere"): each digest names only cases
its reader may see; a CPS user is emailed only about the courts she covers; a manager's failed messages are her
schemes' and her organisation's, and another's answers 404 when she tries to send it again."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from sqlalchemy import update

from diversion.dates import today
from diversion.db import transaction
from diversion.extensions import db
from diversion.notifications.digests import queue_digests, set_notice_emails
from diversion.notifications.models import Notification
from diversion.notifications.reminders import plan_reminders
from diversion.referrals.models import State
from diversion.referrals.withdrawal import withdraw
from tests import pages
from tests.factories import create_court, create_referral, create_user, log_in_as
from tests.notifications.helpers import london, messages, reminder_case
from tests.walls import MARKER, other_case, other_organisation


@pytest.fixture
def morning(app_ctx, monkeypatch):
    """Digests go from 07:30 London; this is tomorrow at 07:45."""
    monkeypatch.setitem(app_ctx.config, "DIGEST_AT", "07:30")
    monkeypatch.setitem(app_ctx.config, "SERVICE_URL", "https://cases.example.org/")
    return london(1, 7, 45).astimezone(UTC)


@pytest.fixture
def other(app_ctx):
    return other_organisation()


def test_each_digest_names_only_the_cases_its_reader_may_see(morning, other) -> None:
    manager = create_user(role="manager")
    worker = create_user(role="worker")
    soon = today() + timedelta(days=2)
    ours = create_referral(state=State.OPTED_IN, worker=worker, return_date=soon)
    theirs = other_case(other, return_date=soon)
    queue_digests(morning)
    [our_team] = messages(user_id=manager.id)
    [their_team] = messages(user_id=other.manager.id)
    assert f"/cases/{ours.id}" in str(our_team.body)
    assert f"/cases/{theirs.id}" not in str(our_team.body)
    assert MARKER not in str(our_team.body)
    assert f"/cases/{theirs.id}" in str(their_team.body)
    assert f"/cases/{ours.id}" not in str(their_team.body)
    assert "Wendy" not in str(their_team.body)


def test_a_managers_digest_holds_only_her_own_schemes_appointments(morning, other) -> None:
    manager = create_user(role="manager")
    _, ours = reminder_case(starts_at=london(2, 11))
    _, theirs = reminder_case(worker=other.worker, court=other.court, starts_at=london(2, 12))
    queue_digests(morning)
    [our_team] = messages(user_id=manager.id)
    body = str(our_team.body)
    assert "Tomorrow's appointments" in body
    assert f"/cases/{ours.referral_id}" in body
    assert f"/cases/{theirs.referral_id}" not in body


def test_a_cps_user_is_emailed_about_the_courts_she_covers_only(app_ctx, other) -> None:
    court = create_court(name="Ashby Magistrates' Court", cps_covers=False)
    ours_cps = create_user(role="cps", cps_courts=[court])
    for user in (ours_cps, other.cps_user):
        set_notice_emails(user, True)
    worker = create_user(role="worker")
    referral = create_referral(state=State.OPTED_IN, worker=worker, court=court)
    withdraw(referral, "She moved away.", worker)
    assert sorted(str(item.recipient) for item in messages(kind="notice_email")) == [ours_cps.email]


def _failed(referral_id) -> Notification:
    with transaction():
        db.session.execute(
            update(Notification)
            .where(Notification.referral_id == referral_id)
            .values(status="failed", reason="bounced")
        )
    return messages(referral_id=referral_id)[0]


def test_a_managers_failed_messages_are_her_schemes_and_another_organisations_answer_404(
    client, app_ctx, other
) -> None:
    ours, appointment = reminder_case(starts_at=london(3, 14))
    theirs, their_appointment = reminder_case(worker=other.worker, court=other.court, starts_at=london(3, 14))
    plan_reminders(appointment.starts_at.astimezone(UTC) - timedelta(days=2))
    our_message, their_message = _failed(ours.id), _failed(theirs.id)
    manager = create_user(role="manager")
    log_in_as(client, manager)
    page = pages.get(client, "/messages/failed")
    assert f"/messages/{our_message.id}/retry" in [form["action"] for form in page.forms("post")]
    assert str(their_message.id) not in page.html
    assert str(theirs.id) not in page.html
    response = client.post(f"/messages/{their_message.id}/retry", data={"csrf_token": page.csrf_token})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Notification, their_message.id).status == "failed"
    # The other organisation's manager sees hers and sends it again.
    log_in_as(client, other.manager)
    theirs_page = pages.get(client, "/messages/failed")
    assert str(our_message.id) not in theirs_page.html
    pages.post(client, f"/messages/{their_message.id}/retry", {}, token_from="/messages/failed", status=302)
    db.session.expire_all()
    assert db.session.get(Notification, their_message.id).status == "queued"
    assert their_appointment.referral_id == theirs.id

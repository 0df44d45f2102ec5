"""Emails to staff go in each reader's language (docs/languages.md, "The service in Welsh"): the one chosen on their
account, else their court's, else English; whoever's request or sweep writes them."""

from __future__ import annotations

from datetime import UTC, time, timedelta

import pytest

from diversion.dates import today
from diversion.db import transaction
from diversion.extensions import db
from diversion.notifications.digests import queue_digests, set_notice_emails
from diversion.referrals.models import State
from diversion.referrals.withdrawal import withdraw
from tests.factories import create_court, create_referral, create_user
from tests.notifications.helpers import london, messages


def _language(user, code: str | None):
    with transaction():
        db.session.merge(user).language = code
    db.session.expire_all()
    return user


@pytest.fixture
def morning(app_ctx, monkeypatch):
    monkeypatch.setitem(app_ctx.config, "DIGEST_AT", "07:30")
    monkeypatch.setitem(app_ctx.config, "SERVICE_URL", "https://cases.example.org/")
    return london(1, 7, 45).astimezone(UTC)


def test_a_welsh_workers_digest_is_in_welsh_and_an_english_workers_in_english(morning) -> None:
    welsh = _language(create_user(role="worker"), "cy")
    english = create_user(role="worker")
    for worker in (welsh, english):
        create_referral(state=State.OPTED_IN, worker=worker, return_date=today() + timedelta(days=2))
    assert queue_digests(morning) == 2
    [cymraeg] = messages(user_id=welsh.id)
    assert cymraeg.subject == "Eich crynodeb dyddiol o achosion"
    assert str(cymraeg.body).startswith("Crynodeb heddiw o'ch achosion.")
    assert "dyddiad dychwelyd" in str(cymraeg.body)
    [saesneg] = messages(user_id=english.id)
    assert saesneg.subject == "Your daily case summary"
    assert str(saesneg.body).startswith("Today's summary of your cases.")


def test_notice_emails_go_in_each_partners_language(app_ctx, morning) -> None:
    court = create_court()
    with transaction():
        db.session.merge(court).default_language = "cy"
    clerk = create_user(role="court", court=court)  # no choice of hers: her court's Welsh
    cps = _language(create_user(role="cps"), "en")
    for user in (clerk, cps):
        set_notice_emails(user, True)
    # A worker who reads the service in Welsh makes the notice: each email is still in its reader's language.
    worker = _language(create_user(role="worker"), "cy")
    referral = create_referral(state=State.OPTED_IN, worker=worker, court=court)
    withdraw(referral, "She moved away.", worker)
    emails = {str(item.recipient): item for item in messages(kind="notice_email")}
    assert emails[clerk.email].subject == "Hysbysiad canlyniad newydd"
    assert "Mae hysbysiad canlyniad newydd wedi'i wneud" in str(emails[clerk.email].body)
    assert emails[cps.email].subject == "A new outcome notice"
    assert "A new outcome notice has been made" in str(emails[cps.email].body)


def test_the_calendar_horizon_email_goes_to_each_manager_in_her_language(app_ctx) -> None:
    from diversion.dates import bank_holidays_known_until, from_london
    from diversion.notifications.horizon import alert_managers_of_horizon, warning_starts

    welsh = _language(create_user(role="manager"), "cy")
    english = create_user(role="manager")
    now = from_london(warning_starts(bank_holidays_known_until()), time(12))
    assert alert_managers_of_horizon(now) == 2
    [cymraeg] = messages(user_id=welsh.id)
    assert cymraeg.subject == "Mae dyddiadau gwyliau banc yn dod i ben cyn bo hir"
    assert str(cymraeg.body).startswith("Mae'r gwasanaeth yn gwybod y gwyliau banc yng Nghymru a Lloegr hyd at")
    [saesneg] = messages(user_id=english.id)
    assert saesneg.subject == "Bank holiday dates run out soon"

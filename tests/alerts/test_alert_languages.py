"""Alerts in Welsh (docs/languages.md, "The service in Welsh"): a reader whose account is in Welsh reads her alerts
and their emails in Welsh; another reader of the same event gets hers in English."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from diversion.alerts import services as alerts
from diversion.alerts.models import Kind
from diversion.db import transaction
from diversion.extensions import db
from diversion.notifications.models import StaffMessage
from diversion.referrals.models import State
from tests import pages
from tests.factories import create_referral, create_user, log_in_as


def _emails(user) -> list[StaffMessage]:
    db.session.expire_all()
    return [
        message
        for message in db.session.scalars(select(StaffMessage).where(StaffMessage.user_id == user.id))
        if message.dedupe_key.startswith("alert:")
    ]


def test_a_welsh_readers_alert_page_and_email_are_in_welsh(client, app_ctx) -> None:
    worker = create_user(role="worker")
    with transaction():
        db.session.merge(worker).language = "cy"
    referral = create_referral(state=State.OPTED_IN, worker=worker)
    with transaction():
        (alert,) = alerts.raise_alert(referral, Kind.MESSAGE_FAILED, "message_failed:welsh")
    (email,) = _emails(worker)
    base = current_app.config["SERVICE_URL"].rstrip("/")
    assert email.subject == "Rhybudd newydd"
    assert email.body == f"Mae gennych rybudd newydd yn y gwasanaeth dargyfeirio: {base}/alerts/{alert.id}\n"
    log_in_as(client, worker)
    page = pages.get(client, "/alerts")
    assert page.soup.find("html")["lang"] == "cy"
    assert "Mae gennych 1 rhybudd heb ei ddarllen." in page.text
    assert page.table_rows()[0][0].startswith("Methodd neges iddi")
    shown = pages.get(client, f"/alerts/{alert.id}")
    assert "Nid oedd modd anfon nodyn atgoffa iddi." in shown.text
    assert shown.summary_list()["Statws"] == "Heb ei ddarllen"


def test_an_english_reader_of_the_same_kind_of_event_reads_english(client, app_ctx) -> None:
    worker = create_user(role="worker")
    referral = create_referral(state=State.OPTED_IN, worker=worker)
    with transaction():
        alerts.raise_alert(referral, Kind.MESSAGE_FAILED, "message_failed:english")
    (email,) = _emails(worker)
    assert email.subject == "New alert"
    log_in_as(client, worker)
    page = pages.get(client, "/alerts")
    assert page.soup.find("html")["lang"] == "en"
    assert "You have 1 unread alert." in page.text

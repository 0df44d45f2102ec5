"""The case's Messages page (quiet hours, STOP), the manager's failed messages with retry, partners' email settings."""

from __future__ import annotations

import uuid
from datetime import UTC, timedelta

import pytest

from diversion.clients.contact import SafeContact
from diversion.db import transaction, utcnow
from diversion.extensions import db
from diversion.notifications.reminders import plan_reminders, quiet_hours_of
from diversion.notifications.services import deliver
from tests import pages
from tests.factories import create_user, csrf_token, log_in_as
from tests.notifications.helpers import london, messages, reminder_case


@pytest.fixture
def worker(app_ctx):
    return create_user(role="worker")


@pytest.fixture
def case(worker):
    referral, appointment = reminder_case(worker=worker, starts_at=london(3, 14))
    plan_reminders(appointment.starts_at.astimezone(UTC) - timedelta(days=2))
    return referral


def test_the_messages_page_lists_her_reminders_and_what_makes_them_safe(client, worker, case) -> None:
    log_in_as(client, worker)
    page = pages.get(client, f"/cases/{case.id}/messages")
    assert page.title.startswith("Messages - ")
    current = page.select('a[aria-current="page"]')
    assert [link for link in current if link["href"].startswith("/cases/")]
    assert page.link("Messages").startswith(f"/cases/{case.id}")
    assert page.text.count("Reminder (") == 2
    assert "By text to 07700 100123" in page.text
    assert "after 10am" in page.text
    for action in ("quiet-hours", "stop"):
        assert page.hidden_fields(page.form(f"/cases/{case.id}/messages/{action}"))["csrf_token"]
    assert "case.viewed" in {event.action for event in _events(case)}


def _events(case):
    from tests.factories import audit_events

    return audit_events(case_id=case.id)


def test_quiet_hours_are_saved_and_a_bad_value_shows_the_error_summary(client, worker, case) -> None:
    log_in_as(client, worker)
    page = f"/cases/{case.id}/messages"
    bad = pages.post(client, f"{page}/quiet-hours", {"quiet_from": "9pm", "quiet_to": ""}, token_from=page)
    assert bad.title.startswith("Error: Messages")
    assert bad.error_summary == [
        "Enter when her quiet hours start in 24-hour time, like 21:00",
        "Enter when her quiet hours end, or clear both times",
    ]
    assert bad.error_summary_links == ["#quiet_from", "#quiet_to"]
    assert bad.value("quiet_from") == "9pm"
    assert quiet_hours_of(case.client_id) is None
    same = pages.post(client, f"{page}/quiet-hours", {"quiet_from": "21:00", "quiet_to": "21:00"}, token_from=page)
    assert same.error_summary == ["Her quiet hours must end at a different time from when they start"]
    hours = {"quiet_from": "20:00", "quiet_to": "10:00"}
    pages.post(client, f"{page}/quiet-hours", hours, token_from=page, status=302, redirect=page)
    assert str(quiet_hours_of(case.client_id)) == "20:00-10:00"
    shown = pages.get(client, page)
    assert "From 8pm to 10am (UK time)" in shown.text
    assert (shown.value("quiet_from"), shown.value("quiet_to")) == ("20:00", "10:00")
    cleared = {"quiet_from": "", "quiet_to": ""}
    pages.post(client, f"{page}/quiet-hours", cleared, token_from=page, status=302)
    assert quiet_hours_of(case.client_id) is None


def test_the_messages_page_shows_her_contact_note(client, worker, case) -> None:
    """What she said about contacting her (once "safe times") is shown where reminders are set."""
    with transaction():
        case.client.safe_contact = SafeContact(True, False, None, "after 6pm only").to_json()
    log_in_as(client, worker)
    text = pages.get(client, f"/cases/{case.id}/messages").text
    assert "Contact note" in text
    assert "after 6pm only" in text


def test_recording_stop_cancels_her_reminders(client, worker, case) -> None:
    log_in_as(client, worker)
    page = f"/cases/{case.id}/messages"
    pages.post(client, f"{page}/stop", {}, token_from=page, status=302)
    assert {item.status for item in messages(referral_id=case.id)} == {"cancelled"}
    text = pages.get(client, page).text
    assert "She replied STOP" in text
    assert "Not given" in text


def test_a_form_without_its_token_changes_nothing(client, worker, case) -> None:
    log_in_as(client, worker)
    assert client.post(f"/cases/{case.id}/messages/stop").status_code == 400
    assert {item.status for item in messages(referral_id=case.id)} == {"queued"}


@pytest.mark.parametrize("role", ["court", "cps", "admin"])
def test_partners_and_the_administrator_cannot_open_or_change_her_messages(client, case, role) -> None:
    log_in_as(client, create_user(role=role))
    assert client.get(f"/cases/{case.id}/messages").status_code == 403
    token = csrf_token(client, "/account")
    for action in ("stop", "quiet-hours"):
        assert client.post(f"/cases/{case.id}/messages/{action}", data={"csrf_token": token}).status_code == 403
    assert {item.status for item in messages(referral_id=case.id)} == {"queued"}


def _fail(app_ctx, monkeypatch, tmp_path, message) -> None:
    (tmp_path / "file").write_text("")
    monkeypatch.setitem(app_ctx.config, "NOTIFY_OUTBOX_FILE", str(tmp_path / "file" / "outbox.jsonl"))
    monkeypatch.setitem(app_ctx.config, "NOTIFY_MAX_ATTEMPTS", 1)
    assert deliver(message.id, message.due_at) == "failed"


def test_a_manager_sees_failed_messages_and_sends_one_again(client, app_ctx, case, monkeypatch, tmp_path) -> None:
    message = messages(referral_id=case.id)[0]
    _fail(app_ctx, monkeypatch, tmp_path, message)
    monkeypatch.undo()
    manager = create_user(role="manager")
    log_in_as(client, manager)
    failed = pages.get(client, "/messages/failed")
    html = failed.html
    assert failed.title.startswith("Failed messages - ")
    assert "Reminder to a client" in html
    assert "outbox_unwritable" in html
    assert f'action="/messages/{message.id}/retry"' in html
    assert str(case.client.phone) not in html
    assert 'href="/messages/failed" aria-current="true"' in html  # marked in the navigation
    pages.post(client, f"/messages/{message.id}/retry", {}, token_from="/messages/failed", status=302)
    db.session.refresh(message)
    assert (message.status, message.attempts, message.reason) == ("queued", 0, None)
    # A second retry is refused: it is no longer failed.
    pages.post(client, f"/messages/{message.id}/retry", {}, token_from="/messages/failed", status=302)
    assert "Only a failed message can be sent again" in pages.get(client, "/messages/failed").text
    assert deliver(message.id, utcnow()) == "sent"


@pytest.mark.parametrize("role", ["worker", "court", "cps", "admin"])
def test_only_managers_see_failed_messages_or_retry(client, app_ctx, case, role) -> None:
    message = messages(referral_id=case.id)[0]
    log_in_as(client, create_user(role=role))
    assert client.get("/messages/failed").status_code == 403
    token = csrf_token(client, "/account")
    assert client.post(f"/messages/{message.id}/retry", data={"csrf_token": token}).status_code == 403


def test_retrying_an_unknown_message_is_404(client, app_ctx) -> None:
    log_in_as(client, create_user(role="manager"))
    token = csrf_token(client, "/messages/failed")
    assert client.post(f"/messages/{uuid.uuid4()}/retry", data={"csrf_token": token}).status_code == 404


@pytest.mark.parametrize("role", ["court", "cps"])
def test_partners_choose_notice_emails(client, app_ctx, role) -> None:
    from diversion.notifications.digests import wants_notice_emails

    user = create_user(role=role)
    log_in_as(client, user)
    preferences = pages.get(client, "/notifications/preferences")
    assert preferences.title.startswith("Email settings - ")
    assert preferences.checked("wanted") == ["no"]
    missing = pages.post(client, "/notifications/preferences", {}, token_from="/notifications/preferences")
    assert missing.error_summary == ["Select whether you want these emails"]
    pages.post(client, "/notifications/preferences", {"wanted": "yes"}, status=302)
    assert wants_notice_emails(user) is True
    assert pages.get(client, "/notifications/preferences").checked("wanted") == ["yes"]


@pytest.mark.parametrize("role", ["worker", "manager", "admin"])
def test_staff_have_no_notice_email_settings(client, app_ctx, role) -> None:
    log_in_as(client, create_user(role=role))
    assert client.get("/notifications/preferences").status_code == 403


def test_the_failed_messages_page_gives_each_retry_form_its_own_ids(
    client, app_ctx, case, monkeypatch, tmp_path
) -> None:
    queued = messages(referral_id=case.id)
    assert len(queued) >= 2
    for message in queued[:2]:
        _fail(app_ctx, monkeypatch, tmp_path, message)
    monkeypatch.undo()
    log_in_as(client, create_user(role="manager"))
    failed = pages.get(client, "/messages/failed")  # the helper fails on an id used twice
    assert len(failed.select('form[action$="/retry"]')) == 2

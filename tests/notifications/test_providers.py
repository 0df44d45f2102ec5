"""Each provider against its local server or stub, and delivery: status, attempts, references, retries with backoff."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from diversion.db import transaction, utcnow
from diversion.extensions import db
from diversion.notifications import services
from diversion.notifications.models import Kind, StaffMessage, Status
from diversion.notifications.providers import (
    DeliveryError,
    NotifyNotifier,
    OutboxNotifier,
    OutgoingMessage,
    SmtpNotifier,
    notifier_for,
)
from tests.factories import create_user, raw_column
from tests.notifications.helpers import outbox_for
from tests.notifications.servers import NOTIFY_KEY, notify_stub, smtp_server

SMS_TEMPLATE = str(uuid.uuid4())
EMAIL_TEMPLATE = str(uuid.uuid4())


def outgoing(channel: str = "email", recipient: str = "person@example.org") -> OutgoingMessage:
    return OutgoingMessage(str(uuid.uuid4()), channel, recipient, "Subject line", "Body text.")


def staff_message(*, email: str = "worker@example.org", due=None) -> StaffMessage:
    """A queued email to a member of staff, stored as the digests are."""
    user = create_user(role="worker")
    with transaction():
        message = StaffMessage(
            id=uuid.uuid4(),
            kind=Kind.DIGEST.value,
            dedupe_key=f"test:{uuid.uuid4()}",
            channel="email",
            due_at=due or utcnow(),
            next_attempt_at=due or utcnow(),
            user_id=user.id,
        )
        message.recipient = email
        message.subject = "Your daily case summary"
        message.body = "Nothing sensitive."
        db.session.add(message)
    return message


# --- the outbox file ---


def test_the_outbox_appends_one_json_line_per_message(tmp_path) -> None:
    notifier = OutboxNotifier(str(tmp_path / "nested" / "outbox.jsonl"))
    first, second = outgoing("sms", "+447700900123"), outgoing()
    assert notifier.send(first).reference == f"outbox-{first.id}"
    notifier.send(second)
    lines = (tmp_path / "nested" / "outbox.jsonl").read_text().splitlines()
    assert len(lines) == 2
    assert '"to": "+447700900123"' in lines[0]
    assert '"channel": "sms"' in lines[0]


def test_an_unwritable_outbox_is_a_transient_failure(tmp_path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(DeliveryError) as caught:
        OutboxNotifier(str(tmp_path / "file" / "outbox.jsonl")).send(outgoing())
    assert caught.value.transient is True
    assert caught.value.code == "outbox_unwritable"


def test_the_default_provider_is_the_outbox_and_a_sent_message_is_recorded(app_ctx) -> None:
    message = staff_message()
    assert isinstance(notifier_for("email", app_ctx.config), OutboxNotifier)
    assert services.deliver(message.id) == "sent"
    db.session.refresh(message)
    assert message.status == Status.SENT
    assert message.attempts == 1
    assert message.provider == "outbox"
    assert message.provider_reference == f"outbox-{message.id}"
    assert message.sent_at is not None
    [line] = outbox_for([message.id])
    assert line["to"] == "worker@example.org"
    assert line["body"] == "Nothing sensitive."
    # Recipient and body are stored encrypted.
    for column in ("recipient", "subject", "body"):
        stored = raw_column(model=StaffMessage, column=column, row_id=message.id)
        assert b"example.org" not in stored
        assert b"Nothing sensitive" not in stored


# --- SMTP against a local aiosmtpd server ---


def test_smtp_sends_an_email_to_the_local_server() -> None:
    with smtp_server() as (inbox, port):
        result = SmtpNotifier("127.0.0.1", port, "service@example.org").send(outgoing(recipient="to@example.org"))
    [received] = inbox.messages
    assert received["to"] == ["to@example.org"]
    assert received["from"] == "service@example.org"
    assert "Subject: Subject line" in received["data"]
    assert "Body text." in received["data"]
    assert result.reference in received["data"]


@pytest.mark.parametrize(("answer", "transient"), [("550 No such user here", False), ("451 Try again later", True)])
def test_smtp_refusals_say_whether_to_try_again(answer: str, transient: bool) -> None:
    with smtp_server() as (inbox, port):
        inbox.rcpt_answer = answer
        with pytest.raises(DeliveryError) as caught:
            SmtpNotifier("127.0.0.1", port, "service@example.org").send(outgoing(recipient="gone@example.org"))
    assert caught.value.transient is transient
    assert caught.value.code == f"smtp_{answer[:3]}"
    assert "gone@example.org" not in str(caught.value)
    assert inbox.messages == []


def test_smtp_unreachable_is_transient_and_sms_is_refused() -> None:
    with smtp_server() as (_, port):
        pass  # stopped: nothing listens on the port now
    with pytest.raises(DeliveryError) as caught:
        SmtpNotifier("127.0.0.1", port, "service@example.org", timeout=2).send(outgoing())
    assert (caught.value.code, caught.value.transient) == ("smtp_unreachable", True)
    with pytest.raises(DeliveryError) as refused:
        SmtpNotifier("127.0.0.1", port, "service@example.org").send(outgoing("sms", "+447700900123"))
    assert refused.value.transient is False


def test_a_message_goes_by_smtp_when_a_host_is_configured(app_ctx, monkeypatch) -> None:
    message = staff_message(email="digest@example.org")
    with smtp_server() as (inbox, port):
        monkeypatch.setitem(app_ctx.config, "SMTP_HOST", "127.0.0.1")
        monkeypatch.setitem(app_ctx.config, "SMTP_PORT", port)
        assert services.deliver(message.id) == "sent"
    db.session.refresh(message)
    assert message.provider == "smtp"
    assert [item["to"] for item in inbox.messages] == [["digest@example.org"]]
    assert outbox_for([message.id]) == []


# --- GOV.UK Notify against a loopback stub ---


def notify(url: str) -> NotifyNotifier:
    return NotifyNotifier(NOTIFY_KEY, url, SMS_TEMPLATE, EMAIL_TEMPLATE)


def test_notify_sends_sms_and_email_with_a_signed_token_and_our_wording() -> None:
    with notify_stub() as stub:
        sms = outgoing("sms", "+447700900123")
        email = outgoing()
        sms_result = notify(stub.url).send(sms)
        email_result = notify(stub.url).send(email)
    first, second = stub.requests
    assert first["path"] == "/v2/notifications/sms"
    assert first["authorised"] is True
    assert first["body"] == {
        "phone_number": "+447700900123",
        "template_id": SMS_TEMPLATE,
        "personalisation": {"body": "Body text."},
        "reference": sms.id,
    }
    assert second["path"] == "/v2/notifications/email"
    assert second["body"]["personalisation"] == {"subject": "Subject line", "body": "Body text."}
    assert second["body"]["email_address"] == "person@example.org"
    assert uuid.UUID(sms_result.reference)
    assert uuid.UUID(email_result.reference)


@pytest.mark.parametrize(("status", "transient"), [(500, True), (429, True), (400, False), (403, False)])
def test_notify_refusals_say_whether_to_try_again(status: int, transient: bool) -> None:
    with notify_stub() as stub:
        stub.answer_status = status
        with pytest.raises(DeliveryError) as caught:
            notify(stub.url).send(outgoing("sms", "+447700900123"))
    assert caught.value.code == f"notify_{status}"
    assert caught.value.transient is transient
    assert "+447700900123" not in str(caught.value)


def test_notify_without_a_template_for_the_channel_is_refused_without_a_request() -> None:
    with notify_stub() as stub, pytest.raises(DeliveryError) as caught:
        NotifyNotifier(NOTIFY_KEY, stub.url, None, EMAIL_TEMPLATE).send(outgoing("sms", "+447700900123"))
    assert caught.value.code == "notify_no_sms_template"
    assert stub.requests == []


def test_a_message_sent_through_notify_is_later_marked_delivered(app_ctx, monkeypatch) -> None:
    message = staff_message()
    with notify_stub() as stub:
        monkeypatch.setitem(app_ctx.config, "NOTIFY_API_KEY", NOTIFY_KEY)
        monkeypatch.setitem(app_ctx.config, "NOTIFY_BASE_URL", stub.url)
        monkeypatch.setitem(app_ctx.config, "NOTIFY_EMAIL_TEMPLATE_ID", EMAIL_TEMPLATE)
        assert services.deliver(message.id) == "sent"
        db.session.refresh(message)
        assert message.provider == "notify"
        reference = message.provider_reference
        assert services.refresh_delivery() == 1
        assert stub.requests[-1]["path"] == f"/v2/notifications/{reference}"
        assert services.refresh_delivery() == 0  # delivered messages are not asked about again
    db.session.refresh(message)
    assert message.status == Status.DELIVERED
    assert message.delivered_at is not None


# --- retries with backoff ---


def test_a_transient_failure_is_retried_with_backoff_until_the_attempts_run_out(app_ctx, monkeypatch, tmp_path) -> None:
    (tmp_path / "file").write_text("")
    monkeypatch.setitem(app_ctx.config, "NOTIFY_OUTBOX_FILE", str(tmp_path / "file" / "outbox.jsonl"))
    monkeypatch.setitem(app_ctx.config, "NOTIFY_MAX_ATTEMPTS", 3)
    now = utcnow()
    message = staff_message(due=now)
    assert services.deliver(message.id, now) == "queued"
    db.session.refresh(message)
    assert (message.status, message.attempts, message.reason) == ("queued", 1, "outbox_unwritable")
    assert message.next_attempt_at == now + timedelta(minutes=1)
    # Not due yet: a sweep a moment later leaves it alone.
    assert services.deliver(message.id, now + timedelta(seconds=30)) == "skipped"
    later = now + timedelta(minutes=1)
    assert services.deliver(message.id, later) == "queued"
    db.session.refresh(message)
    assert message.attempts == 2
    assert message.next_attempt_at == later + timedelta(minutes=2)
    assert services.deliver(message.id, later + timedelta(minutes=2)) == "failed"
    db.session.refresh(message)
    assert (message.status, message.attempts, message.reason) == ("failed", 3, "outbox_unwritable")
    assert services.failed_messages()[0].id == message.id


def test_a_permanent_failure_fails_at_once(app_ctx, monkeypatch) -> None:
    message = staff_message(email="gone@example.org")
    with smtp_server() as (inbox, port):
        inbox.rcpt_answer = "550 No such user here"
        monkeypatch.setitem(app_ctx.config, "SMTP_HOST", "127.0.0.1")
        monkeypatch.setitem(app_ctx.config, "SMTP_PORT", port)
        assert services.deliver(message.id) == "failed"
    db.session.refresh(message)
    assert (message.status, message.attempts, message.reason) == ("failed", 1, "smtp_550")


def test_a_claimed_message_is_not_sent_by_a_second_sender(app_ctx) -> None:
    message = staff_message()
    now = utcnow()
    assert services.claim(message.id, now) is True
    assert services.claim(message.id, now) is False
    assert services.deliver(message.id, now) == "skipped"
    assert outbox_for([message.id]) == []
    # A sender that died mid-send: its claim goes stale and the message is queued again.
    assert services.requeue_stale_claims(now + timedelta(minutes=16)) == 1
    assert services.deliver(message.id, now + timedelta(minutes=16)) == "sent"
    assert len(outbox_for([message.id])) == 1

"""Notifiers: the ways a message leaves the service. One interface, three providers.

- ``OutboxNotifier`` (the default): appends a JSON line to ``NOTIFY_OUTBOX_FILE``, for development and for schemes that
  hand messages to another system.
- ``SmtpNotifier``: email through an SMTP server (stdlib smtplib).
- ``NotifyNotifier``: SMS and email through GOV.UK Notify, for schemes run with an eligible public-sector partner.

A provider raises ``DeliveryError`` with a short code (never the provider's own text, which may quote the address)
and whether a later try may succeed.
"""

from __future__ import annotations

import fcntl
import json
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any, Protocol

from diversion.db import utcnow


@dataclass(frozen=True)
class OutgoingMessage:
    """What a provider needs: plaintext, decrypted just for the send."""

    id: str
    channel: str
    recipient: str
    subject: str | None
    body: str


@dataclass(frozen=True)
class SendResult:
    """The provider's reference, and whether it already knows the message was delivered."""

    reference: str
    delivered: bool = False


class DeliveryError(Exception):
    """A send that did not happen. ``code`` is safe to store and show; ``transient`` means try again later."""

    def __init__(self, code: str, *, transient: bool) -> None:
        super().__init__(code)
        self.code = code[:32]
        self.transient = transient


class Notifier(Protocol):
    """Sends one message; raises DeliveryError when it cannot."""

    name: str

    def send(self, message: OutgoingMessage) -> SendResult:
        """Send the message and return the provider's reference."""
        ...


class OutboxNotifier:
    """Appends each message as one JSON line to a file. A lock keeps concurrent senders' lines whole."""

    name = "outbox"

    def __init__(self, path: str) -> None:
        self.path = Path(path)

    def send(self, message: OutgoingMessage) -> SendResult:
        """Append the message to the outbox file."""
        line = json.dumps(
            {
                "id": message.id,
                "channel": message.channel,
                "to": message.recipient,
                "subject": message.subject,
                "body": message.body,
                "at": utcnow().isoformat(),
            },
            ensure_ascii=False,
        )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    handle.write(line + "\n")
                    handle.flush()
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
        except OSError:
            raise DeliveryError("outbox_unwritable", transient=True) from None
        return SendResult(f"outbox-{message.id}")


class SmtpNotifier:
    """Email through an SMTP server."""

    name = "smtp"

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 20,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password, self.starttls, self.timeout = username, password, starttls, timeout

    def send(self, message: OutgoingMessage) -> SendResult:
        """Send one email; 4xx answers are worth another try, 5xx are not."""
        if message.channel != "email":
            raise DeliveryError("smtp_cannot_send_sms", transient=False)
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.recipient
        email["Subject"] = message.subject or ""
        domain = self.sender.rpartition("@")[2] or None
        email["Message-ID"] = make_msgid(idstring=message.id.replace("-", ""), domain=domain)
        email.set_content(message.body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
                refused = smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            raise DeliveryError(
                f"smtp_{codes[0] if codes else 550}", transient=bool(codes) and codes[0] < 500
            ) from None
        except smtplib.SMTPResponseException as error:
            raise DeliveryError(f"smtp_{error.smtp_code}", transient=error.smtp_code < 500) from None
        except (smtplib.SMTPException, OSError):
            raise DeliveryError("smtp_unreachable", transient=True) from None
        if refused:
            raise DeliveryError("smtp_refused", transient=False)
        return SendResult(str(email["Message-ID"]).strip("<>"))


class NotifyNotifier:
    """SMS and email through GOV.UK Notify. Each channel has one template in Notify whose content is the
    placeholders ((subject)) and ((body)): the wording lives here, checked by the deny-list test."""

    name = "notify"

    def __init__(self, api_key: str, base_url: str, sms_template_id: str | None, email_template_id: str | None) -> None:
        from notifications_python_client.notifications import NotificationsAPIClient

        self.client = NotificationsAPIClient(api_key, base_url=base_url, timeout=20)
        self.templates = {"sms": sms_template_id, "email": email_template_id}

    def send(self, message: OutgoingMessage) -> SendResult:
        """Send through Notify; 429 and 5xx are worth another try, other refusals are not."""
        from notifications_python_client.errors import APIError

        template_id = self.templates.get(message.channel)
        if not template_id:
            raise DeliveryError(f"notify_no_{message.channel}_template", transient=False)
        try:
            if message.channel == "sms":
                answer = self.client.send_sms_notification(
                    phone_number=message.recipient,
                    template_id=template_id,
                    personalisation={"body": message.body},
                    reference=message.id,
                )
            else:
                answer = self.client.send_email_notification(
                    email_address=message.recipient,
                    template_id=template_id,
                    personalisation={"subject": message.subject or "", "body": message.body},
                    reference=message.id,
                )
        except APIError as error:
            status = _status_of(error)
            raise DeliveryError(
                f"notify_{status or 'unreachable'}", transient=status in (None, 429) or status >= 500
            ) from None
        reference = str((answer or {}).get("id") or "")
        if not reference:
            raise DeliveryError("notify_bad_answer", transient=True)
        return SendResult(reference)

    def status_of(self, reference: str) -> str | None:
        """Notify's status for a message: 'delivered', 'failed' for a permanent failure, or None while unknown."""
        from notifications_python_client.errors import APIError

        try:
            answer: dict[str, Any] = self.client.get_notification_by_id(reference)
        except APIError:
            return None
        status = str(answer.get("status") or "")
        if status == "delivered":
            return "delivered"
        if status in ("permanent-failure", "technical-failure", "temporary-failure", "validation-failed"):
            return "failed"
        return None


def _status_of(error: Any) -> int | None:
    response = getattr(error, "response", None)
    return int(response.status_code) if response is not None else None


def notifier_for(channel: str, config: Any) -> Notifier:
    """The provider for a channel under this configuration: Notify when it has a key, SMTP for email when a host
    is set, otherwise the outbox file."""
    if config.get("NOTIFY_API_KEY"):
        return NotifyNotifier(
            config["NOTIFY_API_KEY"],
            config["NOTIFY_BASE_URL"],
            config.get("NOTIFY_SMS_TEMPLATE_ID"),
            config.get("NOTIFY_EMAIL_TEMPLATE_ID"),
        )
    if channel == "email" and config.get("SMTP_HOST"):
        return SmtpNotifier(
            config["SMTP_HOST"],
            int(config["SMTP_PORT"]),
            config["MAIL_FROM"],
            username=config.get("SMTP_USERNAME"),
            password=config.get("SMTP_PASSWORD"),
            starttls=bool(config.get("SMTP_STARTTLS")),
        )
    return OutboxNotifier(config["NOTIFY_OUTBOX_FILE"])

"""Local servers the providers are tested against: aiosmtpd for SMTP, a loopback HTTP stub for GOV.UK Notify."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt

SERVICE_ID = str(uuid.UUID(int=0x1234))
SECRET = str(uuid.UUID(int=0xABCDEF))
NOTIFY_KEY = f"test_key-{SERVICE_ID}-{SECRET}"


@dataclass
class SmtpInbox:
    """What the local SMTP server received, and how it should answer RCPT."""

    messages: list[Any] = field(default_factory=list)
    rcpt_answer: str = "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.rcpt_answer.startswith("250"):
            envelope.rcpt_tos.append(address)
        return self.rcpt_answer

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            {"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "data": envelope.content.decode("utf-8")}
        )
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server() -> Iterator[tuple[SmtpInbox, int]]:
    """An aiosmtpd server on a free loopback port."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = SmtpInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@dataclass
class NotifyStub:
    """Requests the stub received, and what it answers."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    answer_status: int = 201
    delivery_status: str = "delivered"
    url: str = ""


@contextmanager
def notify_stub() -> Iterator[NotifyStub]:
    """A loopback HTTP server answering as GOV.UK Notify does, checking each request's signed token."""
    state = NotifyStub()

    class Handler(BaseHTTPRequestHandler):
        def _authorised(self) -> bool:
            token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
            try:
                claims = jwt.decode(token, SECRET, algorithms=["HS256"])
            except jwt.PyJWTError:
                return False
            return claims.get("iss") == SERVICE_ID

        def _reply(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            state.requests.append({"path": self.path, "body": body, "authorised": self._authorised()})
            if not self._authorised():
                self._reply(403, {"errors": [{"error": "AuthError", "message": "Invalid token"}], "status_code": 403})
            elif state.answer_status >= 300:
                self._reply(state.answer_status, {"errors": [{"error": "Error", "message": "refused"}]})
            else:
                self._reply(201, {"id": str(uuid.uuid4()), "reference": body.get("reference")})

        def do_GET(self) -> None:
            state.requests.append({"path": self.path, "body": None, "authorised": self._authorised()})
            self._reply(200, {"id": self.path.rsplit("/", 1)[-1], "status": state.delivery_status})

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)

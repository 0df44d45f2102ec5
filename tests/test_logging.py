"""Request logs: one structured line per request, with ids and timings, and never a form value or query string."""

from __future__ import annotations

import json
import logging
import re
import secrets

import pytest

from diversion.extensions import db
from diversion.logs import JsonFormatter, TextFormatter
from tests.factories import create_user, csrf_token, fresh_code, log_in_as, totp_secret

_PLAIN = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def _everything_logged(records: list[logging.LogRecord]) -> str:
    """Each record as every formatter would write it, with its message, args and extra attributes."""
    json_formatter, text_formatter = JsonFormatter(), TextFormatter()
    parts = []
    for record in records:
        parts += [json_formatter.format(record), text_formatter.format(record), record.getMessage()]
        parts.append(repr(record.args))
        parts += [f"{key}={value!r}" for key, value in record.__dict__.items() if key not in _PLAIN]
        if record.exc_info and record.exc_info[1] is not None:
            parts.append(str(record.exc_info[1]))
    return "\n".join(parts)


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every record at DEBUG and above, from every logger, the app's own included."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="diversion")
    caplog.set_level(logging.DEBUG, logger="werkzeug")
    return caplog


def _request_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "diversion.requests"]


def test_canary_email_password_and_query_string_never_reach_the_logs(client, app_ctx, logs, capfd) -> None:
    tag = secrets.token_hex(6)
    canary_email = f"canary-{tag}@example.org"
    canary_password = f"canary password {tag}"
    canary_query = f"canaryquery{tag}"
    user = create_user(email=f"person-{secrets.token_hex(4)}@example.org", password=f"canarysecret {tag}")
    logs.clear()
    capfd.readouterr()

    token = csrf_token(client, f"/sign-in?next={canary_query}&email={canary_email}")
    # A failed sign-in with an unknown (canary) email and a canary password.
    refused = client.post("/sign-in", data={"email": canary_email, "password": canary_password, "csrf_token": token})
    assert refused.status_code == 200
    # A wrong (canary) password for a real account.
    client.post("/sign-in", data={"email": user.email, "password": canary_password, "csrf_token": token})
    # A good sign-in whose password is itself a canary, then its second factor.
    accepted = client.post(
        "/sign-in", data={"email": user.email, "password": f"canarysecret {tag}", "csrf_token": token}
    )
    assert accepted.status_code == 302
    db.session.refresh(user)
    code = fresh_code(totp_secret(user), user.totp_last_step)
    token = csrf_token(client, "/sign-in/security-code")
    assert client.post("/sign-in/security-code", data={"code": code, "csrf_token": token}).status_code == 302
    # A signed-in page with a canary in its query string, and a refused (CSRF) post full of canaries.
    assert client.get(f"/home?q={canary_query}").status_code == 200
    assert client.post(f"/sign-out?q={canary_query}", data={"email": canary_email}).status_code == 400

    records = logs.records
    assert len(_request_records(logs)) >= 8  # the requests above were logged, so the check below means something
    logged = _everything_logged(records) + logs.text
    captured = capfd.readouterr()
    for canary in (canary_email, canary_password, canary_query, f"canarysecret {tag}", tag):
        assert canary not in logged, canary
        assert canary not in captured.out, canary
        assert canary not in captured.err, canary


def test_each_request_logs_its_id_user_endpoint_status_and_duration(client, app_ctx, logs) -> None:
    user = create_user(role="worker")
    log_in_as(client, user)
    logs.clear()
    response = client.get("/home?page=2", headers={"X-Request-ID": "trace-0123456789"})
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "trace-0123456789"

    (record,) = _request_records(logs)
    assert record.levelno == logging.INFO
    assert record.request_id == "trace-0123456789"
    assert record.user_id == str(user.id)
    assert record.endpoint == "main.home"
    assert record.method == "GET"
    assert record.status == 200
    assert record.route == "/home"  # the route's pattern: no query string, no typed values
    assert not hasattr(record, "path")
    assert isinstance(record.duration_ms, float)
    assert record.duration_ms >= 0
    line = json.loads(JsonFormatter().format(record))
    assert {"request_id", "user_id", "endpoint", "status", "duration_ms"} <= set(line)
    assert line["request_id"] == "trace-0123456789"


def test_anonymous_and_refused_requests_are_logged_too(client, logs) -> None:
    client.get("/sign-in")
    client.get("/no-such-page")
    client.post("/sign-in", data={})
    statuses = [(record.endpoint, record.status, record.user_id) for record in _request_records(logs)]
    assert statuses == [("auth.login", 200, None), (None, 404, None), ("auth.login", 400, None)]
    assert all(record.request_id for record in _request_records(logs))


@pytest.mark.parametrize(
    "incoming",
    ["", "short", "has spaces in it", "x" * 65, "bad\nline-injection", "<script>alert(1)</script>"],
)
def test_an_unusable_request_id_is_replaced_with_a_fresh_one(client, logs, incoming: str) -> None:
    # Through the WSGI environ, as a proxy would pass it: the test client refuses a newline in a header.
    response = client.get("/sign-in", environ_base={"HTTP_X_REQUEST_ID": incoming})
    echoed = response.headers["X-Request-ID"]
    assert echoed != incoming
    assert re.fullmatch(r"[0-9a-f]{32}", echoed)
    assert _request_records(logs)[-1].request_id == echoed


def test_every_response_gets_a_different_request_id(client) -> None:
    ids = {client.get("/sign-in").headers["X-Request-ID"] for _ in range(3)}
    assert len(ids) == 3


def test_an_address_typed_with_a_value_is_logged_as_its_route_not_the_value(client, app_ctx, logs) -> None:
    admin = create_user(role="admin")
    log_in_as(client, admin)
    logs.clear()
    client.get("/admin/users/Jane-Doe-1990-01-01")
    client.get("/no-such-page/Jane-Doe-1990-01-01")
    for record in _request_records(logs):
        assert "Jane-Doe" not in json.dumps(record.__dict__, default=str)

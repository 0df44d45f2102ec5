"""Structured request logs: request id, user id, endpoint, status, duration. Never form values or query strings.

The route is logged as its pattern (``/admin/users/<uuid:user_id>``), not the path a person typed, so neither a
query string nor a value typed into an address reaches the log. Werkzeug's own access log is silenced because it
prints the full request line, query string included.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from typing import Any

from flask import Flask, Response, g, request
from flask_login import current_user

REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
# Attributes every LogRecord has; anything else passed through ``extra`` is added to the JSON line.
_STANDARD_ATTRS = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "at": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    """Readable lines for a developer's terminal, with the same extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        extras = " ".join(
            f"{key}={value}"
            for key, value in record.__dict__.items()
            if key not in _STANDARD_ATTRS and not key.startswith("_")
        )
        line = f"{self.formatTime(record, '%H:%M:%S')} {record.levelname:<7} {record.name}: {record.getMessage()}"
        line = f"{line} {extras}" if extras else line
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def register_logging(app: Flask) -> None:
    """Configure the 'diversion' loggers and the per-request log line."""
    logger = logging.getLogger("diversion")
    logger.setLevel(app.config["LOG_LEVEL"])
    # Under test, records reach pytest's capture by propagation; a stream handler would only add noise.
    if not app.testing and not any(getattr(handler, "_diversion", False) for handler in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter() if app.config["LOG_JSON"] else TextFormatter())
        handler._diversion = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.propagate = True
    # Flask's app.logger is named after the package ("diversion"), so it shares this handler.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    @app.before_request
    def start_request() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if REQUEST_ID_PATTERN.match(incoming) else _new_id()
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "")
        if request.endpoint == "main.assets":
            return response
        started = g.get("request_started")
        duration = round((time.perf_counter() - started) * 1000, 1) if started else None
        user_id = None
        try:
            if current_user and current_user.is_authenticated:
                user_id = str(current_user.id)
        except Exception:  # noqa: BLE001 - logging must not fail a response
            user_id = None
        logging.getLogger("diversion.requests").info(
            "request",
            extra={
                "request_id": g.get("request_id"),
                "user_id": user_id,
                "method": request.method,
                "endpoint": request.endpoint,
                "route": request.url_rule.rule if request.url_rule is not None else None,
                "status": response.status_code,
                "duration_ms": duration,
            },
        )
        return response


def _new_id() -> str:
    import uuid

    return uuid.uuid4().hex

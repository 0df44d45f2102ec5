"""Domain exceptions and the error responses: GOV.UK-styled pages for the UI, the docs/api.md JSON shape under /api/
(the handlers that answer with them are in diversion/error_handlers.py).

Error pages and JSON bodies never carry a traceback, SQL or a sensitive value. Domain errors carry a message written
for the person using the service, and field-level messages keyed by field path.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, jsonify, render_template, request
from flask_babel import lazy_gettext as _l

log = logging.getLogger("diversion.errors")


class DomainError(Exception):
    """A request that breaks a rule of the service. Its message is safe to show and to log."""

    status = 422
    code = "validation_error"
    # Further members of the API's error object beside code, message and fields (a possible match's "matches").
    extra: dict[str, Any]

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.extra = {}


class ValidationFailed(DomainError):
    """Valid input that breaks a rule (422)."""

    @classmethod
    def on(cls, field: str, message: str) -> ValidationFailed:
        """One field's problem: the same words in the error summary and beside the field."""
        return cls(message, {field: message})


class NotFound(DomainError):
    """The object does not exist, or is outside the caller's scope (404)."""

    status = 404
    code = "not_found"


class Forbidden(DomainError):
    """The caller's role may not do this (403)."""

    status = 403
    code = "forbidden"


class Conflict(DomainError):
    """A stale version or a duplicate (409)."""

    status = 409
    code = "conflict"


class InvalidTransition(DomainError):
    """A change of state the case rules do not allow (422)."""

    code = "invalid_transition"


HTTP_CODES = {
    400: "validation_error",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "server_error",
    503: "unavailable",
}

HTTP_MESSAGES = {
    400: _l("The request could not be understood."),
    401: _l("Sign in to continue."),
    403: _l("You do not have permission to do that."),
    404: _l("Page not found."),
    405: _l("That action is not allowed here."),
    409: _l("Someone else changed this record while you were working on it."),
    413: _l("What was sent is too large. Shorten it and try again."),
    415: _l("Send the request body as JSON."),
    422: _l("The request breaks a rule of the service."),
    429: _l("Too many requests. Wait a few minutes and try again."),
    500: _l("Sorry, there is a problem with the service."),
    503: _l("Sorry, the service is unavailable."),
}


def is_api_request() -> bool:
    """True for requests under /api/, for the page's session checks under /session, and for a draft autosaved by the
    page's script (it asks for JSON), which all get JSON errors: a 401 when signed out, never a redirect a script
    would follow to the sign-in page (docs/sessions.md, docs/drafts.md)."""
    if request.path.startswith(("/api/", "/session")):
        return True
    return request.path.startswith("/drafts/") and request.accept_mimetypes.best == "application/json"


def json_error(
    status: int,
    message: str,
    code: str | None = None,
    fields: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Any:
    """An error response in the shape of docs/api.md."""
    body: dict[str, Any] = {"error": {"code": code or HTTP_CODES.get(status, "error"), "message": str(message)}}
    if fields:
        body["error"]["fields"] = fields
    if extra:
        body["error"].update(extra)
    response = jsonify(body)
    response.status_code = status
    return response


def error_page(status: int, message: str | None = None) -> Any:
    """A GOV.UK-styled error page for the UI."""
    text = message or HTTP_MESSAGES.get(status, "")
    try:
        return render_template("errors/error.html", status=status, message=text), status
    except Exception:
        log.exception("error page failed", extra={"status": status})
        return Response(str(HTTP_MESSAGES.get(status, "Error")), status=status, mimetype="text/plain")

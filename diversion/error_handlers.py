"""The app's error handlers: a domain error, an HTTP error, a CSRF failure, an outage of the database or the key
store, or anything else, answered as a GOV.UK-styled page or the docs/api.md JSON shape (diversion/errors.py), never
with a traceback, SQL or a sensitive value.

They live apart from the domain exceptions, which every layer raises, because answering needs the session and the
sign-in machinery, which themselves raise domain exceptions.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, g, make_response, session
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from diversion.auth.loaders import SESSION_TOKEN_KEY
from diversion.crypto.errors import KeyStoreUnavailable
from diversion.errors import HTTP_MESSAGES, DomainError, error_page, is_api_request, json_error
from diversion.extensions import db, login_manager

log = logging.getLogger("diversion.errors")


def _respond(
    status: int,
    message: str,
    code: str | None = None,
    fields: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Any:
    if is_api_request():
        return json_error(status, message, code, fields, extra)
    return error_page(status, message)


def register_error_handlers(app: Flask) -> None:
    """Install the handlers for domain errors, HTTP errors, CSRF failures, database outages and the rest."""

    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError) -> Any:
        return _respond(error.status, error.message, error.code, error.fields, error.extra)

    @app.errorhandler(CSRFError)
    def handle_csrf_error(error: CSRFError) -> Any:
        if is_api_request() and SESSION_TOKEN_KEY not in session:
            # A session check from a page whose session has gone (and was cleared): say so, as the rule would.
            return json_error(401, HTTP_MESSAGES[401])
        return _respond(400, _("Your form expired or was sent from somewhere else. Go back, reload and try again."))

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException) -> Any:
        status = error.code or 500
        if status == 401 and not is_api_request():
            status = 403
        response = make_response(_respond(status, HTTP_MESSAGES.get(status, error.name)))
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            # A 405 says which methods the address does take (RFC 9110), so a client can correct itself.
            response.headers["Allow"] = ", ".join(sorted(error.valid_methods))
        return response

    @app.errorhandler(OperationalError)
    @app.errorhandler(PoolTimeoutError)
    def handle_database_unavailable(error: Exception) -> Any:
        log.error("database unavailable", extra={"error_type": type(error).__name__})
        _rollback_quietly()
        # The page's header would look the user up again in the database that is down: render it signed out.
        g._login_user = login_manager.anonymous_user()
        return _respond(503, HTTP_MESSAGES[503])

    @app.errorhandler(KeyStoreUnavailable)
    def handle_keystore_unavailable(error: KeyStoreUnavailable) -> Any:
        # The main database is up: pages without client records (sign-in, administration) carry on; this one
        # needed a client's key. Nothing half-done is kept (docs/operations.md).
        log.error("key store unavailable", extra={"error_type": type(error).__name__})
        _rollback_quietly()
        return _respond(503, HTTP_MESSAGES[503])

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception) -> Any:
        # The traceback goes to the log (exception messages in this codebase carry ids, never values); the person
        # sees a plain page.
        log.exception("unhandled error", extra={"error_type": type(error).__name__})
        _rollback_quietly()
        return _respond(500, HTTP_MESSAGES[500])


def _rollback_quietly() -> None:
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the database may be the thing that is down
        log.warning("rollback failed after an error")

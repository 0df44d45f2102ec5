"""Request size limits: a body larger than MAX_CONTENT_LENGTH is refused with 413 before anything else is done.

Flask and Werkzeug enforce the limits themselves, but only when the body is read: the form is first read by the CSRF
check, after the rate limiter has counted the request. The hook here runs first of all the before-request hooks and
refuses a request whose declared length is too large without reading a byte of it, so a 10 MB POST to the sign-in
page costs no form parsing, no CSRF work, no rate-limit count and no database query. The session cookie has been
read by then (Flask opens the session before any hook); that is a signature check, nothing more.

A body sent without a length (chunked) has no length to compare. Werkzeug would read such a body up to
MAX_CONTENT_LENGTH and silently stop there, so a JSON body would fail as malformed (400) and a URL-encoded form would
be parsed short. Instead the hook reads it here, at most one byte past the limit: over the limit is 413; within it,
the request goes on with the body it read.

MAX_FORM_MEMORY_SIZE and MAX_FORM_PARTS bound what a multipart form may hold (Werkzeug applies them to multipart
forms only; a URL-encoded form is bounded by MAX_CONTENT_LENGTH). Every refusal answers 413 through the same error
handler (diversion/errors.py): the GOV.UK error page, or the docs/api.md JSON shape under /api/.

A route that takes a document (``@takes_upload``) may be sent UPLOAD_MAX_CONTENT_LENGTH instead: a 10 MB file and
the form around it. Only those routes; a larger body is refused unread all the same, saying how large a file may be.
Uploaded files are kept in memory, never spooled to a temporary file as Werkzeug does with a part over 500 KB:
a document is her data, and it reaches the disk only encrypted (docs/encryption.md, "Documents"). What memory that
takes is bounded by the limits above.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import IO, Any, TypeVar

from flask import Flask, Request, abort, current_app, request
from flask_babel import gettext as _

from diversion.errors import DomainError

_CHUNK = 64 * 1024
UPLOAD_ATTRIBUTE = "takes_upload"
F = TypeVar("F", bound=Callable[..., Any])


class UploadTooLarge(DomainError):
    """A body larger than an upload route takes (413), refused unread."""

    status = 413
    code = "payload_too_large"


def takes_upload(view: F) -> F:
    """Declare that a route takes a document: its body may be UPLOAD_MAX_CONTENT_LENGTH. Put it under ``@requires``."""
    setattr(view, UPLOAD_ATTRIBUTE, True)
    return view


class InMemoryRequest(Request):
    """The app's request: a multipart file part is read into memory, never into a temporary file on disk."""

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        return io.BytesIO()


def _upload_limit() -> int | None:
    """UPLOAD_MAX_CONTENT_LENGTH when the matched route takes an upload, else None."""
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or not getattr(view, UPLOAD_ATTRIBUTE, False):
        return None
    return int(current_app.config["UPLOAD_MAX_CONTENT_LENGTH"])


def _refuse(upload_limit: int | None) -> None:
    if upload_limit is not None:
        # The documents' own rule, in its words (diversion/documents/services.py).
        raise UploadTooLarge(_("The file must be 10 MB or smaller. Nothing was uploaded."))
    abort(413)


def refuse_oversized_request() -> None:
    """Abort with 413 when the body is larger than a request may be (before_request)."""
    upload_limit = _upload_limit()
    if upload_limit is not None:
        # Set before anything reads the body: Werkzeug bounds the stream and the form by it.
        request.max_content_length = upload_limit
    limit = request.max_content_length
    if limit is None:
        return
    length = request.content_length
    if length is not None:
        if length > limit:
            _refuse(upload_limit)
        return
    environ = request.environ
    if "chunked" in request.headers.get("Transfer-Encoding", "").lower() and environ.get("wsgi.input_terminated"):
        body = _read_at_most(environ["wsgi.input"], limit + 1)
        if len(body) > limit:
            _refuse(upload_limit)
        # The rest of the request reads what was read here; Werkzeug still bounds it by MAX_CONTENT_LENGTH.
        environ["wsgi.input"] = io.BytesIO(body)


def _read_at_most(stream: IO[bytes], size: int) -> bytes:
    """Up to ``size`` bytes of the stream; a server's stream may hand back less than asked for at each read."""
    parts: list[bytes] = []
    wanted = size
    while wanted > 0:
        chunk = stream.read(min(wanted, _CHUNK))
        if not chunk:
            break
        parts.append(chunk)
        wanted -= len(chunk)
    return b"".join(parts)


def register_request_limits(app: Flask) -> None:
    """Put the size check ahead of every other before-request hook (CSRF, rate limits, permissions, request ids), and
    keep uploaded files in memory."""
    app.request_class = InMemoryRequest
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_oversized_request)

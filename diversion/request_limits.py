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
"""

from __future__ import annotations

import io
from typing import IO

from flask import Flask, abort, request

_CHUNK = 64 * 1024


def refuse_oversized_request() -> None:
    """Abort with 413 when the body is larger than a request may be (before_request)."""
    limit = request.max_content_length
    if limit is None:
        return
    length = request.content_length
    if length is not None:
        if length > limit:
            abort(413)
        return
    environ = request.environ
    if "chunked" in request.headers.get("Transfer-Encoding", "").lower() and environ.get("wsgi.input_terminated"):
        body = _read_at_most(environ["wsgi.input"], limit + 1)
        if len(body) > limit:
            abort(413)
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
    """Put the size check ahead of every other before-request hook (CSRF, rate limits, permissions, request ids)."""
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_oversized_request)

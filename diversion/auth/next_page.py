"""Where a person goes after signing in: back to the page she was on, and never to another site.

The sign-in pages carry a ``next`` address through the password, new-password, authenticator set-up and
security-code steps (in the pending sign-in of the session, see ``diversion/auth/views.py``). Only a path on this
site is kept: it must begin with a single "/", hold only printable ASCII (browsers drop tabs and newlines, turning
"/\\t/evil.example" into "//evil.example"), no backslash (read as "/" by browsers), no scheme and no host. The
sign-in journey itself and the JSON session endpoints are never a destination. See docs/sessions.md.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from flask import Request

MAX_LENGTH = 2000
# Paths that are no page to come back to: the sign-in journey, signing out and the page's session checks.
NOT_DESTINATIONS = ("/sign-in", "/sign-out", "/session")


def site_path(value: object) -> str | None:
    """``value`` when it is a path on this site (no scheme, no host, nothing a browser would read as one), else
    None. The sign-in page's language link comes back to the page it was on with it (the sign-in page included)."""
    if not isinstance(value, str) or not value or len(value) > MAX_LENGTH:
        return None
    if not value.startswith("/") or value.startswith("//"):
        return None
    if any(not 0x21 <= ord(character) <= 0x7E for character in value) or "\\" in value:
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    return value


def safe_next(value: object) -> str | None:
    """``value`` when it is a path on this site to go to after signing in, else None."""
    checked = site_path(value)
    if checked is None:
        return None
    path = urlsplit(checked).path.rstrip("/")
    if any(path == prefix or path.startswith(prefix + "/") for prefix in NOT_DESTINATIONS):
        return None
    return checked


def next_for(request: Request) -> str | None:
    """The page to come back to after signing in, for a request that found her signed out.

    A GET comes back to its own address. A POST (a form sent after the session ended) comes back to the page the
    form was on, from the Referer header that this site sends to itself only (Referrer-Policy: same-origin), when
    it is this site's own address.
    """
    if request.method in ("GET", "HEAD"):
        query = request.query_string.decode("ascii", "replace")
        return safe_next(quote(request.path) + (f"?{query}" if query else ""))
    referrer = urlsplit(request.referrer or "")
    if referrer.scheme not in ("http", "https") or referrer.netloc != request.host:
        return None
    return safe_next(referrer.path + (f"?{referrer.query}" if referrer.query else ""))

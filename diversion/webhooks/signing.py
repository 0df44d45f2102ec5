"""The signature on every delivery (docs/webhooks.md, "Checking the signature").

``Diversion-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>``. The receiver recomputes the
HMAC over the exact bytes it received, compares in constant time, and refuses a timestamp too far from its own
clock, so a delivery captured on the way cannot be replayed later. ``verify`` is the check docs/webhooks.md shows.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

HEADER = "Diversion-Signature"
# 32 random bytes, as text a partner can paste: "whsec_" and 64 hex characters.
SECRET_PREFIX = "whsec_"  # noqa: S105 - a label, not a secret


def new_secret() -> str:
    """A new subscription secret."""
    return SECRET_PREFIX + secrets.token_hex(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of "<t>.<body>" under the secret."""
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def header_value(secret: str, timestamp: int, body: bytes) -> str:
    """The Diversion-Signature header for a body sent at ``timestamp`` (unix seconds)."""
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, *, tolerance: int = 300, now: float | None = None) -> bool:
    """A receiver's check: True when the header signs this body with this secret and its time is within
    ``tolerance`` seconds of now."""
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, given) for given in parts.get("v1", []))

"""Security headers on every response, and a CSP nonce for the page template's one inline script."""

from __future__ import annotations

import secrets

from flask import Flask, Response, g, request

ASSET_ENDPOINT = "main.assets"


def csp_nonce() -> str:
    """The nonce for this response's inline script."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return str(g.csp_nonce)


def content_security_policy(nonce: str) -> str:
    """Our own origin only; no inline script but the nonced one; no framing."""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def register_headers(app: Flask) -> None:
    """Install the after-request hook that sets the headers."""

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        headers = response.headers
        headers["Content-Security-Policy"] = content_security_policy(csp_nonce())
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "same-origin"
        headers["X-Frame-Options"] = "DENY"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
        if app.config.get("HSTS"):
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if request.endpoint != ASSET_ENDPOINT:
            # Case data must not sit in a shared computer's cache or the back button's memory.
            headers["Cache-Control"] = "no-store"
            headers["Pragma"] = "no-cache"
        return response

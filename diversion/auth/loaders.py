"""How a request finds its user: the session cookie for pages, a bearer token for the API (never both)."""

from __future__ import annotations

from flask import request, session
from flask_login import LoginManager

from diversion.auth import sessions, tokens
from diversion.auth.models import User

SESSION_TOKEN_KEY = "sid"  # noqa: S105 - the session key name, not a secret


def configure_login_manager(manager: LoginManager) -> None:
    """Register the loaders; Flask-Login's own session protection is off because sessions live on the server."""
    manager.session_protection = None
    manager.login_view = "auth.login"
    manager.login_message = None

    @manager.user_loader
    def load_user_from_session(user_id: str) -> User | None:
        # The API takes bearer tokens only, so a cookie cannot make a cross-site API request.
        if request.path.startswith("/api/"):
            return None
        user, problem = sessions.user_for_session(session.get(SESSION_TOKEN_KEY), user_id)
        if user is None:
            session.clear()
            if problem in ("idle", "expired"):
                session["signed_out_reason"] = problem
        return user

    @manager.request_loader
    def load_user_from_token(req) -> User | None:
        if not req.path.startswith("/api/"):
            return None
        header = req.headers.get("Authorization", "")
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            return None
        return tokens.user_for_token(raw.strip())

"""Accounts and signing in: passwords, the TOTP second factor, sessions and API tokens."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from diversion.auth import views  # noqa: E402,F401

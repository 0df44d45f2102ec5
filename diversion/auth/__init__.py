"""Accounts and signing in: passwords, the TOTP second factor, sessions and API tokens."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

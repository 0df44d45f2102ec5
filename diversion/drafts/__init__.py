"""Drafts: what she has typed into a long form, kept on the server, encrypted, until she saves it or it expires.
See docs/drafts.md."""

from flask import Blueprint

bp = Blueprint("drafts", __name__)

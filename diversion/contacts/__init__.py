"""The contact log: calls, texts, visits and the rest between a case's appointments (docs/contacts.md)."""

from flask import Blueprint

bp = Blueprint("contacts", __name__)

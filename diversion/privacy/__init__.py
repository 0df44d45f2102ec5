"""Data protection in operation: retention, subject access, erasure on request, backups and the audit review."""

from flask import Blueprint

bp = Blueprint("privacy", __name__)

"""The JSON API under /api/v1: bearer tokens only, the same role rules and services as the web UI."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

"""The front door: home page by role, health check, and the allow-listed asset route."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from diversion.main import views  # noqa: E402,F401

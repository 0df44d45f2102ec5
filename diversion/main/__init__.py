"""The front door: home page by role, health check, and the allow-listed asset route."""

from flask import Blueprint

bp = Blueprint("main", __name__)

"""Alerts: what a case's worker (or, with none, its managers) must hear of at once, in the service and by email."""

from flask import Blueprint

bp = Blueprint("alerts", __name__)

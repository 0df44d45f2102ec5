"""Appointments: booking before the return date, outcomes, rebooking, the unresolved worklist."""

from flask import Blueprint

bp = Blueprint("appointments", __name__)

"""Notifications: client reminders that are safe to receive, staff digests, partner emails, and their delivery."""

from flask import Blueprint

bp = Blueprint("notifications", __name__)

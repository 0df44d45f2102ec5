"""Venues: the agency's own places where appointments are held, a list the service manager keeps."""

from flask import Blueprint

bp = Blueprint("venues", __name__)

"""Administration: users and courts. Administrators never reach client records (separation of duties)."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

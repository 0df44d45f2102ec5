"""The audit log: a hash-chained record of sign-ins, administration, and every read and change of case data."""

from flask import Blueprint

bp = Blueprint("audit", __name__)

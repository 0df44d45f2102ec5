"""Outcome notices: what the CPS and the court are told when a case reaches its outcome, and the CPS's decision."""

from flask import Blueprint

bp = Blueprint("notices", __name__)

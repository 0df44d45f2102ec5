"""Referrals (cases): intake, consent, the state machine, the caseload and the case page."""

from flask import Blueprint

bp = Blueprint("referrals", __name__)

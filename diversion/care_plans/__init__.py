"""The Care Action Plan at appointment 2: goals, actions, onward referrals, and her agreement."""

from flask import Blueprint

bp = Blueprint("care_plans", __name__)

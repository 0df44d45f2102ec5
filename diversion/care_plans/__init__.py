"""The Care Action Plan, agreed at the programme's last appointment (appointment 2 of the first edition's two):
goals, actions, onward referrals, and her agreement."""

from flask import Blueprint

bp = Blueprint("care_plans", __name__)

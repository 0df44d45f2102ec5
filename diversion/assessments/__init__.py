"""The needs assessment at appointment 1: twelve domains, need levels, wellbeing scores, risk and exploitation."""

from flask import Blueprint

bp = Blueprint("assessments", __name__)

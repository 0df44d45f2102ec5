"""Modern slavery: where her assessment shows signs of exploitation, the case asks the worker to consider a National
Referral Mechanism referral (or a Duty to Notify), and records what was done (docs/modern-slavery.md)."""

from flask import Blueprint

bp = Blueprint("modern_slavery", __name__)

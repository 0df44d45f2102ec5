"""Reports: the completion report (figures, chart by month, CSV) for managers, the CPS and court users."""

from flask import Blueprint

bp = Blueprint("reports", __name__)

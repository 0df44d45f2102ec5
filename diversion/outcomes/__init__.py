"""Funded outcomes: follow-up reviews of the twelve domains, the managers' dashboard and drill-down, the funder's
quarterly return (indicators from a data file, snapshots, suppressed CSV and XLSX exports)."""

from flask import Blueprint

bp = Blueprint("outcomes", __name__)

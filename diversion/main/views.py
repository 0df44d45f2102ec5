"""Home, health and assets."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import abort, jsonify, redirect, render_template, send_file, url_for
from flask_login import current_user
from sqlalchemy import text

from diversion.extensions import db
from diversion.keyring import keystore
from diversion.main import bp
from diversion.permissions import public, requires

log = logging.getLogger("diversion.health")
PACKAGE = Path(__file__).resolve().parent.parent
# The only files served under /assets/: built CSS, the GOV.UK Frontend module, our module and icon.
ASSETS = {
    "app.css": (PACKAGE / "static" / "build" / "app.css", "text/css"),
    "govuk-frontend.min.js": (PACKAGE / "static" / "build" / "govuk-frontend.min.js", "text/javascript"),
    "app.mjs": (PACKAGE / "static" / "js" / "app.mjs", "text/javascript"),
    "favicon.svg": (PACKAGE / "static" / "images" / "favicon.svg", "image/svg+xml"),
}


@bp.route("/")
@public
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for(_home_of(current_user.role)))


def _home_of(role: str) -> str:
    """Where a signed-in user starts: the platform operator at her list of organisations, opening nothing else
    (docs/organisations.md); everyone else at home."""
    return "organisations.platform" if role == "operator" else "main.home"


@bp.route("/home")
@requires("signed_in")
def home():
    if _home_of(current_user.role) != "main.home":
        return redirect(url_for(_home_of(current_user.role)))
    return render_template("main/home.html")


@bp.route("/health")
@public
def health():
    """The main database answers (kept for the monitors that use it): 200, or the 503 page when it does not."""
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}


@bp.route("/health/live")
@public
def health_live():
    """Liveness: the process runs and serves requests. Touches nothing else, so a database outage never makes a load
    balancer or supervisor restart a process that will work again by itself (docs/operations.md)."""
    return {"status": "ok"}


@bp.route("/health/ready")
@public
def health_ready():
    """Readiness: 200 when the main database and the key store both answer; 503 naming what does not, for a load
    balancer to send traffic elsewhere meanwhile. Names states only: never an address, a message or SQL."""
    checks = {"database": _database_status(), "keystore": keystore().status()}
    status = 200 if all(value == "ok" for value in checks.values()) else 503
    response = jsonify(checks)
    response.status_code = status
    return response


def _database_status() -> str:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - whatever the failure, the answer is that the database cannot serve pages
        log.warning("readiness: database unreachable")
        _rollback()
        return "unreachable"
    return "ok"


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the database is the thing that is down
        log.debug("rollback failed in the readiness check")


@bp.route("/assets/<path:name>")
@public
def assets(name: str):
    entry = ASSETS.get(name)
    if entry is None or not entry[0].is_file():
        abort(404)
    path, mimetype = entry
    response = send_file(path, mimetype=mimetype, max_age=3600, conditional=True)
    return response

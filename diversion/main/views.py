"""Home, health and assets."""

from __future__ import annotations

from pathlib import Path

from flask import abort, redirect, render_template, send_file, url_for
from flask_login import current_user
from sqlalchemy import text

from diversion.extensions import db
from diversion.main import bp
from diversion.permissions import public, requires

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
    return redirect(url_for("main.home"))


@bp.route("/home")
@requires("signed_in")
def home():
    return render_template("main/home.html")


@bp.route("/health")
@public
def health():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}


@bp.route("/assets/<path:name>")
@public
def assets(name: str):
    entry = ASSETS.get(name)
    if entry is None or not entry[0].is_file():
        abort(404)
    path, mimetype = entry
    response = send_file(path, mimetype=mimetype, max_age=3600, conditional=True)
    return response

"""Her alerts: the list, one alert, and acknowledging it (docs/alerts.md)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from diversion import keyset
from diversion.alerts import bp, services
from diversion.alerts.forms import AcknowledgeForm
from diversion.errors import DomainError
from diversion.permissions import current_actor, requires


def _alert(alert_id):
    alert = services.get_alert(current_actor(), alert_id)
    if alert is None:
        abort(404)
    return alert


@bp.route("/alerts")
@requires("client_records")
def index():
    after = keyset.Cursor.decode(request.args.get("cursor") or "")
    found = services.list_alerts(current_actor(), after)
    return render_template("alerts/index.html", found=found, unread=services.unread_count(current_actor()))


@bp.route("/alerts/<uuid:alert_id>")
@requires("client_records")
def show(alert_id):
    return render_template("alerts/show.html", alert=_alert(alert_id), form=AcknowledgeForm())


@bp.route("/alerts/<uuid:alert_id>/acknowledge", methods=["POST"])
@requires("client_records")
def acknowledge(alert_id):
    alert = _alert(alert_id)
    form = AcknowledgeForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.acknowledge(alert, current_actor())
    except DomainError as error:
        # Acknowledged already (in another tab, say): the page as it stands now, saying so; nothing changed.
        flash(error.message, "information")
        return render_template("alerts/show.html", alert=alert, form=form), error.status
    flash(_("Alert acknowledged."), "success")
    return redirect(url_for("alerts.show", alert_id=alert.id))

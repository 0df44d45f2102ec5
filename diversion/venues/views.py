"""The venue list, for the service manager: add, change, retire, bring back."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from diversion.errors import DomainError
from diversion.forms import apply_errors
from diversion.idempotency.forms import already_saved, held
from diversion.permissions import current_actor, requires
from diversion.venues import bp, services
from diversion.venues.forms import RetireForm, VenueForm
from diversion.venues.models import Venue


@bp.route("/venues")
@requires("venues")
def index():
    return render_template("venues/index.html", venues=services.list_venues(current_actor().organisation_id))


@bp.route("/venues/new", methods=["GET", "POST"])
@requires("venues")
def new():
    return _venue_form(None)


@bp.route("/venues/<uuid:venue_id>/edit", methods=["GET", "POST"])
@requires("venues")
def edit(venue_id):
    return _venue_form(_own_venue(venue_id))


def _own_venue(venue_id) -> Venue:
    """A venue of the manager's organisation, or 404: another organisation's venue is answered as none at all."""
    venue = services.own_venue(current_actor().organisation_id, venue_id)
    if venue is None:
        abort(404)
    return venue


def _venue_form(venue: Venue | None):
    form = VenueForm(obj=venue)
    if venue is None and (saved := already_saved(form)) is not None:
        return saved  # a new venue's form posted again: nothing more is added
    if form.validate_on_submit():
        try:
            with held(form if venue is None else None) as one_time:
                services.save_venue(form.name.data, form.address.data, venue, actor=current_actor())
                one_time.saved(url_for("venues.index"))
        except DomainError as error:
            apply_errors(form, error, "name")
        else:
            flash(_("Venue saved."), "success")
            return redirect(url_for("venues.index"))
    retire = RetireForm() if venue is not None else None
    if retire is not None and not venue.is_active:
        retire.submit.label.text = _("Bring venue back")
    return render_template("venues/form.html", form=form, venue=venue, retire=retire)


@bp.route("/venues/<uuid:venue_id>/active", methods=["POST"])
@requires("venues")
def toggle(venue_id):
    venue = _own_venue(venue_id)
    form = RetireForm()
    if form.validate_on_submit():
        active = not venue.is_active
        services.set_active(venue, active, actor=current_actor())
        flash(
            _("Venue brought back.") if active else _("Venue retired: it is no longer offered when booking."), "success"
        )
    return redirect(url_for("venues.index"))

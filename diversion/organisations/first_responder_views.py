"""An administrator's page for her organisation's first responder setting (docs/modern-slavery.md): it decides how a
case's National Referral Mechanism task is worded and whether a Duty to Notify may be recorded."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from diversion.organisations import administration, bp
from diversion.organisations.admin_forms import FirstResponderForm
from diversion.permissions import current_actor, requires


@bp.route("/admin/organisation/first-responder", methods=["GET", "POST"])
@requires("admin")
def first_responder():
    organisation = administration.own_organisation(current_actor())
    form = FirstResponderForm()
    if not form.is_submitted():
        form.is_first_responder.data = "yes" if organisation.is_first_responder else "no"
    elif form.validate_on_submit():
        changed = administration.set_first_responder(current_actor(), form.is_first_responder.data == "yes")
        flash(_("Setting saved.") if changed else _("Nothing changed."), "success")
        return redirect(url_for("organisations.schemes"))
    status = 422 if form.errors else 200
    return render_template("organisations/first_responder.html", form=form, organisation=organisation), status

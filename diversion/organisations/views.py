"""The organisations' pages: an organisation's administrator keeps its users, schemes and courts; the platform
operator adds organisations; a manager keeps a scheme's programme (``programme_views.py``)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from diversion.errors import DomainError, NotFound
from diversion.forms import apply_errors, choices
from diversion.idempotency.forms import already_saved, held
from diversion.organisations import administration, bp
from diversion.organisations.admin_forms import OrganisationForm, SchemeForm
from diversion.organisations.models import Access, Scheme
from diversion.organisations.services import schemes_of
from diversion.permissions import current_actor, requires

# A new scheme's programme, unless the administrator says otherwise: the first edition's two appointments.
DEFAULT_APPOINTMENTS = 2


# --- an organisation's schemes, for its administrator ---


@bp.route("/admin/schemes")
@requires("admin")
def schemes():
    """Her organisation's schemes, with the courts each serves and who opens a case."""
    return render_template("organisations/schemes.html", schemes=schemes_of(current_actor().organisation_id))


@bp.route("/admin/schemes/new", methods=["GET", "POST"])
@requires("admin")
def new_scheme():
    return _scheme_form(None)


@bp.route("/admin/schemes/<int:scheme_id>/edit", methods=["GET", "POST"])
@requires("admin")
def edit_scheme(scheme_id: int):
    try:
        scheme = administration.own_scheme(current_actor(), scheme_id)
    except NotFound:
        abort(404)
    return _scheme_form(scheme)


def _scheme_form(scheme: Scheme | None):
    form = SchemeForm()
    form.courts.choices = choices(
        [(court.code, f"{court.name} ({court.code})") for court in administration.court_choices(scheme)]
    )
    if scheme is None and (saved := already_saved(form)) is not None:
        return saved  # a new scheme's form posted again: nothing more is added
    if not form.is_submitted():
        if scheme is not None:
            form.name.data = scheme.name
            form.courts.data = [court.code for court in scheme.courts]
            form.access.data = scheme.access
        else:
            form.access.data = Access.TEAM.value
            form.appointments.data = str(DEFAULT_APPOINTMENTS)
    elif form.validate_on_submit():
        actor = current_actor()
        try:
            with held(form if scheme is None else None) as one_time:
                if scheme is None:
                    administration.new_scheme(
                        actor,
                        slug=form.slug.data or "",
                        name=form.name.data,
                        court_codes=form.courts.data or [],
                        access=form.access.data,
                        appointments=(form.appointments.data or "").strip(),
                    )
                else:
                    administration.change_scheme(
                        scheme, actor, name=form.name.data, court_codes=form.courts.data or [], access=form.access.data
                    )
                one_time.saved(url_for("organisations.schemes"))
        except DomainError as error:
            apply_errors(form, error, "name")
        else:
            flash(_("Scheme added.") if scheme is None else _("Scheme saved."), "success")
            return redirect(url_for("organisations.schemes"))
    status = 422 if form.errors else 200
    return render_template("organisations/scheme_form.html", form=form, scheme=scheme), status


# --- the platform operator ---


@bp.route("/platform/organisations")
@requires("platform")
def platform():
    """The organisations on the service: name, short name, how many schemes and staff accounts. No case counts."""
    return render_template("organisations/platform.html", rows=administration.organisation_rows())


@bp.route("/platform/organisations/new", methods=["GET", "POST"])
@requires("platform")
def new_organisation():
    """Add an organisation and its first administrator, whose temporary password is shown once."""
    form = OrganisationForm()
    if (saved := already_saved(form)) is not None:
        return saved  # the same form posted again: to the list (the password is shown only once)
    if form.validate_on_submit():
        try:
            with held(form) as one_time:
                organisation, administrator, issued = administration.new_organisation(
                    current_actor(),
                    slug=form.slug.data or "",
                    name=form.name.data,
                    admin_email=form.admin_email.data,
                    admin_name=form.admin_name.data,
                )
                one_time.saved(url_for("organisations.platform"))
        except DomainError as error:
            apply_errors(form, error, "name")
        else:
            return render_template(
                "organisations/organisation_created.html",
                organisation=organisation,
                user=administrator,
                password=issued,
            )
    status = 422 if form.errors else 200
    return render_template("organisations/organisation_form.html", form=form), status

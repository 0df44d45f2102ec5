"""Users and courts, for administrators."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from diversion.admin import bp, services
from diversion.admin.forms import THEIR_NAME_HINT, CourtForm, RoleForm, UserForm
from diversion.auth.forms import ConfirmForm, DisplayNameForm
from diversion.auth.models import Role, User
from diversion.auth.names import change_display_name
from diversion.auth.services import is_locked
from diversion.courts.models import Court
from diversion.errors import DomainError
from diversion.forms import choices
from diversion.idempotency.forms import already_saved, held
from diversion.organisations.services import schemes_of
from diversion.permissions import current_actor, requires

USER_ACTIONS = {
    "disable": (services.disable_user, _l("User disabled. Their sessions and API tokens have ended.")),
    "enable": (
        services.enable_user,
        _l("User enabled. If they read client data, a manager must confirm the account before it opens any record."),
    ),
    "unlock": (services.unlock_user, _l("User unlocked.")),
    "reset-two-factor": (
        services.reset_two_factor,
        _l("Authenticator reset. They will set up a new one at sign-in, and a manager must confirm the account."),
    ),
}


def _apply_errors(form, error: DomainError, default: str) -> None:
    """Show a service's refusal on the fields it names (or on ``default``), for the error summary."""
    for name, message in (error.fields or {default: error.message}).items():
        getattr(form, name, getattr(form, default)).errors.append(message)


def _managed(user_id) -> User:
    """An account the signed-in administrator manages, or 404 (diversion/admin/scope.py)."""
    user = services.managed_user(current_actor(), user_id)
    if user is None:
        abort(404)
    return user


def _access_choices(form) -> None:
    """The choices an administrator has: her organisation's schemes, and the courts they serve."""
    actor = current_actor()
    courts = services.list_own_courts(actor, active_only=True)
    form.court.choices = choices([("", _("Not a court user"))] + [(court.code, court.name) for court in courts])
    form.schemes.choices = choices([(scheme.slug, scheme.name) for scheme in schemes_of(actor.organisation_id)])
    form.cps_courts.choices = choices([(court.code, court.name) for court in courts])


def _preselect_single(form) -> None:
    """With one scheme, or one court, to choose from, it is chosen already."""
    if len(form.schemes.choices) == 1 and not form.schemes.data:
        form.schemes.data = [form.schemes.choices[0].value]
    if len(form.cps_courts.choices) == 1 and not form.cps_courts.data:
        form.cps_courts.data = [form.cps_courts.choices[0].value]


def _chosen(form) -> tuple[list[str] | None, list[str] | None]:
    """The schemes and courts posted, for the roles they belong to only (a box left ticked for another role is
    not a mistake the person made)."""
    role = form.role.data
    schemes = list(form.schemes.data or []) if role in (Role.WORKER.value, Role.MANAGER.value) else None
    covered = list(form.cps_courts.data or []) if role == Role.CPS.value else None
    return schemes, covered


@bp.route("/users")
@requires("admin")
def users():
    return render_template("admin/users.html", users=services.list_users(current_actor()), is_locked=is_locked)


@bp.route("/users/new", methods=["GET", "POST"])
@requires("admin")
def new_user():
    form = UserForm()
    _access_choices(form)
    if not form.is_submitted():
        _preselect_single(form)
    if (saved := already_saved(form)) is not None:
        return saved  # the same form posted again: to the account it made (its password is shown only once)
    if form.validate_on_submit():
        schemes, covered = _chosen(form)
        try:
            with held(form) as one_time:
                user, issued = services.create_user(
                    form.email.data,
                    form.role.data,
                    form.court.data or None,
                    actor=current_actor(),
                    display_name=form.display_name.data,
                    schemes=schemes or None,
                    cps_courts=covered or None,
                )
                one_time.saved(url_for("admin.user_detail", user_id=user.id))
        except DomainError as error:
            _apply_errors(form, error, "email")
        else:
            return render_template("admin/user_created.html", user=user, password=issued)
    return render_template("admin/user_form.html", form=form)


@bp.route("/users/<uuid:user_id>")
@requires("admin")
def user_detail(user_id):
    user = _managed(user_id)
    return render_template("admin/user_detail.html", user=user, form=ConfirmForm(), is_locked=is_locked(user))


@bp.route("/users/<uuid:user_id>/name", methods=["GET", "POST"])
@requires("admin")
def user_name(user_id):
    """An administrator changes a user's name (the user changes their own on their account page)."""
    user = _managed(user_id)
    form = DisplayNameForm()
    form.display_name.description = THEIR_NAME_HINT
    status = 200
    if form.validate_on_submit():
        try:
            change_display_name(user, form.display_name.data, actor=current_actor(), seen=form.seen.data)
        except DomainError as error:
            _apply_errors(form, error, "display_name")
            form.seen.data = user.display_name
            status = error.status if error.status == 409 else 200
        else:
            flash(_("Name saved."), "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
    elif not form.is_submitted():
        form.display_name.data = form.seen.data = user.display_name
    return render_template(
        "auth/display_name.html",
        form=form,
        title=_("Change the user's name"),
        caption=user.email,
        action=url_for("admin.user_name", user_id=user.id),
        back=url_for("admin.user_detail", user_id=user.id),
        autocomplete="off",
        back_text=_("Back to the user"),
    ), status


@bp.route("/users/<uuid:user_id>/role", methods=["GET", "POST"])
@requires("admin")
def user_role(user_id):
    """An administrator gives a user another role, or other schemes or courts covered; a role that reads client
    data, and schemes or courts added, wait for a manager's confirmation."""
    user = _managed(user_id)
    form = RoleForm()
    _access_choices(form)
    if form.validate_on_submit():
        schemes, covered = _chosen(form)
        try:
            services.change_role(
                user,
                form.role.data,
                form.court.data or None,
                actor=current_actor(),
                schemes=schemes,
                cps_courts=covered,
            )
        except DomainError as error:
            _apply_errors(form, error, "role")
        else:
            if user.confirmation_needed_at is not None:
                flash(_("Changes saved. A manager must confirm the account before it opens any record."), "success")
            else:
                flash(_("Changes saved."), "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
    elif not form.is_submitted():
        form.role.data = user.role
        form.court.data = user.court.code if user.court else ""
        form.schemes.data = [scheme.slug for scheme in user.schemes]
        form.cps_courts.data = [court.code for court in user.cps_courts]
        _preselect_single(form)
    return render_template("admin/user_role.html", form=form, user=user)


@bp.route("/users/<uuid:user_id>/<any(disable, enable, unlock, 'reset-two-factor'):action>", methods=["POST"])
@requires("admin")
def user_action(user_id, action: str):
    user = _managed(user_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        service, message = USER_ACTIONS[action]
        service(user, actor=current_actor())
        flash(str(message), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/users/<uuid:user_id>/reset-password", methods=["POST"])
@requires("admin")
def reset_password(user_id):
    user = _managed(user_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return redirect(url_for("admin.user_detail", user_id=user.id))
    issued = services.reset_password(user, actor=current_actor())
    return render_template("admin/user_created.html", user=user, password=issued, is_reset=True)


@bp.route("/courts")
@requires("admin")
def courts():
    """The courts her organisation's schemes serve, with the schemes serving each."""
    actor = current_actor()
    schemes = schemes_of(actor.organisation_id)
    listed = services.list_own_courts(actor)
    serving = {court.id: [scheme.name for scheme in schemes if court in scheme.courts] for court in listed}
    return render_template("admin/courts.html", courts=listed, serving=serving)


@bp.route("/courts/new", methods=["GET", "POST"])
@requires("admin")
def new_court():
    return _court_form(None)


@bp.route("/courts/<int:court_id>/edit", methods=["GET", "POST"])
@requires("admin")
def edit_court(court_id: int):
    court = services.own_court(current_actor(), court_id)
    if court is None:
        abort(404)
    return _court_form(court)


def _court_form(court: Court | None):
    actor = current_actor()
    form = CourtForm(obj=court)
    own = schemes_of(actor.organisation_id)
    form.schemes.choices = choices([(str(scheme.id), scheme.name) for scheme in own])
    if court is None and not form.is_submitted() and len(own) == 1:
        form.schemes.data = [str(own[0].id)]
    if court is None and (saved := already_saved(form)) is not None:
        return saved  # a new court's form posted again: nothing more is added
    if form.validate_on_submit():
        chosen = [scheme for scheme in own if str(scheme.id) in (form.schemes.data or [])]
        try:
            with held(form if court is None else None) as one_time:
                services.save_court(
                    form.code.data,
                    form.name.data,
                    court,
                    actor=actor,
                    schemes=chosen if court is None else None,
                    language=form.default_language.data,
                )
                one_time.saved(url_for("admin.courts"))
        except DomainError as error:
            _apply_errors(form, error, "code")
        else:
            flash(_("Court saved."), "success")
            return redirect(url_for("admin.courts"))
    return render_template("admin/court_form.html", form=form, court=court)


@bp.route("/accounts-to-confirm")
@requires("case_management")
def accounts_to_confirm():
    """A manager's list of accounts an administrator created or reset, which open no case until confirmed."""
    return render_template(
        "admin/accounts_to_confirm.html",
        accounts=services.accounts_to_confirm(current_actor()),
        reasons=services.CONFIRMATION_REASONS,
        form=ConfirmForm(formdata=None),
    )


@bp.route("/accounts-to-confirm/<uuid:user_id>", methods=["POST"])
@requires("case_management")
def confirm_account(user_id):
    user = services.confirmable_user(current_actor(), user_id)
    if user is None:
        abort(404)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.confirm_account(user, current_actor())
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("%(name)s's account confirmed: it can open cases.", name=user.display_name), "success")
    return redirect(url_for("admin.accounts_to_confirm"))

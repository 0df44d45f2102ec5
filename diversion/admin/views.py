"""Users and courts, for administrators."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from diversion.admin import bp, services
from diversion.admin.forms import THEIR_NAME_HINT, CourtForm, RoleForm, UserForm
from diversion.auth.forms import ConfirmForm, DisplayNameForm
from diversion.auth.models import User
from diversion.auth.names import change_display_name
from diversion.auth.services import is_locked
from diversion.courts.models import Court
from diversion.errors import DomainError
from diversion.idempotency.forms import already_saved, held
from diversion.permissions import current_actor, load_or_404, requires

USER_ACTIONS = {
    "disable": (services.disable_user, "User disabled. Their sessions and API tokens have ended."),
    "enable": (
        services.enable_user,
        "User enabled. If they read client data, a manager must confirm the account before it opens any record.",
    ),
    "unlock": (services.unlock_user, "User unlocked."),
    "reset-two-factor": (
        services.reset_two_factor,
        "Authenticator reset. They will set up a new one at sign-in, and a manager must confirm the account.",
    ),
}


def _apply_errors(form, error: DomainError, default: str) -> None:
    """Show a service's refusal on the fields it names (or on ``default``), for the error summary."""
    for name, message in (error.fields or {default: error.message}).items():
        getattr(form, name, getattr(form, default)).errors.append(message)


@bp.route("/users")
@requires("admin")
def users():
    return render_template("admin/users.html", users=services.list_users(), is_locked=is_locked)


@bp.route("/users/new", methods=["GET", "POST"])
@requires("admin")
def new_user():
    form = UserForm()
    form.court.choices = [("", "Not a court user")] + [(c.code, c.name) for c in services.list_courts(True)]
    if (saved := already_saved(form)) is not None:
        return saved  # the same form posted again: to the account it made (its password is shown only once)
    if form.validate_on_submit():
        try:
            with held(form) as one_time:
                user, issued = services.create_user(
                    form.email.data,
                    form.role.data,
                    form.court.data or None,
                    actor=current_actor(),
                    display_name=form.display_name.data,
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
    user = load_or_404(User, user_id)
    return render_template("admin/user_detail.html", user=user, form=ConfirmForm(), is_locked=is_locked(user))


@bp.route("/users/<uuid:user_id>/name", methods=["GET", "POST"])
@requires("admin")
def user_name(user_id):
    """An administrator changes a user's name (the user changes their own on their account page)."""
    user = load_or_404(User, user_id)
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
            flash("Name saved.", "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
    elif not form.is_submitted():
        form.display_name.data = form.seen.data = user.display_name
    return render_template(
        "auth/display_name.html",
        form=form,
        title="Change the user's name",
        caption=user.email,
        action=url_for("admin.user_name", user_id=user.id),
        back=url_for("admin.user_detail", user_id=user.id),
        autocomplete="off",
        back_text="Back to the user",
    ), status


@bp.route("/users/<uuid:user_id>/role", methods=["GET", "POST"])
@requires("admin")
def user_role(user_id):
    """An administrator gives a user another role; a role that reads client data waits for a manager's confirmation."""
    user = load_or_404(User, user_id)
    form = RoleForm()
    form.court.choices = [("", "Not a court user")] + [(c.code, c.name) for c in services.list_courts(True)]
    if form.validate_on_submit():
        try:
            services.change_role(user, form.role.data, form.court.data or None, actor=current_actor())
        except DomainError as error:
            _apply_errors(form, error, "role")
        else:
            waits = user.confirmation_needed_at is not None
            then = " A manager must confirm the account before it opens any record." if waits else ""
            flash(f"Role changed.{then}", "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
    elif not form.is_submitted():
        form.role.data = user.role
        form.court.data = user.court.code if user.court else ""
    return render_template("admin/user_role.html", form=form, user=user)


@bp.route("/users/<uuid:user_id>/<any(disable, enable, unlock, 'reset-two-factor'):action>", methods=["POST"])
@requires("admin")
def user_action(user_id, action: str):
    user = load_or_404(User, user_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        service, message = USER_ACTIONS[action]
        service(user, actor=current_actor())
        flash(message, "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/users/<uuid:user_id>/reset-password", methods=["POST"])
@requires("admin")
def reset_password(user_id):
    user = load_or_404(User, user_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return redirect(url_for("admin.user_detail", user_id=user.id))
    issued = services.reset_password(user, actor=current_actor())
    return render_template("admin/user_created.html", user=user, password=issued, is_reset=True)


@bp.route("/courts")
@requires("admin")
def courts():
    return render_template("admin/courts.html", courts=services.list_courts())


@bp.route("/courts/new", methods=["GET", "POST"])
@requires("admin")
def new_court():
    return _court_form(None)


@bp.route("/courts/<int:court_id>/edit", methods=["GET", "POST"])
@requires("admin")
def edit_court(court_id: int):
    return _court_form(load_or_404(Court, court_id))


def _court_form(court: Court | None):
    form = CourtForm(obj=court)
    if court is None and (saved := already_saved(form)) is not None:
        return saved  # a new court's form posted again: nothing more is added
    if form.validate_on_submit():
        try:
            with held(form if court is None else None) as one_time:
                services.save_court(form.code.data, form.name.data, court, actor=current_actor())
                one_time.saved(url_for("admin.courts"))
        except DomainError as error:
            _apply_errors(form, error, "code")
        else:
            flash("Court saved.", "success")
            return redirect(url_for("admin.courts"))
    return render_template("admin/court_form.html", form=form, court=court)


@bp.route("/accounts-to-confirm")
@requires("case_management")
def accounts_to_confirm():
    """A manager's list of accounts an administrator created or reset, which open no case until confirmed."""
    return render_template(
        "admin/accounts_to_confirm.html",
        accounts=services.accounts_to_confirm(),
        reasons=services.CONFIRMATION_REASONS,
        form=ConfirmForm(formdata=None),
    )


@bp.route("/accounts-to-confirm/<uuid:user_id>", methods=["POST"])
@requires("case_management")
def confirm_account(user_id):
    user = load_or_404(User, user_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.confirm_account(user, current_actor())
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(f"{user.display_name}'s account confirmed: it can open cases.", "success")
    return redirect(url_for("admin.accounts_to_confirm"))

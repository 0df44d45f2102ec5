"""Sign in, second factor, enrolment, sign out, and the account page."""

from __future__ import annotations

import time
from typing import Any

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import generate_csrf
from wtforms import SelectChoice

from diversion.auth import bp, services, tokens
from diversion.auth.forms import (
    CodeForm,
    ConfirmForm,
    DisplayNameForm,
    LanguageForm,
    LoginForm,
    NewPasswordForm,
    TokenForm,
)
from diversion.auth.language import change_language, chosen_value, language_choices, language_shown
from diversion.auth.loaders import SESSION_TOKEN_KEY
from diversion.auth.models import User
from diversion.auth.names import change_display_name
from diversion.auth.next_page import safe_next, site_path
from diversion.errors import DomainError
from diversion.extensions import limiter
from diversion.forms import apply_errors
from diversion.i18n import UI_LANGUAGES, current_language, user_language
from diversion.permissions import current_actor, login_in_progress, public, requires

PENDING_KEY = "login"
STAGE_ENDPOINTS = {"new_password": "auth.new_password", "enrol": "auth.enrol", "verify": "auth.verify"}


def _login_rate_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def _begin_pending(user: User, next_page: str | None) -> str:
    """The password was right: a fresh session holding only 'this user is signing in, at this stage', and the page
    to go back to afterwards (docs/sessions.md)."""
    session.clear()
    stage = services.next_stage(user)
    pending = {"uid": str(user.id), "at": time.time(), "stage": stage}
    if next_page:
        pending["next"] = next_page
    session[PENDING_KEY] = pending
    return STAGE_ENDPOINTS[stage]


def _pending_next() -> str | None:
    """The page the pending sign-in goes back to, checked again as it leaves the session."""
    pending = session.get(PENDING_KEY)
    return safe_next(pending.get("next")) if isinstance(pending, dict) else None


def _pending_user(stage: str) -> User | None:
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or pending.get("stage") != stage:
        return None
    timeout = current_app.config["LOGIN_PENDING_TIMEOUT"].total_seconds()
    if time.time() - float(pending.get("at", 0)) > timeout:
        session.pop(PENDING_KEY, None)
        return None
    user = services.get_user(pending.get("uid"))
    if user is None or user.is_disabled or services.is_locked(user):
        return None
    return user


def _finish(user: User) -> None:
    token = services.complete_login(user)
    session.clear()
    session[SESSION_TOKEN_KEY] = token
    login_user(user)


@bp.route("/sign-in", methods=["GET", "POST"])
@public
@limiter.limit(_login_rate_limit, methods=["POST"])
def login():
    next_page = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        # Signed in already, say in another tab: straight on to the page she asked for.
        return redirect(next_page or url_for("main.index"))
    form = LoginForm()
    reason = session.pop("signed_out_reason", None)
    if form.validate_on_submit():
        try:
            user = services.check_password(form.email.data, form.password.data)
        except DomainError as error:
            form.password.errors.append(error.message)
        else:
            return redirect(url_for(_begin_pending(user, next_page)))
    other = next(code for code in UI_LANGUAGES if code != current_language())
    return render_template(
        "auth/login.html",
        form=form,
        signed_out_reason=reason,
        next_page=next_page,
        other_language=other,
        other_language_name=UI_LANGUAGES[other],
        # Back to this page after switching, with only the checked ``next`` it kept.
        here=url_for("auth.login", next=next_page),
    )


@bp.route(f"/language/<any({', '.join(UI_LANGUAGES)}):code>")
@public
def switch_language(code):
    """Someone not signed in picks the language of the pages (the link on the sign-in page): kept in the session,
    then back to the page she was on (a path on this site only), else the sign-in page. A signed-in person's
    language is her account's (``auth.language``)."""
    if code not in UI_LANGUAGES:
        abort(404)
    session["language"] = code
    return redirect(site_path(request.args.get("next")) or url_for("auth.login"))


@bp.route("/sign-in/new-password", methods=["GET", "POST"])
@login_in_progress
def new_password():
    user = _pending_user("new_password")
    if user is None:
        return redirect(url_for("auth.login"))
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            services.set_new_password(user, form.password.data, form.confirm.data)
        except DomainError as error:
            for name, message in error.fields.items():
                getattr(form, name).errors.append(message)
        else:
            return redirect(url_for(_begin_pending(user, _pending_next())))
    return render_template("auth/new_password.html", form=form)


@bp.route("/sign-in/set-up-authenticator", methods=["GET", "POST"])
@login_in_progress
def enrol():
    user = _pending_user("enrol")
    if user is None:
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = services.confirm_enrolment(user, form.code.data)
        except DomainError as error:
            form.code.errors.append(error.message)
        else:
            next_page = _pending_next()
            _finish(user)
            return render_template(
                "auth/recovery_codes.html", codes=codes, continue_url=next_page or url_for("main.index")
            )
    enrolment = services.start_enrolment(user)
    return render_template("auth/enrol.html", form=form, enrolment=enrolment, grouped=services.totp.grouped)


@bp.route("/sign-in/security-code", methods=["GET", "POST"])
@login_in_progress
def verify():
    user = _pending_user("verify")
    if user is None:
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            services.verify_second_factor(user, form.code.data)
        except DomainError as error:
            form.code.errors.append(error.message)
        else:
            next_page = _pending_next()
            _finish(user)
            return redirect(next_page or url_for("main.index"))
    return render_template("auth/verify.html", form=form)


@bp.route("/sign-out", methods=["POST"])
@requires("signed_in")
def logout():
    form = ConfirmForm()
    if form.validate_on_submit():
        services.logout(current_actor(), session.get(SESSION_TOKEN_KEY))
        logout_user()
        session.clear()
        session["signed_out_reason"] = "logout"
    return redirect(url_for("auth.login"))


@bp.route("/account")
@requires("signed_in")
def account():
    return _account_page(TokenForm(formdata=None))


def _account_page(token_form: TokenForm) -> Any:
    user = current_actor()
    return render_template(
        "auth/account.html",
        tokens=tokens.tokens_of(user),
        recovery_left=services.unused_recovery_codes(user),
        language=language_shown(user),
        confirm=ConfirmForm(),
        form=token_form,
    )


@bp.route("/account/name", methods=["GET", "POST"])
@requires("signed_in")
def change_name():
    """Everyone changes their own name here; an administrator changes anyone's from the user's page."""
    user = current_actor()
    form = DisplayNameForm()
    status = 200
    if form.validate_on_submit():
        try:
            change_display_name(user, form.display_name.data, actor=user, seen=form.seen.data)
        except DomainError as error:
            apply_errors(form, error, "display_name")
            form.seen.data = user.display_name
            status = error.status if error.status == 409 else 200
        else:
            flash(_("Your name has been saved."), "success")
            return redirect(url_for("auth.account"))
    elif not form.is_submitted():
        form.display_name.data = form.seen.data = user.display_name
    return render_template(
        "auth/display_name.html",
        form=form,
        title=_("Change your name"),
        caption=_("Your account"),
        action=url_for("auth.change_name"),
        back=url_for("auth.account"),
        autocomplete="name",
        back_text=_("Back to your account"),
    ), status


@bp.route("/account/language", methods=["GET", "POST"])
@requires("signed_in")
def language():
    """Everyone chooses the language of the service on their own account: English or Welsh, or for court staff their
    court's default. The flash that confirms it is in the language chosen."""
    user = current_actor()
    form = LanguageForm()
    form.language.choices = [SelectChoice(value, label) for value, label in language_choices(user)]
    if form.validate_on_submit():
        try:
            change_language(user, form.language.data, actor=user)
        except DomainError as error:
            apply_errors(form, error, "language")
        else:
            with force_locale(user_language(user)):
                flash(_("Your language has been saved."), "success")
            return redirect(url_for("auth.account"))
    elif not form.is_submitted():
        form.language.data = chosen_value(user)
    return render_template("auth/language.html", form=form)


@bp.route("/account/api-tokens", methods=["POST"])
@requires("signed_in")
def create_token():
    form = TokenForm()
    if not form.validate_on_submit():
        return _account_page(form)
    name = tokens.clean_token_name(form.name.data)
    raw = tokens.create_api_token(current_actor(), name=name)
    return render_template("auth/token_created.html", token=raw, name=name)


@bp.route("/account/api-tokens/<uuid:token_id>/revoke", methods=["POST"])
@requires("signed_in")
def revoke_token(token_id):
    form = ConfirmForm()
    if form.validate_on_submit():
        tokens.revoke_token(current_actor(), token_id)
    return redirect(url_for("auth.account"))


def _session_answer() -> Any:
    """The JSON the page's session checks read (docs/sessions.md): who is signed in, and a CSRF token for this
    session that the page puts into its forms, so that a form typed before signing in again can still be sent."""
    return jsonify(
        {
            "signed_in": True,
            "user": str(current_user.id),
            "idle_timeout_seconds": int(current_app.config["SESSION_IDLE_TIMEOUT"].total_seconds()),
            "csrf_token": generate_csrf(),
        }
    )


@bp.route("/session/keep-alive", methods=["POST"])
@requires("signed_in")
def keep_alive():
    # Loading the user already moved the session's last activity on. Without a live session the rule answers 401
    # in JSON (the /session/ paths answer in JSON, never with a redirect to the sign-in page).
    return _session_answer()


@bp.route("/session", methods=["GET"])
@requires("signed_in")
def session_status():
    # Read by the page before it sends a form and after she signs in again in another tab: 401 when signed out.
    return _session_answer()

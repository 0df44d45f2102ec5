"""Signing in: password, lockout, second factor, enrolment, recovery codes, new passwords.

Every refusal says the same thing whatever the reason (unknown email, wrong password, locked, disabled), so the
form cannot be used to find out who has an account.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from diversion.audit.services import record_event
from diversion.auth import passwords, sessions, totp
from diversion.auth.models import RecoveryCode, User
from diversion.crypto.fields import is_unreadable
from diversion.db import transaction, utcnow
from diversion.errors import DomainError, ValidationFailed
from diversion.extensions import db


def login_refused() -> str:
    """The one refusal of a sign-in, whatever the reason."""
    return _(
        "Enter a correct email address and password. After 10 wrong attempts in 15 minutes, an account is locked "
        "for 15 minutes"
    )


def code_refused() -> str:
    """The refusal of a security code."""
    return _("Enter a correct security code. Each code can be used only once")


class LoginRefused(DomainError):
    """Sign-in refused. The message never says why."""

    status = 401
    code = "unauthorized"


def normalise_email(email: str) -> str:
    """Emails are compared trimmed and lower-cased."""
    return email.strip().lower()


def get_user(user_id: object) -> User | None:
    """The user with this id, or None for an unknown or malformed id."""
    try:
        return db.session.get(User, uuid.UUID(str(user_id)))
    except ValueError:
        return None


def find_user_by_email(email: str) -> User | None:
    """The user with this email, if any."""
    return db.session.scalars(select(User).where(User.email == normalise_email(email))).first()


# --- the TOTP secret (an encrypted attribute; unreadable reads as no secret) ---


def get_totp_secret(user: User) -> str | None:
    """The user's TOTP secret in clear, or None when absent or unreadable."""
    secret = user.totp_secret
    return None if secret is None or is_unreadable(secret) else str(secret)


# --- lockout ---


def is_locked(user: User) -> bool:
    """True while the account is locked after too many failures."""
    return user.locked_until is not None and user.locked_until > utcnow()


def _register_failure(user: User, stage: str) -> None:
    config = current_app.config
    now = utcnow()
    window = config["LOGIN_FAILURE_WINDOW"]
    if user.first_failed_login_at is None or now - user.first_failed_login_at > window:
        user.failed_login_count = 0
        user.first_failed_login_at = now
    user.failed_login_count += 1
    record_event(f"login.{stage}_failed", object_type="user", object_id=user.id, actor=user)
    if user.failed_login_count >= config["LOGIN_MAX_FAILURES"] and not is_locked(user):
        user.locked_until = now + window
        record_event("login.locked", object_type="user", object_id=user.id, actor=user)


def _clear_failures(user: User) -> None:
    user.failed_login_count = 0
    user.first_failed_login_at = None
    user.locked_until = None


# --- the sign-in journey ---


def check_password(email: str, password: str) -> User:
    """Step one: the password. Returns the user, or raises LoginRefused after recording the failure."""
    with transaction():
        user = find_user_by_email(email)
        if user is None:
            passwords.verify_password(None, password)
            record_event("login.unknown_account", details={"stage": "password"})
            refused = True
        elif is_locked(user):
            passwords.verify_password(user.password_hash, password)
            record_event("login.refused_locked", object_type="user", object_id=user.id, actor=user)
            refused = True
        elif not passwords.verify_password(user.password_hash, password) or user.is_disabled:
            _register_failure(user, "password")
            refused = True
        else:
            refused = False
            if passwords.needs_rehash(user.password_hash):
                user.password_hash = passwords.hash_password(password)
    if refused or user is None:
        raise LoginRefused(login_refused())
    return user


def next_stage(user: User) -> str:
    """Where the sign-in goes after the password: a new password, enrolment, or the second factor."""
    if user.must_change_password:
        return "new_password"
    if not user.has_totp:
        return "enrol"
    return "verify"


def set_new_password(user: User, password: str, confirm: str) -> None:
    """Replace a temporary password during sign-in."""
    problem = passwords.password_problem(password, user.email)
    field = "password"
    if problem is None and password != confirm:
        problem, field = _("Passwords do not match"), "confirm"
    if problem:
        raise ValidationFailed(problem, {field: problem})
    with transaction():
        user.password_hash = passwords.hash_password(password)
        user.must_change_password = False
        record_event("user.password_changed", object_type="user", object_id=user.id, actor=user)


@dataclass
class Enrolment:
    """What the enrolment page shows: the QR code and the secret for typing in."""

    secret: str
    qr_svg: str


def start_enrolment(user: User) -> Enrolment:
    """Give the user a secret to enrol (kept across reloads until confirmed)."""
    if user.has_totp:
        raise ValidationFailed(_("This account already has an authenticator"))
    secret = get_totp_secret(user)
    if secret is None:
        secret = totp.new_secret()
        with transaction():
            user.totp_secret = secret
    uri = totp.provisioning_uri(secret, user.email, current_app.config["TOTP_ISSUER"])
    return Enrolment(secret=secret, qr_svg=totp.qr_svg(uri))


def confirm_enrolment(user: User, code: str) -> list[str]:
    """Check the first code from the new authenticator; returns the recovery codes, shown once."""
    secret = get_totp_secret(user)
    step = totp.matching_step(secret, code, user.totp_last_step) if secret else None
    if step is None:
        with transaction():
            _register_failure(user, "enrolment")
        raise ValidationFailed(code_refused(), {"code": code_refused()})
    with transaction():
        user.totp_enrolled_at = utcnow()
        user.totp_last_step = step
        codes = _replace_recovery_codes(user)
        record_event("two_factor.enrolled", object_type="user", object_id=user.id, actor=user)
    return codes


def _replace_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = totp.new_recovery_codes(current_app.config["RECOVERY_CODE_COUNT"])
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=totp.hash_recovery_code(code)) for code in codes)
    db.session.flush()
    return codes


def _use_recovery_code(user: User, code: str) -> bool:
    found = db.session.scalars(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == totp.hash_recovery_code(code),
            RecoveryCode.used_at.is_(None),
        )
    ).first()
    if found is None:
        return False
    found.used_at = utcnow()
    record_event("login.recovery_code_used", object_type="user", object_id=user.id, actor=user)
    return True


def unused_recovery_codes(user: User) -> int:
    """How many recovery codes the user has left."""
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


def verify_second_factor(user: User, code: str) -> None:
    """Check a code from the authenticator, or a recovery code. A code already used is refused."""
    with transaction():
        if is_locked(user) or user.is_disabled:
            record_event("login.refused_locked", object_type="user", object_id=user.id, actor=user)
            accepted = False
        elif any(ch.isalpha() for ch in code):
            accepted = _use_recovery_code(user, code)
        else:
            secret = get_totp_secret(user)
            step = totp.matching_step(secret, code, user.totp_last_step) if secret else None
            accepted = step is not None
            if step is not None:
                user.totp_last_step = step
        if not accepted and not is_locked(user):
            _register_failure(user, "second_factor")
    if not accepted:
        raise ValidationFailed(code_refused(), {"code": code_refused()})


def complete_login(user: User) -> str:
    """Both factors passed: start a fresh server-side session and return its token."""
    with transaction():
        _clear_failures(user)
        user.last_login_at = utcnow()
        token = sessions.start_session(user)
        record_event("login.succeeded", object_type="user", object_id=user.id, actor=user)
    return token


def logout(user: User, token: str | None) -> None:
    """Sign out: ends every session of the user, on every device, so a forgotten court laptop is signed out too."""
    with transaction():
        sessions.end_session(token, "logout")
        sessions.end_all_sessions(user.id, "logout")
        record_event("logout", object_type="user", object_id=user.id, actor=user)


def temporary_password() -> str:
    """A random password for a new account, to be replaced at first sign-in."""
    return "-".join(secrets.token_urlsafe(6) for _ in range(3))

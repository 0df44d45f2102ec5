"""Keyword-only factories for test data, with defaults; and sign-in helpers."""

from __future__ import annotations

import itertools
import re
import time
from typing import Any

import pyotp
from flask.testing import FlaskClient

from diversion.admin import services as admin_services
from diversion.auth import services as auth_services
from diversion.auth import sessions
from diversion.auth.models import User
from diversion.courts.models import Court
from diversion.db import transaction, utcnow
from diversion.extensions import db

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


def create_court(*, code: str | None = None, name: str | None = None) -> Court:
    n = next(_counter)
    return admin_services.save_court(code or f"C{n:03d}", name or f"Test Magistrates' Court {n}")


def create_user(
    *,
    role: str = "worker",
    email: str | None = None,
    court: Court | None = None,
    password: str = PASSWORD,
    enrolled: bool = True,
    must_change_password: bool = False,
) -> User:
    """A user; enrolled users have a TOTP secret set (read it back with totp_secret(user))."""
    n = next(_counter)
    if role == "court" and court is None:
        court = create_court()
    user, _ = admin_services.create_user(
        email or f"{role}{n}@example.org", role, court.code if court else None, password
    )
    if enrolled:
        with transaction():
            user.totp_secret = pyotp.random_base32(32)
            user.totp_enrolled_at = utcnow()
    if must_change_password:
        with transaction():
            user.must_change_password = True
    return user


def totp_secret(user: User) -> str:
    secret = auth_services.get_totp_secret(db.session.merge(user))
    assert secret
    return secret


def fresh_code(secret: str, last_step: int | None) -> str:
    """A valid code for a step newer than the last one used (the window allows one step ahead)."""
    totp = pyotp.TOTP(secret)
    step = int(time.time() // 30)
    if last_step is not None and step <= last_step:
        step = last_step + 1
    return totp.generate_otp(step)


def csrf_token(client: FlaskClient, path: str) -> str:
    """The CSRF token from a page's form."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client: FlaskClient, user: User, password: str = PASSWORD) -> Any:
    """The real journey: password, then a fresh TOTP code. Returns the last response."""
    token = csrf_token(client, "/sign-in")
    response = client.post("/sign-in", data={"email": user.email, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    user = db.session.get(User, user.id)
    db.session.refresh(user)
    code = fresh_code(totp_secret(user), user.totp_last_step)
    token = csrf_token(client, "/sign-in/security-code")
    return client.post("/sign-in/security-code", data={"code": code, "csrf_token": token})


def log_in_as(client: FlaskClient, user: User) -> FlaskClient:
    """A signed-in session without the sign-in journey, for tests about other things."""
    with transaction():
        token = sessions.start_session(db.session.merge(user))
    with client.session_transaction() as flask_session:
        flask_session["sid"] = token
        flask_session["_user_id"] = str(user.id)
        flask_session["_fresh"] = True
    return client

"""Password hashing (Argon2id) and the password rules: length, not common, not the email's name.

No composition rules: length and a deny-list do more for security than demanding symbols (NCSC and NIST 800-63B).
The deny-list is Django's list of 20,000 common passwords (BSD licence), shipped in this folder.
"""

from __future__ import annotations

import functools
import gzip
import re
from pathlib import Path

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from flask_babel import gettext as _

COMMON_PASSWORDS_FILE = Path(__file__).with_name("common-passwords.txt.gz")
# A fixed hash checked when the email is unknown, so an unknown email costs the same time as a wrong password.
_DUMMY_PASSWORD = "not-a-real-password-for-timing"  # noqa: S105 - hashed for timing only


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped deny-list, lower-cased."""
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip().lower() for line in handle if line.strip())


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"],
        memory_cost=config["ARGON2_MEMORY_COST"],
        parallelism=config["ARGON2_PARALLELISM"],
        type=Type.ID,
    )


def hash_password(password: str) -> str:
    """An Argon2id hash of the password."""
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; an absent hash still costs one verification."""
    hasher = _hasher()
    try:
        if password_hash is None:
            hasher.verify(_dummy_hash(), password)
            return False
        return hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other cost settings than the current ones."""
    return _hasher().check_needs_rehash(password_hash)


@functools.cache
def _dummy_hash_for(time_cost: int, memory_cost: int, parallelism: int) -> str:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism, type=Type.ID).hash(
        _DUMMY_PASSWORD
    )


def _dummy_hash() -> str:
    config = current_app.config
    return _dummy_hash_for(config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"], config["ARGON2_PARALLELISM"])


def _core(password: str) -> str:
    """The password lower-cased, without the digits and symbols people add at the ends of a common word."""
    return re.sub(r"^[\W\d_]+|[\W\d_]+$", "", password.lower())


def password_problem(password: str, email: str) -> str | None:
    """Why a new password is refused, in words for the person choosing it; None when it is acceptable."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        return _("Password must be %(minimum)d characters or more", minimum=minimum)
    if len(password) > 256:
        return _("Password must be 256 characters or fewer")
    lowered = password.lower()
    common = common_passwords()
    if lowered in common or _core(password) in common or len(set(lowered)) <= 2:
        return _("Password is too common. Choose a longer phrase that others would not guess")
    name = email.split("@", 1)[0].lower()
    name_parts = {part for part in re.split(r"[._+\-]", name) if len(part) >= 3} | ({name} if len(name) >= 3 else set())
    if any(part in lowered for part in name_parts):
        return _("Password must not contain your email name")
    return None

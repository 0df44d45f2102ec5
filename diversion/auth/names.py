"""Staff display names: what a person is called wherever the service names them (see docs/people.md).

A name is given when the account is made and changed by the person on their account page or by an administrator.
Nobody else may change it. The email address is shown only on account pages.
"""

from __future__ import annotations

from flask_babel import gettext as _

from diversion.audit.services import record_event
from diversion.auth.models import DISPLAY_NAME_MAX, Role, User
from diversion.db import transaction
from diversion.errors import Conflict, Forbidden, ValidationFailed

# In English, as the command line and the API say them; pages get them in their own language (display_name_problem).
NAME_MISSING = "Enter a name"
NAME_TOO_LONG = f"Name must be {DISPLAY_NAME_MAX} characters or fewer"


def clean_display_name(name: str | None) -> str:
    """A name as stored and shown: trimmed, with runs of whitespace made one space."""
    return " ".join((name or "").split())


def display_name_problem(name: str | None) -> str | None:
    """Why this (cleaned) name cannot be kept, or None."""
    name = clean_display_name(name)
    if not name:
        return _("Enter a name")
    if len(name) > DISPLAY_NAME_MAX:
        return _("Name must be %(max)d characters or fewer", max=DISPLAY_NAME_MAX)
    return None


def name_from_email(email: str) -> str:
    """A name to start with when none is given (the command line): the part of the email before the @, as the
    migration that introduced names gave existing accounts."""
    local = email.strip().split("@", 1)[0]
    return clean_display_name(local)[:DISPLAY_NAME_MAX] or clean_display_name(email)[:DISPLAY_NAME_MAX]


def may_rename(actor: User, user: User) -> bool:
    """Only the person themselves or an administrator changes a name."""
    return actor.id == user.id or actor.role == Role.ADMIN.value


def change_display_name(user: User, name: str | None, *, actor: User, seen: str | None = None) -> bool:
    """Change the user's name; True when it changed. ``seen`` is the name the editor's form started from: when it is
    given and the saved name is no longer that, someone else changed it meanwhile and the change is refused (409)."""
    if not may_rename(actor, user):
        raise Forbidden(_("Only the person themselves or an administrator can change a name"))
    problem = display_name_problem(name)
    if problem is not None:
        raise ValidationFailed.on("display_name", problem)
    name = clean_display_name(name)
    if seen is not None and clean_display_name(seen) != user.display_name and name != user.display_name:
        message = _(
            "Someone else changed this name to “%(name)s” while you were editing it. "
            "Save again to use the name you entered",
            name=user.display_name,
        )
        raise Conflict(message, {"display_name": message})
    if name == user.display_name:
        return False
    with transaction():
        user.display_name = name
        # The name itself stays out of the audit details: the event says who changed whose name, and when.
        record_event("user.renamed", object_type="user", object_id=user.id, actor=actor)
    return True

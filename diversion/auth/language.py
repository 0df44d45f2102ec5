"""The language a person reads the service in, chosen on their account page (docs/languages.md, "The service in
Welsh").

``User.language`` holds the code chosen ("en", "cy"), or None: court staff then read their court's default, everyone
else English (``diversion.i18n.user_language``). Only the person themselves changes it, and each change is audited
as ``user.language_changed`` with the codes before and after.
"""

from __future__ import annotations

from flask_babel import gettext as _

from diversion.audit.services import record_event
from diversion.auth.models import User
from diversion.db import transaction
from diversion.errors import Forbidden, ValidationFailed
from diversion.i18n import DEFAULT_LANGUAGE, UI_LANGUAGES

# The form's value for "your court's default": stored as None, so that a change of the court's default reaches her.
COURT_DEFAULT = "court"


def court_default(user: User) -> str | None:
    """The code of the language of the user's court, or None for someone with no court."""
    court = getattr(user, "court", None)
    if court is None:
        return None
    default = getattr(court, "default_language", None)
    return default if default in UI_LANGUAGES else DEFAULT_LANGUAGE


def language_choices(user: User) -> list[tuple[str, str]]:
    """The choices of the account's language page: each language in its own name, and for court staff their
    court's default, named in the language of the page."""
    items = list(UI_LANGUAGES.items())
    default = court_default(user)
    if default is not None:
        items.append((COURT_DEFAULT, _("Your court's default (%(language)s)", language=UI_LANGUAGES[default])))
    return items


def chosen_value(user: User) -> str:
    """The form's value for what the user has now."""
    if user.language in UI_LANGUAGES:
        return str(user.language)
    return COURT_DEFAULT if court_default(user) is not None else DEFAULT_LANGUAGE


def language_shown(user: User) -> str:
    """The account page's row: the language chosen, in its own name, or the court's default."""
    if user.language in UI_LANGUAGES:
        return UI_LANGUAGES[str(user.language)]
    default = court_default(user)
    if default is None:
        return UI_LANGUAGES[DEFAULT_LANGUAGE]
    return _("Your court's default (%(language)s)", language=UI_LANGUAGES[default])


def change_language(user: User, value: str | None, *, actor: User) -> bool:
    """Set the user's language from the form's value (a code of ``UI_LANGUAGES``, or ``COURT_DEFAULT`` for court
    staff); True when it changed. Anything else is refused (ValidationFailed) and nothing changes."""
    if actor.id != user.id:
        raise Forbidden(_("Only the person themselves can change the language of their account"))
    if value == COURT_DEFAULT and court_default(user) is not None:
        code = None
    elif value in UI_LANGUAGES:
        code = value
    else:
        raise ValidationFailed.on("language", _("Select the language you want to use"))
    if code == user.language:
        return False
    with transaction():
        before = user.language
        user.language = code
        record_event(
            "user.language_changed",
            object_type="user",
            object_id=user.id,
            details={"from": before, "to": code},
            actor=actor,
        )
    return True
